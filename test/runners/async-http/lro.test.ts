import { describe, expect, it } from "vitest";
import { RuntimeInvocationSchema, type RuntimeInvocation } from "../../../src/contracts/invocation.js";
import { AsyncHttpRunner } from "../../../src/runners/async-http/runner.js";
import { API, asyncRunner, eventLog, useMswServer } from "../../support/async-http.js";
import { fakeClock } from "../../support/fake-clock.js";
import { scriptBackend } from "../../support/msw-backend.js";
import { expectRxpValid } from "../../support/rxp-schema.js";

const server = useMswServer();

/**
 * An http_async invocation of protocol lro: `method` on `${API}/resources/1` (PUT, PATCH, DELETE) or `${API}/jobs`
 * (POST), polled every second of the fake clock, and bounded by a deadline so that a run that never ends fails.
 */
function lroInvocation(method: string, metadata: Record<string, string> = {}): RuntimeInvocation {
  const url = method === "PUT" || method === "PATCH" || method === "DELETE" ? `${API}/resources/1` : `${API}/jobs`;
  return RuntimeInvocationSchema.parse({
    invocation_id: "inv-1",
    runtime_name: "arm",
    runtime_kind: "http_async",
    timeout_seconds: 600,
    metadata: { "http.url": url, "http.method": method, "http.poll_protocol": "lro", "http.poll_interval_seconds": "1", ...metadata },
  });
}

const status = (word: string, extra: object = {}) => ({ json: { status: word, ...extra } });
const resource = (state?: string) => ({ json: state === undefined ? { id: "r1" } : { id: "r1", properties: { provisioningState: state } } });

describe(`${AsyncHttpRunner.name} protocol lro: the status monitor`, () => {
  it("polls Operation-Location first, reads its status document, then reads the result at the kickoff's Location (POST)", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { "operation-location": `${API}/ops/1`, "azure-asyncoperation": `${API}/aao/1`, location: `${API}/result/1` } }],
      [`GET ${API}/ops/1`]: [status("NotStarted"), status("Running"), status("Succeeded")],
      [`GET ${API}/result/1`]: [{ json: { answer: 42 } }],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST", { "http.result_path": "answer" }));
    expect(result).toMatchObject({
      status: "succeeded",
      exit_code: 0,
      metadata: {
        "http.poll_mode": "operation-location",
        "http.poll_url": `${API}/ops/1`,
        "http.final_url": `${API}/result/1`,
        "http.polls": "3",
        "http.last_status": "Succeeded",
        "http.result": "42",
      },
    });
    expect(backend.requests.map((request) => request.url)).toEqual([`${API}/jobs`, `${API}/ops/1`, `${API}/ops/1`, `${API}/ops/1`, `${API}/result/1`]);
    expectRxpValid(result);
  });

  it("polls Azure-AsyncOperation before Location, and reads a PUT's result at the request URL", async () => {
    const backend = scriptBackend(server, {
      [`PUT ${API}/resources/1`]: [{ status: 201, headers: { "azure-asyncoperation": `${API}/aao/2`, location: `${API}/never` }, ...resource("Accepted") }],
      [`GET ${API}/aao/2`]: [status("InProgress"), status("Succeeded")],
      [`GET ${API}/resources/1`]: [resource("Succeeded")],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("PUT"));
    expect(result).toMatchObject({
      status: "succeeded",
      metadata: { "http.poll_mode": "azure-async-operation", "http.final_url": `${API}/resources/1`, "http.polls": "2" },
    });
    expect(backend.count(`GET ${API}/never`)).toBe(0);
  });

  it("fails naming the missing status when an operation-status document has none", async () => {
    scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { "operation-location": `${API}/ops/1` } }],
      [`GET ${API}/ops/1`]: [{ json: {} }],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST"));
    expect(result).toMatchObject({ status: "failed" });
    expect(result.error_summary).toBe(`poll 1 response from ${API}/ops/1 has no 'status' (an operation-status document must carry one): {}; the backend job may still be running (its run id is unknown); no cancel request was sent`);
  });

  it("fails when an operation-status document is not JSON", async () => {
    scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { "operation-location": `${API}/ops/1` } }],
      [`GET ${API}/ops/1`]: [{ body: '{"status":"Accep' }],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST"));
    expect(result.error_summary).toBe(`poll 1 response from ${API}/ops/1 is not JSON: {"status":"Accep; the backend job may still be running (its run id is unknown); no cancel request was sent`);
  });

  it("reads nothing after a DELETE, even with a Location: the monitor's last document is the result", async () => {
    const backend = scriptBackend(server, {
      [`DELETE ${API}/resources/1`]: [{ status: 202, headers: { "azure-asyncoperation": `${API}/aao/1`, location: `${API}/gone/1` } }],
      [`GET ${API}/aao/1`]: [status("Succeeded")],
      [`GET ${API}/gone/1`]: [{ status: 404, body: "must not be read" }],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("DELETE"));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "1", "http.poll_mode": "azure-async-operation" } });
    expect(backend.count(`GET ${API}/gone/1`)).toBe(0);
  });

  it("takes a 200 whose body carries a terminal provisioningState as final, whatever monitor header it also carries (PATCH)", async () => {
    const backend = scriptBackend(server, {
      [`PATCH ${API}/resources/1`]: [{ status: 200, headers: { "azure-asyncoperation": `${API}/aao/1` }, ...resource("Succeeded") }],
      [`GET ${API}/aao/1`]: [{ status: 500, body: "must not be called" }],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("PATCH"));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "0", "http.last_status": "Succeeded" } });
    expect(backend.count(`GET ${API}/aao/1`)).toBe(0);
  });

  it("fails a 200 kickoff whose JSON body does not parse, instead of taking it as done (PUT)", async () => {
    scriptBackend(server, {
      [`PUT ${API}/resources/1`]: [{ status: 200, headers: { "content-type": "application/json" }, body: '{"id": "r1", "properties": {"provisioningSta' }],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("PUT"));
    expect(result).toMatchObject({ status: "failed", metadata: { "failure_kind": "malformed_answer" } });
    expect(result.error_summary).toMatch(/^kickoff answered HTTP 200 with a body that is not JSON: \{"id": "r1"/);
  });

  it("reads the status from the document whatever the 2xx code of the poll", async () => {
    scriptBackend(server, {
      [`DELETE ${API}/resources/1`]: [{ status: 202, headers: { "operation-location": `${API}/ops/1` } }],
      [`GET ${API}/ops/1`]: [{ status: 202, json: { status: "Accepted" } }, status("Succeeded")],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("DELETE"));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "2" } });
    expect(result.metadata["http.final_url"]).toBeUndefined();
  });

  it.each([
    ["succeeded", "succeeded"],
    ["SUCCEEDED", "succeeded"],
    ["Failed", "failed"],
    ["failed", "failed"],
    ["Canceled", "cancelled"],
    ["cancelled", "cancelled"],
  ] as const)("reads the state %s as %s, in any case", async (word, outcome) => {
    scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { "azure-asyncoperation": `${API}/aao/1` } }],
      [`GET ${API}/aao/1`]: [status(word)],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST"));
    expect(result.status).toBe(outcome);
  });

  it("says what the backend reported about a failed operation", async () => {
    scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { "operation-location": `${API}/ops/1`, location: `${API}/result/1` } }],
      [`GET ${API}/ops/1`]: [status("Failed", { error: { code: "BadArgument", message: "name is taken" } })],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST"));
    expect(result).toMatchObject({ status: "failed", exit_code: 1, error_summary: "backend reported terminal status: Failed (BadArgument: name is taken)" });
  });
});

