import { describe, expect, it } from "vitest";
import { RuntimeInvocationSchema } from "../../src/contracts/invocation.js";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { HttpRunner } from "../../src/runners/http.js";
import { loopbackBackend, loopbackInvocation, timedRun, type TimedRun } from "../support/async-http.js";
import { expectRxpValid } from "../support/rxp-schema.js";
import type { ScriptedResponse } from "../support/scripted-server.js";

/** The deadline of the runs that hang: timeout_seconds 1. */
const DEADLINE_MS = 1000;
const DEADLINE_SECONDS = DEADLINE_MS / 1000;
/**
 * How long after its deadline a hung run may take to end. Nothing else ends
 * these runs (undici's own timeouts are 300 s, and the backend never
 * answers): a run that ends within this was ended by its deadline. Ending
 * takes a few milliseconds; the margin is far above that, so that a busy
 * machine cannot fail it, and far below the other ways a run could end. How
 * exactly a deadline fires is for the unit tests, on a fake clock.
 */
const MARGIN_MS = 10_000;
/** A deadline none of the runs that fail is meant to reach: they fail on the fault, without a wait. */
const NO_DEADLINE_SECONDS = 600;

const accepted: ScriptedResponse = { status: 202, json: { id: "1" } };
const running: ScriptedResponse = { json: { status: "running" } };
const completed: ScriptedResponse = { json: { status: "completed" } };

/**
 * Runs an invocation with `timeout_seconds` against `script` on a fresh
 * AsyncHttpRunner (default undici transport); its waits are recorded, not slept.
 */
async function runAgainst(script: readonly ScriptedResponse[], timeoutSeconds: number, metadata: Record<string, string> = {}) {
  const server = await loopbackBackend(script);
  const sleeps: number[] = [];
  const sleep = async (ms: number) => void sleeps.push(ms);
  const run: TimedRun = await timedRun(new AsyncHttpRunner({ sleep }), server, loopbackInvocation(server.origin, metadata, { timeout_seconds: timeoutSeconds }));
  expectRxpValid(run.result);
  return { ...run, server, sleeps };
}

