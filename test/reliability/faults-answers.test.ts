import { describe, expect, it } from "vitest";
import type { HttpRunnerOptions } from "../../src/http/runner-options.js";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { eventLog, loopbackBackend, loopbackInvocation, timedRun } from "../support/async-http.js";
import { expectRxpValid } from "../support/rxp-schema.js";
import type { ScriptedResponse, ScriptedServerOptions } from "../support/scripted-server.js";

/**
 * The deadline of every run here unless said otherwise: none is meant to
 * reach it. They fail on the answer without waiting, or succeed; reading up
 * to 8 MiB of a body takes time that depends on the machine, which a deadline
 * must not race.
 */
const NO_DEADLINE_SECONDS = 600;
const MiB = 1024 * 1024;
const DEFAULT_MAX_RESPONSE_BYTES = 8 * MiB;

const accepted: ScriptedResponse = { status: 202, json: { id: "1" } };
const completed: ScriptedResponse = { json: { status: "completed" } };

interface Setup {
  readonly metadata?: Record<string, string>;
  readonly fields?: Record<string, unknown>;
  readonly server?: ScriptedServerOptions;
  readonly runner?: HttpRunnerOptions;
}

/** Runs an invocation against `script` on a fresh AsyncHttpRunner (default undici transport); waits are recorded, not slept. */
async function runAgainst(script: readonly ScriptedResponse[], setup: Setup = {}) {
  const server = await loopbackBackend(script, setup.server);
  const sleeps: number[] = [];
  const sleep = async (ms: number) => void sleeps.push(ms);
  const runner = new AsyncHttpRunner({ sleep, ...setup.runner });
  const log = eventLog();
  const invocation = loopbackInvocation(server.origin, setup.metadata, { timeout_seconds: NO_DEADLINE_SECONDS, ...setup.fields });
  const run = await timedRun(runner, server, invocation, log);
  expectRxpValid(run.result);
  return { ...run, server, sleeps, log };
}