describe(`${AsyncHttpRunner.name} protocol lro: a Location polled by its HTTP code`, () => {
  it("takes 202 as running and the 200 that follows as done, with that answer as the result", async () => {
    scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { location: `${API}/loc/1`, "retry-after": "0" } }],
      [`GET ${API}/loc/1`]: [{ status: 202 }, { json: { name: "sku", size: 3 } }],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST", { "http.result_path": "size" }));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.poll_mode": "location", "http.polls": "2", "http.result": "3" } });
  });

  it("takes a 204 after 202s as done (DELETE)", async () => {
    scriptBackend(server, {
      [`DELETE ${API}/resources/1`]: [{ status: 202, headers: { location: `${API}/loc/3` } }],
      [`GET ${API}/loc/3`]: [{ status: 202 }, { status: 202 }, { status: 204 }],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("DELETE"));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "3", "http.last_status": "204" } });
  });

  it("fails on a 404, unless http.poll_pending_codes lists it", async () => {
    const script = {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { location: `${API}/loc/1` } }],
      [`GET ${API}/loc/1`]: [{ status: 404, body: "no such operation" }, { status: 200, json: {} }],
    };
    scriptBackend(server, script);
    const failed = await asyncRunner(fakeClock()).run(lroInvocation("POST"));
    expect(failed).toMatchObject({ status: "failed", error_summary: `poll 1 of ${API}/loc/1 answered HTTP 404: no such operation; the backend job may still be running (its run id is unknown); no cancel request was sent` });
    server.resetHandlers();
    scriptBackend(server, script);
    const pending = await asyncRunner(fakeClock()).run(lroInvocation("POST", { "http.poll_pending_codes": "404" }));
    expect(pending).toMatchObject({ status: "succeeded", metadata: { "http.polls": "2" } });
  });

  it("lets a terminal status in the body of a 200 decide", async () => {
    scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { location: `${API}/loc/1` } }],
      [`GET ${API}/loc/1`]: [status("Failed")],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST"));
    expect(result).toMatchObject({ status: "failed", error_summary: "backend reported terminal status: Failed" });
  });

  it("follows a Location that moves on a poll answer", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { location: `${API}/a` } }],
      [`GET ${API}/a`]: [{ status: 202, headers: { location: "/b" } }],
      [`GET ${API}/b`]: [{ status: 202 }, { json: { done: true } }],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST"));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.poll_url": `${API}/b`, "http.polls": "3" } });
    expect(backend.requests.map((request) => request.url)).toEqual([`${API}/jobs`, `${API}/a`, `${API}/b`, `${API}/b`]);
  });

  it("follows an operation monitor's own header when it moves, and resolves relative URLs", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { "operation-location": "ops/1" } }],
      [`GET ${API}/ops/1`]: [{ ...status("Running"), headers: { "operation-location": `${API}/ops/2` } }],
      [`GET ${API}/ops/2`]: [status("Succeeded")],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST"));
    expect(result.status).toBe("succeeded");
    expect(backend.requests.map((request) => request.url)).toEqual([`${API}/jobs`, `${API}/ops/1`, `${API}/ops/2`]);
  });
});

