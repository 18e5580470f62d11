import { getEventListeners } from "node:events";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { RuntimeInvocationSchema } from "../../src/contracts/invocation.js";
import type { RuntimeResult } from "../../src/contracts/result.js";
import type { HttpRunnerOptions } from "../../src/http/runner-options.js";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { HttpRunner } from "../../src/runners/http.js";
import type { RunEvent, Runner } from "../../src/runners/runner.js";
import { loopbackBackend, loopbackInvocation } from "../support/async-http.js";
import { expectRxpValid } from "../support/rxp-schema.js";
import type { ScriptedResponse, ScriptedServer } from "../support/scripted-server.js";

/**
 * A run must settle this soon after its signal aborts (the cancel request on
 * loopback included). Nothing in these runs ends on its own: the backend
 * hangs (undici's own timeouts are 300 s), the waits last an hour, there is
 * no timeout_seconds; so a run that settles within this was ended by its
 * signal. Runs settle in 1-20 ms; the bound is far above that, so that a busy
 * machine cannot fail it, and far below every other way these runs could end.
 */
const AT_ONCE_MS = 10_000;
/** A test's time limit: room for its runs to settle within AT_ONCE_MS. */
const TEST_TIMEOUT_MS = AT_ONCE_MS + 20_000;

const accepted: ScriptedResponse = { status: 202, json: { id: "1" } };
const cancelAccepted: ScriptedResponse = { status: 202, body: "" };
const CANCELLABLE = { "http.cancel_url_template": "/runs/{run_id}/cancel" };
const HOURLY = { "http.poll_interval_seconds": "3600" };

/**
 * Starts `start(signal)`, aborts once `ready` resolves, and measures the time
 * from the abort until the run settles.
 */
async function abortWhen(ready: Promise<unknown>, start: (signal: AbortSignal) => Promise<RuntimeResult>) {
  const controller = new AbortController();
  const running = start(controller.signal);
  await ready;
  const abortedAtMs = performance.now();
  controller.abort();
  const result = await running;
  expectRxpValid(result);
  return { result, msAfterAbort: performance.now() - abortedAtMs };
}

/** A promise that resolves with the first event of `type`, and the listener that feeds it. */
function firstEvent(type: RunEvent["type"]) {
  let resolve!: (event: RunEvent) => void;
  const seen = new Promise<RunEvent>((done) => (resolve = done));
  return { seen, onEvent: (event: RunEvent) => void (event.type === type && resolve(event)) };
}

/** An AsyncHttpRunner (default undici transport) closed when the test ends. */
function runner(options: HttpRunnerOptions = {}): Runner {
  const created = new AsyncHttpRunner(options);
  onTestFinished(() => created.close());
  return created;
}

function requestLines(server: ScriptedServer): string[] {
  return server.requests.map((request) => `${request.method} ${request.url}`);
}