describe.concurrent("a backend that stops answering", { timeout: DEADLINE_MS + MARGIN_MS + 20_000 }, () => {
  it.for([
    [
      "hangs before the kickoff's response headers",
      [{ action: "hang" }],
      "timed out after 1 s (timeout_seconds) during the kickoff (POST {origin}/runs); no response headers had arrived; the backend may hold the job: the request that starts it was sent and its outcome is unknown",
    ],
    [
      "hangs before a poll's response headers",
      [accepted, { action: "hang" }],
      "timed out after 1 s (timeout_seconds) while polling {origin}/runs/1 (1 polls); no response headers had arrived; the backend job may still be running (run id 1); no cancel request was sent",
    ],
    [
      "stops in the middle of a poll's body",
      [accepted, running, { action: "hang-mid-body", body: '{"status": "run' }],
      "timed out after 1 s (timeout_seconds) while polling {origin}/runs/1 (2 polls, last status 'running'); the response body was still arriving; the backend job may still be running (run id 1); no cancel request was sent",
    ],
  ] satisfies [string, ScriptedResponse[], string][])(
    "ends timed_out at the deadline when the backend %s",
    async ([, script, summary], { expect }) => {
      const outcome = await runAgainst(script, DEADLINE_SECONDS);
      expect(outcome.result.status).toBe("timed_out");
      expect(outcome.summary).toBe(summary);
      expect(outcome.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      // The request in flight was aborted: its connection is gone.
      await outcome.server.waitFor(() => outcome.server.openConnectionCount === 0);
    },
  );

  it("ends an HttpRunner request timed_out at the deadline when the backend never answers", async ({ expect }) => {
    const server = await loopbackBackend([{ action: "hang" }]);
    const invocation = RuntimeInvocationSchema.parse({
      invocation_id: "inv-1",
      runtime_name: "backend",
      runtime_kind: "http",
      timeout_seconds: 1,
      metadata: { "http.url": `${server.origin}/runs` },
    });
    const outcome = await timedRun(new HttpRunner(), server, invocation);
    expect(outcome.result.status).toBe("timed_out");
    expect(outcome.summary).toBe("timed out after 1 s (timeout_seconds) during the request (POST {origin}/runs); no response headers had arrived; the backend may hold the job: the request that starts it was sent and its outcome is unknown");
    expect(outcome.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
  });
});

describe("a backend that breaks the connection", () => {
  it.for([
    [
      "resets the connection instead of answering the kickoff",
      [{ action: "reset" }],
      "kickoff POST {origin}/runs failed: connection reset (ECONNRESET); the backend may hold the job: the request that starts it was sent and its outcome is unknown",
    ],
    [
      "closes the connection instead of answering the kickoff",
      [{ action: "destroy" }],
      "kickoff POST {origin}/runs failed: socket closed before the response was complete (UND_ERR_SOCKET); the backend may hold the job: the request that starts it was sent and its outcome is unknown",
    ],
    [
      "resets the connection instead of answering a poll",
      [accepted, { action: "reset" }],
      "poll of {origin}/runs/1 failed once (http.poll_max_consecutive_errors is 0); last error: connection reset (ECONNRESET); the backend job may still be running (run id 1); no cancel request was sent",
    ],
    [
      "closes the connection in the middle of a poll's body",
      [accepted, { action: "destroy-mid-body", body: '{"status": "run' }],
      "poll of {origin}/runs/1 failed once (http.poll_max_consecutive_errors is 0); last error: socket closed before the response was complete (UND_ERR_SOCKET); the backend job may still be running (run id 1); no cancel request was sent",
    ],
  ] satisfies [string, ScriptedResponse[], string][])(
    "fails at once, naming the phase and the fault, when the backend %s",
    async ([, script, summary]) => {
      const outcome = await runAgainst(script, NO_DEADLINE_SECONDS);
      expect(outcome.result.status).toBe("failed");
      expect(outcome.summary).toBe(summary);
      expect(outcome.sleeps).toEqual([]);
    },
  );

  it("ends a run at its deadline while its kickoff waits for the one connection, which another run holds", { timeout: DEADLINE_MS + MARGIN_MS + 20_000 }, async () => {
    const server = await loopbackBackend([{ action: "hang" }]);
    const runner = new AsyncHttpRunner({ connections: 1 });
    const holder = new AbortController();
    const holding = runner.run(loopbackInvocation(server.origin, {}, { invocation_id: "holder" }), { signal: holder.signal });
    await server.waitFor(() => server.requests.length === 1);
    const queued = await timedRun(runner, server, loopbackInvocation(server.origin, {}, { timeout_seconds: 1 }));
    holder.abort();
    expect(queued.result.status).toBe("timed_out");
    // It never left the pool: the backend never had it.
    expect(queued.summary).toBe("timed out after 1 s (timeout_seconds) during the kickoff (POST {origin}/runs)");
    expect(queued.result.metadata["http.backend_job"]).toBe("not_started");
    expect(queued.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect((await holding).status).toBe("cancelled");
    // The queued kickoff was dropped unsent: the backend never saw a second job.
    await server.waitFor(() => server.openConnectionCount === 0);
    expect(server.requests).toHaveLength(1);
  });

  it("fails naming the refused connection when nothing listens", async () => {
    const server = await loopbackBackend();
    await server.close();
    const outcome = await timedRun(new AsyncHttpRunner(), server, loopbackInvocation(server.origin, {}, { timeout_seconds: NO_DEADLINE_SECONDS }));
    expect(outcome.result.status).toBe("failed");
    expect(outcome.summary).toBe("kickoff POST {origin}/runs failed: connection refused (ECONNREFUSED)");
  });

  it("retries a reset poll within http.poll_max_consecutive_errors and succeeds", async () => {
    const outcome = await runAgainst([accepted, { action: "reset" }, { action: "reset" }, completed], NO_DEADLINE_SECONDS, {
      "http.poll_max_consecutive_errors": "2",
    });
    expect(outcome.result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "3" } });
  });

  it("polls on a fresh connection when the backend closes each keep-alive socket after answering", async () => {
    const polls = [...Array.from({ length: 5 }, () => ({ status: "running" })), { status: "completed" }];
    const script: ScriptedResponse[] = [accepted, ...polls.map((json) => ({ json }))].map((step) => ({ ...step, closeConnection: true }));
    const outcome = await runAgainst(script, NO_DEADLINE_SECONDS);
    expect(outcome.result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "6" } });
    expect(outcome.server.connectionCount).toBe(outcome.server.requests.length);
  });
});