describe(`${AsyncHttpRunner.name} protocol lro: the resource itself`, () => {
  it.each([
    ["Succeeded", "succeeded"],
    ["Failed", "failed"],
    ["Canceled", "cancelled"],
  ] as const)("polls the request URL of a PUT that answered 201 Creating until %s", async (state, outcome) => {
    scriptBackend(server, {
      [`PUT ${API}/resources/1`]: [{ status: 201, ...resource("Creating") }],
      [`GET ${API}/resources/1`]: [resource("Creating"), resource(state)],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("PUT"));
    expect(result).toMatchObject({ status: outcome, metadata: { "http.poll_mode": "body", "http.polls": "2", "http.last_status": state } });
  });

  it("takes a polled resource without provisioningState as done", async () => {
    scriptBackend(server, {
      [`PATCH ${API}/resources/1`]: [{ status: 202 }],
      [`GET ${API}/resources/1`]: [resource()],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("PATCH"));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.poll_mode": "body", "http.polls": "1" } });
  });

  it.each([
    ["a 204", { status: 204 }, "204"],
    ["a 200 without provisioningState", { status: 200, json: { id: "100" } }, "200"],
    ["a 200 with provisioningState Succeeded", { status: 200, ...resource("Succeeded") }, "Succeeded"],
  ])("takes %s kickoff with no monitor header as the final answer", async (_, kickoff, last) => {
    const backend = scriptBackend(server, { [`PUT ${API}/resources/1`]: [kickoff] });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("PUT"));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "0", "http.last_status": last } });
    expect(backend.requests).toHaveLength(1);
  });

  it("fails a POST answered 202 with nothing to poll", async () => {
    scriptBackend(server, { [`POST ${API}/jobs`]: [{ status: 202 }] });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST"));
    expect(result).toMatchObject({
      status: "failed",
      error_summary:
        "kickoff answered HTTP 202 with no Operation-Location, Azure-AsyncOperation or Location header: nothing to poll; the backend job may still be running (its run id is unknown); no cancel request was sent",
    });
  });
});

