import { describe, expect, it } from "vitest";
import { RuntimeInvocationSchema } from "../../src/contracts/invocation.js";
import { HttpRunner } from "../../src/runners/http.js";
import { API, useMswServer } from "../support/async-http.js";
import { fakeClock } from "../support/fake-clock.js";
import { scriptBackend } from "../support/msw-backend.js";
import { expectRxpValid } from "../support/rxp-schema.js";

const server = useMswServer();

function httpInvocation(metadata: Record<string, string>, fields: Record<string, unknown> = {}) {
  return RuntimeInvocationSchema.parse({
    invocation_id: "inv-1",
    runtime_name: "hook",
    runtime_kind: "http",
    metadata: { "http.url": `${API}/hooks/build`, ...metadata },
    ...fields,
  });
}

function httpRunner(options: ConstructorParameters<typeof HttpRunner>[0] = {}) {
  const clock = fakeClock();
  return new HttpRunner({ fetch: (input, init) => globalThis.fetch(input, init), now: clock.now, sleep: clock.sleep, ...options });
}

describe(HttpRunner.name, () => {
  it("succeeds on a 2xx answer with the HTTP status as exit code", async () => {
    scriptBackend(server, { [`POST ${API}/hooks/build`]: [{ status: 201, json: { ok: true } }] });
    const result = await httpRunner().run(httpInvocation({}));
    expect(result).toMatchObject({ status: "succeeded", exit_code: 201, error_summary: null, metadata: { "http.status_code": "201" } });
    expectRxpValid(result);
  });

  it("fails on a non-2xx answer with the code and a body preview", async () => {
    scriptBackend(server, { [`POST ${API}/hooks/build`]: [{ status: 422, body: "missing branch" }] });
    const result = await httpRunner().run(httpInvocation({}));
    expect(result).toMatchObject({ status: "failed", exit_code: 422 });
    expect(result.error_summary).toBe(`POST ${API}/hooks/build answered HTTP 422: missing branch`);
  });

  it("sends the method, the form body and the headers from metadata", async () => {
    const backend = scriptBackend(server, { [`PUT ${API}/hooks/build`]: [{ status: 204 }] });
    const metadata = { "http.method": "PUT", "http.body": '{"branch":"main","n":2}', "http.body_format": "form", "http.headers": '{"X-Token":"tok-123456"}' };
    const result = await httpRunner().run(httpInvocation(metadata));
    expect(result.status).toBe("succeeded");
    expect(backend.requests[0]).toMatchObject({
      body: "branch=main&n=2",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-token": "tok-123456" },
    });
  });

  it("rejects metadata keys that belong to the asynchronous runner, naming them", async () => {
    const result = await httpRunner().run(httpInvocation({ "http.poll_status_path": "status" }));
    expect(result.status).toBe("rejected");
    expect(result.error_summary).toContain("http.poll_status_path");
  });

  it("ends cancelled without a request when the signal is already aborted", async () => {
    const backend = scriptBackend(server, { [`POST ${API}/hooks/build`]: [{ status: 200 }] });
    const result = await httpRunner().run(httpInvocation({}), { signal: AbortSignal.abort() });
    expect(result.status).toBe("cancelled");
    expect(backend.requests).toHaveLength(0);
  });

  it("fails naming the error when the request cannot connect", async () => {
    const fetch = async () => {
      throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    };
    const result = await httpRunner({ fetch }).run(httpInvocation({}));
    expect(result.status).toBe("failed");
    expect(result.error_summary).toBe(`POST ${API}/hooks/build failed: connection refused (ECONNREFUSED)`);
  });
});