describe("aborting a run", { timeout: TEST_TIMEOUT_MS }, () => {
  beforeAll(async () => {
    // The first run of a process compiles the metadata schema; that is not what these tests time.
    await new AsyncHttpRunner().run(loopbackInvocation("http://127.0.0.1:9"), { signal: AbortSignal.abort() });
  });

  it("ends cancelled without sending anything when the signal is aborted before the run starts", async () => {
    const server = await loopbackBackend([accepted]);
    const startMs = performance.now();
    const result = await runner().run(loopbackInvocation(server.origin, CANCELLABLE), { signal: AbortSignal.abort() });
    expect(performance.now() - startMs).toBeLessThan(AT_ONCE_MS);
    expect(result).toMatchObject({ status: "cancelled", error_summary: `cancelled by the caller during the kickoff (POST ${server.origin}/runs)` });
    expect(server.requests).toEqual([]);
  });

  it("ends cancelled at once during the kickoff request, with no cancel request for a run never accepted", async () => {
    const server = await loopbackBackend([{ action: "hang" }]);
    const { result, msAfterAbort } = await abortWhen(server.waitFor(() => server.requests.length === 1), (signal) =>
      runner().run(loopbackInvocation(server.origin, CANCELLABLE), { signal }),
    );
    expect(msAfterAbort).toBeLessThan(AT_ONCE_MS);
    expect(result.status).toBe("cancelled");
    expect(result.error_summary).toBe(`cancelled by the caller during the kickoff (POST ${server.origin}/runs); no response headers had arrived; the backend may hold the job: the request that starts it was sent and its outcome is unknown`);
    expect(requestLines(server)).toEqual(["POST /runs"]);
    await server.waitFor(() => server.openConnectionCount === 0);
  });

  it("ends cancelled at once during a poll request, then sends the cancel request", async () => {
    const server = await loopbackBackend([accepted, { action: "hang" }, cancelAccepted]);
    const { result, msAfterAbort } = await abortWhen(server.waitFor(() => server.requests.length === 2), (signal) =>
      runner().run(loopbackInvocation(server.origin, CANCELLABLE), { signal }),
    );
    expect(msAfterAbort).toBeLessThan(AT_ONCE_MS);
    expect(result).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "202", "http.polls": "1" } });
    expect(result.error_summary).toBe(`cancelled by the caller while polling ${server.origin}/runs/1 (1 polls); no response headers had arrived`);
    expect(requestLines(server)).toEqual(["POST /runs", "GET /runs/1", "POST /runs/1/cancel"]);
  });

  it.for([
    ["the default sleep", {}],
    ["a sleep that ignores the signal", { sleep: () => new Promise<void>(() => undefined) }],
  ] satisfies [string, HttpRunnerOptions][])("ends cancelled at once during an hour-long wait with %s, then sends the cancel request", async ([, options]) => {
    const server = await loopbackBackend([accepted, { json: { status: "running" } }, cancelAccepted]);
    const wait = firstEvent("wait");
    const { result, msAfterAbort } = await abortWhen(wait.seen, (signal) =>
      runner(options).run(loopbackInvocation(server.origin, { ...CANCELLABLE, ...HOURLY }), { signal, onEvent: wait.onEvent }),
    );
    expect(msAfterAbort).toBeLessThan(AT_ONCE_MS);
    expect(result).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "202", "http.polls": "1" } });
    expect(result.error_summary).toBe(`cancelled by the caller while polling ${server.origin}/runs/1 (1 polls, last status 'running')`);
    expect(requestLines(server)).toEqual(["POST /runs", "GET /runs/1", "POST /runs/1/cancel"]);
  });

  it("ends an HttpRunner request cancelled at once", async () => {
    const server = await loopbackBackend([{ action: "hang" }]);
    const invocation = RuntimeInvocationSchema.parse({
      invocation_id: "inv-1",
      runtime_name: "backend",
      runtime_kind: "http",
      metadata: { "http.url": `${server.origin}/hooks` },
    });
    const httpRunner = new HttpRunner();
    onTestFinished(() => httpRunner.close());
    const { result, msAfterAbort } = await abortWhen(server.waitFor(() => server.requests.length === 1), (signal) =>
      httpRunner.run(invocation, { signal }),
    );
    expect(msAfterAbort).toBeLessThan(AT_ONCE_MS);
    expect(result.error_summary).toBe(`cancelled by the caller during the request (POST ${server.origin}/hooks); no response headers had arrived; the backend may hold the job: the request that starts it was sent and its outcome is unknown`);
  });
});

describe("one signal shared by many runs", { timeout: TEST_TIMEOUT_MS }, () => {
  const RUNS = 200;

  it("carries one abort listener, cancels every run at once, and keeps no listener afterwards", async () => {
    let id = 0;
    const server = await loopbackBackend([], {
      fallback: (request, response) => {
        const body = request.method === "POST" ? { id: String(++id) } : { status: "running" };
        response.writeHead(request.method === "POST" ? 202 : 200).end(JSON.stringify(body));
      },
    });
    const shared = runner({ connections: 8 });
    const controller = new AbortController();
    const invocation = loopbackInvocation(server.origin, HOURLY);
    const waits = new Set<RunEvent>();
    let allWaiting!: () => void;
    const ready = new Promise<void>((resolve) => (allWaiting = resolve));
    const onEvent = (event: RunEvent): void => {
      if (event.type === "wait" && waits.add(event).size === RUNS) allWaiting();
    };
    const runs = Array.from({ length: RUNS }, () => shared.run(invocation, { signal: controller.signal, onEvent }));
    await ready;
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    const abortedAtMs = performance.now();
    controller.abort();
    const results = await Promise.all(runs);
    expect(performance.now() - abortedAtMs).toBeLessThan(AT_ONCE_MS);
    expect(new Set(results.map((result) => result.status))).toEqual(new Set(["cancelled"]));
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });
});
