import { describe, expect, test } from "vitest";
import type { Checkpoint } from "../../../src/contracts/checkpoint.js";
import { RuntimeInvocationSchema } from "../../../src/contracts/invocation.js";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";
import { HttpClient } from "../../../src/runners/http-client.js";
import { RunReport } from "../../../src/runners/run-report.js";
import type { RunEvent, RunOptions } from "../../../src/runners/runner.js";
import { RunScope } from "../../../src/runners/scope/run-scope.js";
import type { Phase } from "../../../src/runners/async-http/phase.js";
import { protocolOf } from "../../../src/runners/async-http/protocol.js";
import { AsyncRun } from "../../../src/runners/async-http/run.js";
import type { ActivePhase } from "../../../src/runners/async-http/transitions.js";
import { fakeClock } from "../../support/fake-clock.js";

const API = "https://api.test";

/** A scripted answer: its code, a JSON body, and headers. */
interface Reply {
  readonly status: number;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
}

/** A fetch stub that answers with `replies` in order (a string is a connection error) and records each request. */
function scriptedFetch(replies: (Reply | string)[]) {
  const requests: string[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    requests.push(`${init?.method ?? "GET"} ${String(input)}`);
    const reply = replies.shift();
    if (reply === undefined) throw new Error("no reply scripted");
    if (typeof reply === "string") throw Object.assign(new TypeError("fetch failed"), { cause: { code: reply } });
    const body = reply.json === undefined ? null : JSON.stringify(reply.json);
    return new Response(body, { status: reply.status, headers: { "content-type": "application/json", ...reply.headers } });
  };
  return { fetch, requests };
}

/** An asynchronous run of `metadata` on a backend that answers `replies`, resumed from `resume` when given. */
function runOf(metadata: Record<string, string>, replies: (Reply | string)[], options: RunOptions = {}, resume?: Checkpoint) {
  const clock = fakeClock();
  const backend = scriptedFetch(replies);
  const client = new HttpClient({ fetch: backend.fetch, now: clock.now, sleep: clock.sleep }, parseAsyncHttpMetadata);
  const parsed = parseAsyncHttpMetadata({
    "http.url": `${API}/runs`,
    "http.poll_status_path": "status",
    "http.poll_terminal_states": "completed,failed",
    ...metadata,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const config = parsed.config;
  const { headers, redact } = client.shared(config);
  const invocation = RuntimeInvocationSchema.parse({ invocation_id: "inv-1", runtime_name: "backend", runtime_kind: "http_async" });
  const now = clock.now;
  const parts = {
    scope: new RunScope({ now }),
    report: new RunReport(invocation, options, { redact, now, startedAtMs: now(), echoes: client.echoes }),
  };
  const run = new AsyncRun({ config, headers, resolve: undefined, redact, protocol: protocolOf(config), client }, parts, options, resume);
  return { run, requests: backend.requests };
}

/** A phase that sends a request. */
function active(phase: Phase): ActivePhase {
  if (phase.name === "settle") throw new Error("the run has settled");
  return phase;
}

const resumeAt = (path: string): Checkpoint => ({ version: 1, pollUrl: `${API}${path}`, acceptedAt: "2026-01-01T00:00:00.000Z" });

describe(AsyncRun.name, () => {
  test("polls the Location of a kickoff answered 202", async () => {
    const { run, requests } = runOf({}, [{ status: 202, headers: { location: "/runs/42" } }]);
    const next = await run.step(active(run.phase));
    expect(next).toMatchObject({ name: "poll", pollUrl: `${API}/runs/42`, runId: undefined });
    expect(requests).toEqual([`POST ${API}/runs`]);
  });

  test("settles succeeded on a kickoff answered 200 with a terminal status, sending nothing more", async () => {
    const { run, requests } = runOf({}, [{ status: 200, json: { status: "completed" } }]);
    const next = await run.step(active(run.phase));
    expect(next).toMatchObject({ name: "settle", ending: { exitCode: 0 }, accepted: undefined });
    expect(requests).toHaveLength(1);
  });

  test("tells the kickoff's answer and the job's checkpoint when the backend accepts it", async () => {
    const events: RunEvent[] = [];
    const { run } = runOf({}, [{ status: 202, headers: { location: "/runs/42" } }], { onEvent: (event) => events.push(event) });
    await run.step(active(run.phase));
    expect(events).toMatchObject([
      { type: "kickoff", httpStatus: 202 },
      { type: "accepted", checkpoint: { version: 1, pollUrl: `${API}/runs/42` } },
    ]);
  });

  test("stays in the same poll phase when a poll answers 200 with a status that is not terminal", async () => {
    const { run, requests } = runOf({}, [{ status: 200, json: { status: "running" } }], {}, resumeAt("/runs/42"));
    const phase = active(run.phase);
    expect(await run.step(phase)).toBe(phase);
    expect(requests).toEqual([`GET ${API}/runs/42`]);
  });

  test("settles with failure kind errors when a poll answers 500 and no error is tolerated", async () => {
    const { run } = runOf({ "http.poll_max_consecutive_errors": "0" }, [{ status: 500, json: { error: "boom" } }], {}, resumeAt("/runs/42"));
    const next = await run.step(active(run.phase));
    expect(next).toMatchObject({ name: "settle", ending: { failure: { kind: "errors", times: 1, budget: 0 } }, accepted: { pollUrl: `${API}/runs/42` } });
  });

  test("counts transient poll failures in a row across steps, against http.poll_max_consecutive_errors", async () => {
    const replies = [{ status: 503 }, "ECONNRESET", { status: 502 }];
    const { run } = runOf({ "http.poll_max_consecutive_errors": "2" }, replies, {}, resumeAt("/runs/42"));
    const phase = active(run.phase);
    expect(await run.step(phase)).toBe(phase);
    expect(await run.step(phase)).toBe(phase);
    expect(await run.step(phase)).toMatchObject({ name: "settle", ending: { failure: { kind: "errors", times: 3, budget: 2, last: { code: 502 } } } });
  });

  test("settles without sending the kickoff when beforeKickoff rejects", async () => {
    const { run, requests } = runOf({}, [], { beforeKickoff: () => Promise.reject(new Error("store unavailable")) });
    const next = await run.step(active(run.phase));
    expect(next).toMatchObject({ name: "settle", ending: { failure: { kind: "kickoff_not_sent", error: "store unavailable" } } });
    expect(requests).toEqual([]);
  });
});
