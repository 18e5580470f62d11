import { describe, expect, it } from "vitest";
import { AsyncHttpRunner } from "../../../src/runners/async-http/runner.js";
import { MAX_WAIT_MS } from "../../../src/http/timing.js";
import { API, asyncInvocation, asyncRunner, eventLog, useMswServer } from "../../support/async-http.js";
import { fakeClock } from "../../support/fake-clock.js";
import { scriptBackend, type ScriptedAnswer } from "../../support/msw-backend.js";

const server = useMswServer();

function backendPolling(answers: ScriptedAnswer[], kickoff: ScriptedAnswer = { status: 202, json: { id: "1" } }) {
  return scriptBackend(server, { [`POST ${API}/runs`]: [kickoff], [`GET ${API}/runs/1`]: answers });
}

const running = { json: { status: "running" } };
const completed = { json: { status: "completed" } };

describe(`${AsyncHttpRunner.name} waits`, () => {
  it("polls at once after the acknowledgement, then waits the interval between polls, after progress and pending codes alike", async () => {
    backendPolling([running, { status: 404 }, completed]);
    const clock = fakeClock();
    const invocation = asyncInvocation({ "http.poll_interval_seconds": "3", "http.poll_pending_codes": "404" });
    await asyncRunner(clock).run(invocation);
    expect(clock.sleeps).toEqual([3000, 3000]);
  });

  it("grows the waits by the backoff factor up to the cap", async () => {
    backendPolling([running, running, running, running, completed]);
    const clock = fakeClock();
    const metadata = { "http.poll_interval_seconds": "1", "http.poll_backoff": "2", "http.poll_max_interval_seconds": "5" };
    await asyncRunner(clock).run(asyncInvocation(metadata));
    expect(clock.sleeps).toEqual([1000, 2000, 4000, 5000]);
  });

  it("calls sleep for zero-length waits too", async () => {
    backendPolling([running, completed]);
    const clock = fakeClock();
    await asyncRunner(clock).run(asyncInvocation({ "http.poll_interval_seconds": "0" }));
    expect(clock.sleeps).toEqual([0]);
  });

  it("lets Retry-After in seconds replace the next wait only", async () => {
    backendPolling([{ status: 429, headers: { "retry-after": "7" } }, running, completed]);
    const clock = fakeClock();
    const log = eventLog();
    await asyncRunner(clock).run(asyncInvocation({ "http.poll_max_consecutive_errors": "1" }), log);
    expect(clock.sleeps).toEqual([7000, 2000]);
    const sources = log.events.flatMap((event) => (event.type === "wait" ? [event.source] : []));
    expect(sources).toEqual(["retry-after", "interval"]);
  });

  it("reads Retry-After as an HTTP date relative to the injected clock", async () => {
    const clock = fakeClock();
    const at = new Date(clock.now() + 30_000).toUTCString();
    backendPolling([{ status: 503, headers: { "retry-after": at } }, completed]);
    await asyncRunner(clock).run(asyncInvocation({ "http.poll_max_consecutive_errors": "1" }));
    expect(clock.sleeps).toEqual([30_000]);
  });

  it("honours Retry-After on the kickoff for the first wait", async () => {
    backendPolling([completed], { status: 202, json: { id: "1" }, headers: { "retry-after": "11" } });
    const clock = fakeClock();
    await asyncRunner(clock).run(asyncInvocation());
    expect(clock.sleeps).toEqual([11_000]);
  });

  it("clamps a huge Retry-After to the maximum wait instead of overflowing a timer", async () => {
    backendPolling([{ status: 429, headers: { "retry-after": "99999999999" } }, completed]);
    const clock = fakeClock();
    await asyncRunner(clock).run(asyncInvocation({ "http.poll_max_consecutive_errors": "1" }));
    expect(clock.sleeps).toEqual([MAX_WAIT_MS]);
  });

  it("never waits past the deadline and then ends timed_out naming the poll phase", async () => {
    backendPolling([running]);
    const clock = fakeClock();
    const invocation = asyncInvocation({ "http.poll_interval_seconds": "4" }, { timeout_seconds: 10 });
    const result = await asyncRunner(clock).run(invocation);
    expect(clock.sleeps).toEqual([4000, 4000, 2000]);
    expect(result).toMatchObject({ status: "timed_out", metadata: { "http.polls": "3", "http.last_status": "running" } });
    expect(result.error_summary).toBe(`timed out after 10 s (timeout_seconds) while polling ${API}/runs/1 (3 polls, last status 'running'); the backend job may still be running (run id 1); no cancel request was sent`);
  });

  it("clamps a Retry-After to the time left before the deadline", async () => {
    backendPolling([{ status: 429, headers: { "retry-after": "600" } }]);
    const clock = fakeClock();
    const invocation = asyncInvocation({ "http.poll_max_consecutive_errors": "5" }, { timeout_seconds: 60 });
    const result = await asyncRunner(clock).run(invocation);
    expect(clock.sleeps).toEqual([60_000]);
    expect(result.status).toBe("timed_out");
  });
});

describe(`${AsyncHttpRunner.name} errors while polling`, () => {
  it("fails at once on a 403 while polling, without retrying", async () => {
    const backend = backendPolling([{ status: 403, body: "forbidden" }, completed]);
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({ "http.poll_max_consecutive_errors": "3" }));
    expect(result.status).toBe("failed");
    expect(result.error_summary).toBe(`poll 1 of ${API}/runs/1 answered HTTP 403: forbidden; the backend job may still be running (run id 1); no cancel request was sent`);
    expect(backend.count(`GET ${API}/runs/1`)).toBe(1);
  });

  it("retries 503 within the consecutive-error budget", async () => {
    backendPolling([{ status: 503 }, { status: 503 }, completed]);
    const log = eventLog();
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({ "http.poll_max_consecutive_errors": "2" }), log);
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "3" } });
    expect(log.types().filter((type) => type === "retry")).toHaveLength(2);
  });

  it("fails once the consecutive-error budget is spent", async () => {
    const backend = backendPolling([{ status: 503 }, { status: 502 }, { status: 500, body: "boom" }, completed]);
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({ "http.poll_max_consecutive_errors": "2" }));
    expect(result.status).toBe("failed");
    expect(result.error_summary).toContain("failed 3 times in a row (http.poll_max_consecutive_errors is 2); last error: HTTP 500: boom");
    expect(backend.count(`GET ${API}/runs/1`)).toBe(3);
  });

  it("resets the error budget after a good poll", async () => {
    backendPolling([{ status: 503 }, running, { status: 503 }, completed]);
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({ "http.poll_max_consecutive_errors": "1" }));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "4" } });
  });

  it("retries a network error within the budget", async () => {
    let calls = 0;
    const stub = async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith("/runs")) return Response.json({ id: "1" }, { status: 202 });
      calls += 1;
      if (calls === 1) throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
      void init;
      return Response.json({ status: "completed" });
    };
    const result = await asyncRunner(fakeClock(), { fetch: stub }).run(asyncInvocation({ "http.poll_max_consecutive_errors": "1" }));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "2" } });
  });
});