describe(`${AsyncHttpRunner.name} protocol lro: the final result`, () => {
  const operation = (via: string | undefined, method = "POST") => {
    const url = method === "POST" ? `${API}/jobs` : `${API}/resources/1`;
    const backend = scriptBackend(server, {
      [`${method} ${url}`]: [{ status: 202, headers: { "azure-asyncoperation": `${API}/aao/1`, "operation-location": `${API}/ops/1`, location: `${API}/loc/1` } }],
      [`GET ${API}/ops/1`]: [status("Succeeded", { result: { from: "monitor" } })],
      [`GET ${API}/loc/1`]: [{ json: { from: "location" } }],
      [`GET ${url}`]: [{ json: { from: "original" } }],
    });
    const metadata: Record<string, string> = { "http.result_path": "from" };
    if (via !== undefined) metadata["http.final_state_via"] = via;
    return { backend, invocation: lroInvocation(method, metadata) };
  };

  it.each([
    ["location", '"location"'],
    ["original-uri", '"original"'],
    ["operation-location", undefined],
    ["azure-async-operation", undefined],
  ])("reads the result as http.final_state_via %s says", async (via, from) => {
    const { invocation } = operation(via);
    const result = await asyncRunner(fakeClock()).run(invocation);
    expect(result.status).toBe("succeeded");
    expect(result.metadata["http.result"]).toBe(from);
  });

  it("keeps the monitor's last document as the result when the final read is its own", async () => {
    const { invocation } = operation("operation-location");
    const result = await asyncRunner(fakeClock()).run({ ...invocation, metadata: { ...invocation.metadata, "http.result_path": "result.from" } });
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.result": '"monitor"' } });
    expect(result.metadata["http.final_url"]).toBeUndefined();
  });

  it("reads a PATCH's result at the request URL by default", async () => {
    const { invocation } = operation(undefined, "PATCH");
    expect(await asyncRunner(fakeClock()).run(invocation)).toMatchObject({ metadata: { "http.result": '"original"', "http.final_url": `${API}/resources/1` } });
  });

  it("fails the run, naming the final read, when the result cannot be read", async () => {
    scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { "operation-location": `${API}/ops/1`, location: `${API}/result/1` } }],
      [`GET ${API}/ops/1`]: [status("Succeeded")],
      [`GET ${API}/result/1`]: [{ status: 404, body: "gone" }],
    });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST"));
    expect(result).toMatchObject({ status: "failed", error_summary: `final GET of ${API}/result/1 answered HTTP 404: gone` });
  });

  it("reads the result again after a transient failure, within the error budget", async () => {
    const clock = fakeClock();
    scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { "operation-location": `${API}/ops/1`, location: `${API}/result/1` } }],
      [`GET ${API}/ops/1`]: [status("Succeeded")],
      [`GET ${API}/result/1`]: [{ status: 503 }, { json: { ok: true } }],
    });
    const result = await asyncRunner(clock).run(lroInvocation("POST", { "http.poll_max_consecutive_errors": "1" }));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "1" } });
    expect(clock.sleeps).toEqual([1000]);
  });
});

describe(`${AsyncHttpRunner.name} protocol lro: the choice of protocol`, () => {
  const archonAck = { status: 200, json: { accepted: true, status: "started" } };

  it("takes an acknowledgement without a monitor header as the final answer, as the conventions say", async () => {
    scriptBackend(server, { [`POST ${API}/jobs`]: [archonAck] });
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST"));
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "0" } });
  });

  it("never falls back to lro when protocol status lacks its status path", async () => {
    const invocation = lroInvocation("POST");
    const { "http.poll_protocol": _, ...statusMetadata } = invocation.metadata;
    const result = await asyncRunner(fakeClock()).run({ ...invocation, metadata: statusMetadata });
    expect(result).toMatchObject({ status: "rejected" });
    expect(result.error_summary).toContain('metadata["http.poll_status_path"] is required');
  });

  it("rejects the keys of protocol status with lro, saying why", async () => {
    const result = await asyncRunner(fakeClock()).run(lroInvocation("POST", { "http.poll_status_path": "status", "http.poll_url_template": "/ops/{run_id}" }));
    expect(result.status).toBe("rejected");
    expect(result.error_summary).toContain(
      "http.poll_url_template\"] must not be set with http.poll_protocol lro: the status URL comes from the kickoff's Operation-Location, Azure-AsyncOperation or Location header",
    );
    expect(result.error_summary).toContain('http.poll_status_path"] must not be set with http.poll_protocol lro');
  });

  it("resumes from its checkpoint with the monitor's mode and the result URL", async () => {
    scriptBackend(server, {
      [`POST ${API}/jobs`]: [{ status: 202, headers: { "operation-location": `${API}/ops/1`, location: `${API}/result/1` } }],
      [`GET ${API}/ops/1`]: [status("Running"), status("Succeeded")],
      [`GET ${API}/result/1`]: [{ json: { n: 1 } }],
    });
    const log = eventLog();
    const controller = new AbortController();
    const first = await asyncRunner(fakeClock()).run(lroInvocation("POST"), {
      signal: controller.signal,
      onEvent: (event) => {
        log.onEvent(event);
        if (event.type === "poll") controller.abort();
      },
    });
    expect(first.status).toBe("cancelled");
    const accepted = log.events.find((event) => event.type === "accepted");
    const checkpoint = accepted?.type === "accepted" ? accepted.checkpoint : undefined;
    expect(checkpoint).toMatchObject({ pollMode: "operation-location", resultUrl: `${API}/result/1` });
    const resumed = await asyncRunner(fakeClock()).run(lroInvocation("POST", { "http.result_path": "n" }), { resume: checkpoint! });
    expect(resumed).toMatchObject({ status: "succeeded", metadata: { "http.result": "1", "http.final_url": `${API}/result/1` } });
  });
});
