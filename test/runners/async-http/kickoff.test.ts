import { describe, expect, it } from "vitest";
import { AsyncHttpRunner } from "../../../src/runners/async-http/runner.js";
import { API, asyncInvocation, asyncRunner, eventLog, useMswServer } from "../../support/async-http.js";
import { fakeClock } from "../../support/fake-clock.js";
import { scriptBackend } from "../../support/msw-backend.js";

const server = useMswServer();

const completed = { json: { status: "completed" } };
const accepted = { status: 202, json: { id: "1" } };

describe(`${AsyncHttpRunner.name} kickoff retries`, () => {
  it("sends a PUT kickoff again after a 500, with the wait of a poll, and goes on with the run", async () => {
    const backend = scriptBackend(server, {
      [`PUT ${API}/runs`]: [{ status: 500, body: "busy" }, { status: 201, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [completed],
    });
    const clock = fakeClock();
    const log = eventLog();
    const result = await asyncRunner(clock).run(asyncInvocation({ "http.method": "PUT" }), log);
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "1" } });
    expect(backend.count(`PUT ${API}/runs`)).toBe(2);
    expect(clock.sleeps).toEqual([2000]);
    expect(log.types()).toEqual(["kickoff", "retry", "wait", "kickoff", "accepted", "poll", "terminal"]);
    expect(log.events[1]).toMatchObject({ type: "retry", attempt: 1, error: "HTTP 500: busy" });
  });

  it("never sends a POST kickoff twice without an idempotency key", async () => {
    const backend = scriptBackend(server, { [`POST ${API}/runs`]: [{ status: 503, body: "busy" }, accepted] });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result).toMatchObject({ status: "failed", error_summary: `kickoff POST ${API}/runs answered HTTP 503: busy` });
    expect(backend.count(`POST ${API}/runs`)).toBe(1);
  });

  it("sends a POST kickoff again when it carries an idempotency key, the same key each time", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 500 }, accepted],
      [`GET ${API}/runs/1`]: [completed],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({ "http.idempotency_key_header": "Idempotency-Key" }));
    expect(result.status).toBe("succeeded");
    const keys = backend.requests.filter((request) => request.method === "POST").map((request) => request.headers["idempotency-key"]);
    expect(keys).toEqual(["inv-1", "inv-1"]);
  });

  it("rejects http.kickoff_max_retries above 0 for a POST without an idempotency key, sending nothing", async () => {
    const backend = scriptBackend(server, { [`POST ${API}/runs`]: [accepted] });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({ "http.kickoff_max_retries": "1" }));
    expect(result.status).toBe("rejected");
    expect(result.error_summary).toContain(
      'metadata["http.kickoff_max_retries"] must be 0 for a POST kickoff without http.idempotency_key_header: the backend may already hold the job',
    );
    expect(backend.requests).toEqual([]);
  });

  it("waits out a 429's Retry-After before it sends a DELETE kickoff again", async () => {
    scriptBackend(server, {
      [`DELETE ${API}/runs`]: [{ status: 429, headers: { "retry-after": "7" } }, accepted],
      [`GET ${API}/runs/1`]: [completed],
    });
    const clock = fakeClock();
    const result = await asyncRunner(clock).run(asyncInvocation({ "http.method": "DELETE" }));
    expect(result.status).toBe("succeeded");
    expect(clock.sleeps).toEqual([7000]);
  });

  it("fails once the retries are spent, saying which attempt it was", async () => {
    const backend = scriptBackend(server, { [`PUT ${API}/runs`]: [{ status: 502, body: "down" }] });
    const metadata = { "http.method": "PUT", "http.kickoff_max_retries": "2", "http.poll_backoff": "2" };
    const clock = fakeClock();
    const result = await asyncRunner(clock).run(asyncInvocation(metadata));
    expect(result).toMatchObject({
      status: "failed",
      error_summary: `kickoff PUT ${API}/runs (attempt 3; http.kickoff_max_retries is 2) answered HTTP 502: down`,
    });
    expect(backend.count(`PUT ${API}/runs`)).toBe(3);
    expect(clock.sleeps).toEqual([2000, 4000]);
  });

  it("retries a kickoff that met a network error, where that is safe", async () => {
    let kickoffs = 0;
    const fetch = async (_input: string | URL | Request, init?: RequestInit) => {
      if (init?.method === "GET") return Response.json({ status: "completed" });
      kickoffs += 1;
      if (kickoffs === 1) throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
      return Response.json({ id: "1" }, { status: 202 });
    };
    const result = await asyncRunner(fakeClock(), { fetch }).run(asyncInvocation({ "http.method": "PUT" }));
    expect(result.status).toBe("succeeded");
    expect(kickoffs).toBe(2);
  });
});

describe(`${AsyncHttpRunner.name} acknowledgement and first poll`, () => {
  it("takes a 202 as an acknowledgement even when its body carries a terminal status", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1", status: "completed" } }],
      [`GET ${API}/runs/1`]: [{ json: { status: "failed" } }],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result).toMatchObject({ status: "failed", metadata: { "http.polls": "1", "http.last_status": "failed" } });
    expect(backend.count(`GET ${API}/runs/1`)).toBe(1);
  });

  it("waits http.poll_initial_delay_seconds before the first poll, then the interval", async () => {
    scriptBackend(server, { [`POST ${API}/runs`]: [accepted], [`GET ${API}/runs/1`]: [{ json: { status: "running" } }, completed] });
    const clock = fakeClock();
    await asyncRunner(clock).run(asyncInvocation({ "http.poll_initial_delay_seconds": "5", "http.poll_interval_seconds": "1" }));
    expect(clock.sleeps).toEqual([5000, 1000]);
  });

  it("lets a Retry-After on the acknowledgement win over the initial delay", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ ...accepted, headers: { "retry-after": "1" } }],
      [`GET ${API}/runs/1`]: [completed],
    });
    const clock = fakeClock();
    await asyncRunner(clock).run(asyncInvocation({ "http.poll_initial_delay_seconds": "30" }));
    expect(clock.sleeps).toEqual([1000]);
  });

  it("matches the state lists without regard to case", async () => {
    scriptBackend(server, { [`POST ${API}/runs`]: [accepted], [`GET ${API}/runs/1`]: [{ json: { status: "Running" } }, { json: { status: "COMPLETED" } }] });
    const metadata = { "http.poll_terminal_states": "Completed,Failed" };
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(metadata));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.last_status": "COMPLETED" } });
  });
});
