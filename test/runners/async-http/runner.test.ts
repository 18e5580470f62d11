import { afterEach, describe, expect, it, vi } from "vitest";
import { AsyncHttpRunner } from "../../../src/runners/async-http/runner.js";
import { API, asyncInvocation, asyncRunner, eventLog, loopbackBackend, loopbackInvocation, useMswServer } from "../../support/async-http.js";
import { fakeClock } from "../../support/fake-clock.js";
import { scriptBackend } from "../../support/msw-backend.js";
import { makeTempDir } from "../../support/temp-dir.js";
import { expectRxpValid } from "../../support/rxp-schema.js";

const server = useMswServer();

describe(AsyncHttpRunner.name, () => {
  it("polls a 202 kickoff until the backend reports completed", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "42" } }],
      [`GET ${API}/runs/42`]: [{ json: { status: "running" } }, { json: { status: "completed" } }],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result).toMatchObject({ status: "succeeded", exit_code: 0, error_summary: null });
    expect(result.metadata).toEqual({
      "http.run_id": "42",
      "http.poll_url": `${API}/runs/42`,
      "http.polls": "2",
      "http.last_status": "completed",
      "http.status_code": "200",
      "http.backend_job": "finished",
    });
    expect(backend.count(`POST ${API}/runs`)).toBe(1);
    expectRxpValid(result);
  });

  it("fails with exit code 1 when the backend reports a failed terminal status", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "42" } }],
      [`GET ${API}/runs/42`]: [{ json: { status: "failed" } }],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result).toMatchObject({ status: "failed", exit_code: 1, error_summary: "backend reported terminal status: failed" });
  });

  it("reads the run id and status at nested dotted paths", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { run: { id: "r-7" } } }],
      [`GET ${API}/runs/r-7`]: [{ json: { run: { status: "running" } } }, { json: { run: { status: "completed" } } }],
    });
    const metadata = { "http.poll_run_id_path": "run.id", "http.poll_status_path": "run.status" };
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(metadata));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.run_id": "r-7", "http.polls": "2" } });
  });

  it.each([
    ["completed", "succeeded"],
    ["failed", "failed"],
  ] as const)("treats a 200 kickoff with terminal status %s as the final answer", async (status, outcome) => {
    const backend = scriptBackend(server, { [`POST ${API}/runs`]: [{ status: 200, json: { id: "1", status } }] });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result).toMatchObject({ status: outcome, metadata: { "http.polls": "0", "http.last_status": status } });
    expect(backend.requests).toHaveLength(1);
  });

  it("falls through to polling after a 200 acknowledgement with a non-terminal status", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 200, json: { accepted: true, status: "started", id: "9" } }],
      [`GET ${API}/runs/9`]: [{ json: { status: "completed" } }],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result.status).toBe("succeeded");
    expect(backend.count(`GET ${API}/runs/9`)).toBe(1);
  });

  it("falls through to polling after a 200 kickoff with no status field", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 200, json: { id: "9" } }],
      [`GET ${API}/runs/9`]: [{ json: { status: "completed" } }],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "1" } });
  });

  it("treats 404 as pending until the worker registers the run", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 200, json: { accepted: true, status: "started", id: "9" } }],
      [`GET ${API}/runs/9`]: [{ status: 404 }, { status: 404 }, { json: { status: "completed" } }],
    });
    const log = eventLog();
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({ "http.poll_pending_codes": "404" }), log);
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "3" } });
    expect(log.types().filter((type) => type === "pending")).toHaveLength(2);
  });

  it("fails on a 503 when 404 is the only pending code and no error is tolerated", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "9" } }],
      [`GET ${API}/runs/9`]: [{ status: 503, body: "overloaded" }],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({ "http.poll_pending_codes": "404" }));
    expect(result.status).toBe("failed");
    expect(result.error_summary).toContain("HTTP 503: overloaded");
  });

  it("rejects every missing required key before sending any request", async () => {
    const backend = scriptBackend(server, {});
    const metadata = { "http.url": undefined, "http.poll_status_path": undefined, "http.poll_terminal_states": undefined };
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(metadata));
    expect(result.status).toBe("rejected");
    for (const key of ["http.url", "http.poll_status_path", "http.poll_terminal_states"]) {
      expect(result.error_summary).toContain(key);
    }
    expect(backend.requests).toHaveLength(0);
  });

  it("rejects a run id template without http.poll_run_id_path", async () => {
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({ "http.poll_run_id_path": undefined }));
    expect(result.status).toBe("rejected");
    expect(result.error_summary).toContain("http.poll_run_id_path");
  });

  it("fails with the code and a body preview when the kickoff answers 500", async () => {
    scriptBackend(server, { [`POST ${API}/runs`]: [{ status: 500, body: "database is down" }] });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result).toMatchObject({ status: "failed", exit_code: null });
    expect(result.error_summary).toBe(`kickoff POST ${API}/runs answered HTTP 500: database is down`);
  });

  it("fails naming the path when the kickoff body has no run id", async () => {
    scriptBackend(server, { [`POST ${API}/runs`]: [{ status: 202, json: { ok: true } }] });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result.status).toBe("failed");
    expect(result.error_summary).toContain("no run id at 'id' (http.poll_run_id_path)");
  });

  it.each([
    ["a missing status", { state: "done" }, "has no status at 'status'"],
    ["a status that is an object", { status: { phase: "done" } }, "has an object at 'status'"],
    ["a body that is not JSON", "<html>oops</html>", "is not JSON"],
  ])("fails naming the path for a poll body with %s", async (_, body, expected) => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [typeof body === "string" ? { body } : { json: body }],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result.status).toBe("failed");
    expect(result.error_summary).toContain(expected);
  });

  it("polls the Location header of the kickoff, resolved against the kickoff URL", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, headers: { location: "/status/abc" } }],
      [`GET ${API}/status/abc`]: [{ json: { status: "completed" } }],
    });
    const metadata = { "http.poll_url_template": undefined, "http.poll_run_id_path": undefined };
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(metadata));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.poll_url": `${API}/status/abc` } });
  });

  it("prefers the Operation-Location header over Location", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, headers: { location: "/result/abc", "operation-location": `${API}/ops/abc` } }],
      [`GET ${API}/ops/abc`]: [{ json: { status: "completed" } }],
    });
    const metadata = { "http.poll_url_template": undefined, "http.poll_run_id_path": undefined };
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(metadata));
    expect(result.metadata["http.poll_url"]).toBe(`${API}/ops/abc`);
  });

  it("fails telling to set http.poll_url_template when the kickoff gives no status URL", async () => {
    scriptBackend(server, { [`POST ${API}/runs`]: [{ status: 202, json: {} }] });
    const metadata = { "http.poll_url_template": undefined, "http.poll_run_id_path": undefined };
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(metadata));
    expect(result.status).toBe("failed");
    expect(result.error_summary).toContain("set http.poll_url_template");
  });

  it("URL-encodes the run id in the poll template", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "a/b c" } }],
      [`GET ${API}/runs/a%2Fb%20c`]: [{ json: { status: "completed" } }],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result.metadata["http.poll_url"]).toBe(`${API}/runs/a%2Fb%20c`);
  });

  it("ends cancelled when the backend reports a cancelled state", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ json: { status: "cancelled" } }],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation());
    expect(result).toMatchObject({ status: "cancelled", exit_code: null, error_summary: "backend reported terminal status: cancelled" });
  });

  it("copies the value at http.result_path to http.result as JSON", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ json: { status: "completed", output: { answer: 42 } } }],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({ "http.result_path": "output" }));
    expect(result.metadata["http.result"]).toBe('{"answer":42}');
  });

  it("saves the terminal body as response.json in artifact_directory", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ json: { status: "completed", n: 1 } }],
    });
    const directory = await makeTempDir();
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({}, { artifact_directory: directory }));
    expect(result.artifacts).toEqual([expect.objectContaining({ path: `${directory}/response.json`, kind: "http_response" })]);
    const { readFile } = await import("node:fs/promises");
    expect(JSON.parse(await readFile(`${directory}/response.json`, "utf8"))).toEqual({ status: "completed", n: 1 });
    expectRxpValid(result);
  });

  it("sends the invocation id in the idempotency key header of the kickoff only", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ json: { status: "completed" } }],
    });
    await asyncRunner(fakeClock()).run(asyncInvocation({ "http.idempotency_key_header": "Idempotency-Key" }));
    expect(backend.requests.map((request) => request.headers["idempotency-key"])).toEqual(["inv-1", undefined]);
  });

  it("sends the kickoff body as JSON with http.headers on every request", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ json: { status: "completed" } }],
    });
    const metadata = { "http.body": '{"job":"build"}', "http.headers": '{"X-Team":"infra"}' };
    await asyncRunner(fakeClock()).run(asyncInvocation(metadata));
    expect(backend.requests[0]).toMatchObject({ body: '{"job":"build"}', headers: { "content-type": "application/json", "x-team": "infra" } });
    expect(backend.requests[1]?.headers["x-team"]).toBe("infra");
  });

  it("emits kickoff, accepted, poll, wait and terminal events in order", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "42" } }],
      [`GET ${API}/runs/42`]: [{ json: { status: "running" } }, { json: { status: "completed" } }],
    });
    const log = eventLog();
    await asyncRunner(fakeClock()).run(asyncInvocation(), log);
    expect(log.types()).toEqual(["kickoff", "accepted", "poll", "wait", "poll", "terminal"]);
    expect(log.events[5]).toMatchObject({ type: "terminal", status: "completed", outcome: "succeeded" });
    expect(log.events[1]).toMatchObject({ checkpoint: { version: 1, pollUrl: `${API}/runs/42`, runId: "42" } });
  });
});

describe("AsyncHttpRunner under a test's fake timers", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ends a run on its default transport while every timer is fake, the answers handed over all the same", async () => {
    const backend = await loopbackBackend([{ status: 202, json: { id: "7" } }, { json: { status: "running" } }, { json: { status: "completed" } }]);
    const runner = new AsyncHttpRunner();
    vi.useFakeTimers();
    const result = await runner.run(loopbackInvocation(backend.origin));
    vi.useRealTimers();
    await runner.close();
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "2" } });
  });
});
