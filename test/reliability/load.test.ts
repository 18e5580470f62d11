import { getEventListeners } from "node:events";
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import type { RuntimeResult } from "../../src/contracts/result.js";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { timerQueue } from "../../src/runners/scope/timer-queue.js";
import { loopbackBackend, loopbackInvocation } from "../support/async-http.js";
import { realSleep } from "../support/sleep.js";
import { activeResources, watchProcess } from "../support/process-watch.js";
import type { RecordedRequest } from "../support/scripted-server.js";

const INVOCATIONS = 10_000;
/**
 * The test's time limit, for a hang. The load is CPU work: 3-4 s on an idle
 * 2-core machine, up to 10 s on a busy one. Its speed is measured by
 * `npm run bench`, not here.
 */
const TEST_TIMEOUT_MS = 180_000;
/** The runs' deadline: never reached, but queued, as most runs queue one. */
const RUN_TIMEOUT_SECONDS = 3600;

/**
 * The backend of the load: invocation `n` (sent in the kickoff body) gets
 * n % 4 = 0: accepted, polled "running" then "completed";
 * n % 4 = 1: a 200 kickoff with the terminal status "failed";
 * n % 4 = 2: accepted, then "cancelled" by the backend;
 * n % 4 = 3: a 503 kickoff.
 */
function loadBackend() {
  const polls = new Map<string, number>();
  return (request: RecordedRequest, response: ServerResponse): void => {
    const json = (status: number, body: unknown) => void response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (request.method === "POST") {
      const n = (JSON.parse(request.body) as { n: number }).n;
      if (n % 4 === 3) response.writeHead(503).end("overloaded");
      else if (n % 4 === 1) json(200, { id: String(n), status: "failed" });
      else json(202, { id: String(n) });
      return;
    }
    const id = request.url.slice("/runs/".length);
    const count = (polls.get(id) ?? 0) + 1;
    polls.set(id, count);
    json(200, { status: Number(id) % 4 === 2 ? "cancelled" : count === 1 ? "running" : "completed" });
  };
}

/** What invocation `n` must end with (the summary with the origin written as `{origin}`). */
function expected(n: number): Pick<RuntimeResult, "status" | "error_summary"> & { polls: string } {
  switch (n % 4) {
    case 0:
      return { status: "succeeded", error_summary: null, polls: "2" };
    case 1:
      return { status: "failed", error_summary: "backend reported terminal status: failed", polls: "0" };
    case 2:
      return { status: "cancelled", error_summary: "backend reported terminal status: cancelled", polls: "1" };
    default:
      return { status: "failed", error_summary: "kickoff POST {origin}/runs answered HTTP 503: overloaded", polls: "0" };
  }
}

describe(`${INVOCATIONS} concurrent invocations on one runner`, () => {
  it("end with the right statuses, without warnings or unhandled rejections, and leave no socket or timer open", { timeout: TEST_TIMEOUT_MS }, async () => {
    const server = await loopbackBackend([], { fallback: loadBackend() });
    const before = activeResources();
    const watch = watchProcess();
    const runner = new AsyncHttpRunner();
    // One signal shared by every run, as a dispatcher's shutdown signal would be.
    const shutdown = new AbortController();
    const invocations = Array.from({ length: INVOCATIONS }, (_, n) =>
      loopbackInvocation(server.origin, { "http.body": JSON.stringify({ n }) }, { invocation_id: `inv-${n}`, timeout_seconds: RUN_TIMEOUT_SECONDS }),
    );

    const running = invocations.map((invocation) => runner.run(invocation, { signal: shutdown.signal }));
    // Every run has queued its deadline by now, on the one timer of the process: the checks below can see timers of ours.
    const queuedDuring = timerQueue.size;
    const during = activeResources();
    const results = await Promise.all(running);
    await runner.close();
    const afterClose = activeResources();
    await watch.stop();

    const wrong = results.flatMap((result, n) => {
      const want = expected(n);
      const got = { status: result.status, error_summary: result.error_summary?.replaceAll(server.origin, "{origin}") ?? null, polls: result.metadata["http.polls"] };
      return result.invocation_id === `inv-${n}` && JSON.stringify(got) === JSON.stringify(want) ? [] : [{ n, got, want }];
    });
    expect(wrong.slice(0, 3)).toEqual([]);
    expect(watch.warnings).toEqual([]);
    expect(watch.unhandledRejections).toEqual([]);
    expect(getEventListeners(shutdown.signal, "abort")).toHaveLength(0);
    // Once close() resolved, no timer of ours is left (the test framework may hold one of its own), and
    // the only sockets left are the server's ends of the connections, closing on the client's FIN.
    expect(queuedDuring).toBeGreaterThanOrEqual(INVOCATIONS);
    expect(during.Timeout).toBeGreaterThan(before.Timeout ?? 0);
    expect(timerQueue.size).toBe(0);
    expect(afterClose.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
    expect(afterClose.TCPSocketWrap ?? 0).toBe((before.TCPSocketWrap ?? 0) + server.openConnectionCount);
    await server.waitFor(() => server.openConnectionCount === 0);
    expect(activeResources().TCPSocketWrap ?? 0).toBe(before.TCPSocketWrap ?? 0);
  });
});

describe("a long run", () => {
  it("keeps the abort listeners on its signal flat over 50 polls", async () => {
    let polls = 0;
    const server = await loopbackBackend([{ status: 202, json: { id: "1" } }], {
      fallback: (_request, response) => void response.end(JSON.stringify({ status: ++polls === 50 ? "completed" : "running" })),
    });
    const listeners: number[] = [];
    const sleep = (ms: number, signal?: AbortSignal) => {
      if (signal !== undefined) listeners.push(getEventListeners(signal, "abort").length);
      return realSleep(ms, signal);
    };
    const watch = watchProcess();
    const runner = new AsyncHttpRunner({ sleep });
    const result = await runner.run(loopbackInvocation(server.origin, {}, { timeout_seconds: 60 }));
    await runner.close();
    await watch.stop();
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "50" } });
    expect(listeners).toHaveLength(49);
    expect(new Set(listeners)).toEqual(new Set([0]));
    expect(watch.warnings).toEqual([]);
  });
});