describe("a backend that sends a bad answer", () => {
  const loop: ScriptedResponse = { status: 302, headers: { location: "/runs/1" } };
  it.for([
    [
      "sends malformed JSON in a poll",
      [accepted, { body: '{"status": running}' }],
      {},
      `poll 1 response from {origin}/runs/1 is not JSON, so it has no status at 'status' (http.poll_status_path): {"status": running}; the backend job may still be running (run id 1); no cancel request was sent`,
    ],
    [
      "sends truncated JSON in the kickoff",
      [{ status: 202, body: '{"id": "1' }],
      {},
      `kickoff response has no run id at 'id' (http.poll_run_id_path), which http.poll_url_template needs: {"id": "1; the backend job may still be running (its run id is unknown); no cancel request was sent`,
    ],
    [
      "announces a 200 MB kickoff body, over maxResponseBytes",
      [{ action: "huge", status: 202, bytes: 200 * MiB, contentLength: true }],
      {},
      `kickoff POST {origin}/runs failed: response body exceeds ${DEFAULT_MAX_RESPONSE_BYTES} bytes; the backend may hold the job: the request that starts it was sent and its outcome is unknown`,
    ],
    [
      "streams a 200 MB poll body without announcing its size",
      [accepted, { action: "huge", bytes: 200 * MiB }],
      {},
      `poll 1 of {origin}/runs/1 failed: response body exceeds ${DEFAULT_MAX_RESPONSE_BYTES} bytes; the backend job may still be running (run id 1); no cancel request was sent`,
    ],
    [
      "sends an endless chunked poll body",
      [accepted, { action: "endless" }],
      {},
      `poll 1 of {origin}/runs/1 failed: response body exceeds ${DEFAULT_MAX_RESPONSE_BYTES} bytes; the backend job may still be running (run id 1); no cancel request was sent`,
    ],
    ["redirects a poll in a loop", [accepted], { server: { fallback: loop } }, "poll 1 of {origin}/runs/1 failed: too many redirects (more than 5); the backend job may still be running (run id 1); no cancel request was sent"],
    [
      "answers the kickoff 429 with Retry-After (a kickoff is never retried)",
      [{ status: 429, headers: { "retry-after": "1" }, body: "slow down" }],
      {},
      "kickoff POST {origin}/runs answered HTTP 429: slow down",
    ],
    [
      "answers a poll 503 with Retry-After when no error is tolerated",
      [accepted, { status: 503, headers: { "retry-after": "1" }, body: "try later" }],
      {},
      "poll of {origin}/runs/1 failed once (http.poll_max_consecutive_errors is 0); last error: HTTP 503: try later; the backend job may still be running (run id 1); no cancel request was sent",
    ],
    [
      "answers polls 429 with Retry-After past the error budget",
      [accepted],
      {
        metadata: { "http.poll_max_consecutive_errors": "2" },
        server: { fallback: { status: 429, headers: { "retry-after": "0" }, body: "slow down" } },
      },
      "poll of {origin}/runs/1 failed 3 times in a row (http.poll_max_consecutive_errors is 2); last error: HTTP 429: slow down; the backend job may still be running (run id 1); no cancel request was sent",
    ],
  ] satisfies [string, ScriptedResponse[], Setup, string][])("fails naming the phase and the fault when the backend %s", async ([, script, setup, summary]) => {
    const run = await runAgainst(script, setup);
    expect(run.result.status).toBe("failed");
    expect(run.summary).toBe(summary);
    // It failed on the answer, not after a wait (a Retry-After of 0 is a wait of none).
    expect(run.sleeps.filter((ms) => ms > 0)).toEqual([]);
  });

  it("drops the connection of an oversized body after the cap instead of downloading it", async () => {
    const run = await runAgainst([{ action: "huge", status: 202, bytes: 200 * MiB }]);
    expect(run.result.status).toBe("failed");
    await run.server.waitFor(() => run.server.openConnectionCount === 0);
    expect(run.server.bytesWritten).toBeLessThan(4 * DEFAULT_MAX_RESPONSE_BYTES);
  });

  it("waits out a 503's Retry-After instead of the interval, then succeeds within the error budget", async () => {
    const busy: ScriptedResponse = { status: 503, headers: { "retry-after": "3" }, body: "try later" };
    const run = await runAgainst([accepted, busy, completed], {
      metadata: { "http.poll_max_consecutive_errors": "1" },
      fields: { timeout_seconds: 60 },
    });
    expect(run.result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "2" } });
    expect(run.sleeps).toEqual([3000]);
    expect(run.log.events.flatMap((event) => (event.type === "wait" ? [event.source] : []))).toEqual(["retry-after"]);
  });
});

describe("a backend that redirects to another origin", () => {
  const credentials = { authorization: "Bearer run-token-1", cookie: "sid=cookie-1", "proxy-authorization": "Basic cHJveHk6MQ==" };
  const credentialNames = Object.keys(credentials);
  const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  it("sends the other origin no header of the invocation's or the runner's, only the trace headers", async () => {
    const other = await loopbackBackend([accepted, completed]);
    const script: ScriptedResponse[] = [
      { status: 307, headers: { location: other.url("/runs") } },
      { status: 302, headers: { location: other.url("/runs/1") } },
    ];
    const headers = JSON.stringify({ Authorization: credentials.authorization, Cookie: credentials.cookie, "X-Trace": "t-1", traceparent: TRACEPARENT });
    const run = await runAgainst(script, {
      metadata: { "http.headers": headers },
      runner: { headers: { "Proxy-Authorization": credentials["proxy-authorization"] } },
    });
    expect(run.result.status).toBe("succeeded");
    expect(run.server.requests.map((request) => `${request.method} ${request.url}`)).toEqual(["POST /runs", "GET /runs/1"]);
    for (const request of run.server.requests) expect(request.headers).toMatchObject(credentials);
    expect(other.requests.map((request) => `${request.method} ${request.url}`)).toEqual(["POST /runs", "GET /runs/1"]);
    for (const request of other.requests) {
      expect(request.headers["traceparent"]).toBe(TRACEPARENT);
      for (const name of [...credentialNames, "x-trace"]) expect(request.headers).not.toHaveProperty(name);
    }
  });
});
