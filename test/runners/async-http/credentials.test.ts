import { describe, expect, it } from "vitest";
import { AsyncHttpRunner } from "../../../src/runners/async-http/runner.js";
import { HttpRunner } from "../../../src/runners/http.js";
import type { HeaderRequest } from "../../../src/http/runner-options.js";
import { RuntimeInvocationSchema } from "../../../src/contracts/invocation.js";
import { API, asyncInvocation, asyncRunner, eventLog, useMswServer } from "../../support/async-http.js";
import { fakeClock } from "../../support/fake-clock.js";
import { scriptBackend } from "../../support/msw-backend.js";

const server = useMswServer();

/** A secret that hands out a new token on every call: tok-1, tok-2, ... */
function rotatingToken() {
  let calls = 0;
  return { token: () => `tok-${++calls}`, calls: () => calls };
}

const TOKEN_HEADER = { "http.headers": '{"x-slurm-user-token": "{secret:SLURM_JWT}", "x-slurm-user-name": "ci"}' };

describe(`${AsyncHttpRunner.name} credentials`, () => {
  it("resolves a secret when each request is built, so every request carries a fresh value", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ json: { status: "running" } }, { json: { status: "completed" } }],
    });
    const secret = rotatingToken();
    const result = await asyncRunner(fakeClock(), { secrets: { SLURM_JWT: secret.token } }).run(asyncInvocation(TOKEN_HEADER));
    expect(result.status).toBe("succeeded");
    expect(backend.requests.map((request) => request.headers["x-slurm-user-token"])).toEqual(["tok-1", "tok-2", "tok-3"]);
    expect(backend.requests.every((request) => request.headers["x-slurm-user-name"] === "ci")).toBe(true);
  });

  it("after a 401 on a poll resolves the secrets again and repeats the poll once, counting no error", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ status: 401, body: "Authentication failure" }, { json: { status: "completed" } }],
    });
    const secret = rotatingToken();
    const log = eventLog();
    const result = await asyncRunner(fakeClock(), { secrets: { SLURM_JWT: secret.token } }).run(asyncInvocation(TOKEN_HEADER), log);
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "2" } });
    expect(backend.requests.slice(1).map((request) => request.headers["x-slurm-user-token"])).toEqual(["tok-2", "tok-3"]);
    expect(log.types()).toEqual(["kickoff", "accepted", "poll", "retry", "poll", "terminal"]);
  });

  it("tells a secret function that the value it gave was refused, so that a cached token is fetched anew", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ status: 401, body: "Authentication failure" }, { json: { status: "completed" } }],
    });
    const refreshes: boolean[] = [];
    const secret = ({ refresh }: { refresh: boolean }) => {
      refreshes.push(refresh);
      return refresh ? "fresh-token" : "cached-token";
    };
    const result = await asyncRunner(fakeClock(), { secrets: { SLURM_JWT: secret } }).run(asyncInvocation(TOKEN_HEADER));
    expect(result.status).toBe("succeeded");
    expect(refreshes).toEqual([false, false, true]);
  });

  it("fails a poll answered 401 twice in a row, the second time with the refreshed secret", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ status: 401, body: "Authentication failure" }],
    });
    const result = await asyncRunner(fakeClock(), { secrets: { SLURM_JWT: rotatingToken().token } }).run(asyncInvocation(TOKEN_HEADER));
    expect(result).toMatchObject({ status: "failed", metadata: { failure_kind: "poll_refused", "http.polls": "2" } });
    expect(result.error_summary).toMatch(/^poll 2 of https:\/\/api\.test\/runs\/1 answered HTTP 401: Authentication failure/);
  });

  it("rejects, sending nothing, an invocation that names a secret the runner does not have, naming the secrets it has", async () => {
    const backend = scriptBackend(server, {});
    const result = await asyncRunner(fakeClock(), { secrets: { API_TOKEN: "t" } }).run(asyncInvocation(TOKEN_HEADER));
    expect(result).toMatchObject({
      status: "rejected",
      error_summary:
        'invalid http_async metadata: metadata["http.headers"] uses {secret:SLURM_JWT}, which the runner does not have: it has API_TOKEN',
      metadata: { failure_kind: "invalid_input", "http.backend_job": "not_started" },
    });
    expect(backend.requests).toEqual([]);
  });

  it("rejects, sending nothing, an invocation whose id would make a header carry a secret of the runner's", async () => {
    const backend = scriptBackend(server, {});
    const metadata = { "http.headers": '{"x-job": "job {invocation_id}"}' };
    const result = await asyncRunner(fakeClock(), { secrets: { API_TOKEN: "t0ps3cret" } }).run(asyncInvocation(metadata, { invocation_id: "{secret:API_TOKEN}" }));
    expect(result).toMatchObject({
      status: "rejected",
      error_summary:
        "invalid http_async metadata: invocation_id contains {secret:API_TOKEN}, which the header 'x-job' would read as the runner's secret API_TOKEN (its value in http.headers uses {invocation_id})",
      metadata: { failure_kind: "invalid_input", "http.backend_job": "not_started" },
    });
    expect(backend.requests).toEqual([]);
  });

  it("never writes a resolved secret into the result, even when the backend echoes it", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ status: 400, body: "bad token tok-2 for user ci" }],
    });
    const log = eventLog();
    const result = await asyncRunner(fakeClock(), { secrets: { SLURM_JWT: rotatingToken().token } }).run(asyncInvocation(TOKEN_HEADER), log);
    expect(result.error_summary).toContain("bad token [REDACTED] for user ci");
    expect(JSON.stringify([result, log.events])).not.toContain("tok-");
  });

  it("calls a headers function for each request with its method, URL and phase", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ json: { status: "completed" } }],
    });
    const seen: string[] = [];
    const headers = async (request: HeaderRequest) => {
      seen.push(`${request.phase} ${request.method} ${request.url.href}`);
      return { Authorization: `Bearer for-${request.phase}` };
    };
    const result = await asyncRunner(fakeClock(), { headers }).run(asyncInvocation());
    expect(result.status).toBe("succeeded");
    expect(seen).toEqual([`kickoff POST ${API}/runs`, `poll GET ${API}/runs/1`]);
    expect(backend.requests.map((request) => request.headers["authorization"])).toEqual(["Bearer for-kickoff", "Bearer for-poll"]);
  });

  it("sends another origin none of the invocation's, the runner's or the secrets' headers on a redirect, and names the URL that answered", async () => {
    const other = "https://elsewhere.test";
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ status: 307, headers: { location: `${other}/runs/1` } }],
      [`GET ${other}/runs/1`]: [{ status: 403, body: "no" }],
    });
    const metadata = { "http.headers": '{"x-slurm-user-token": "{secret:SLURM_JWT}", "x-api-key": "k-invocation"}' };
    const runner = asyncRunner(fakeClock(), { secrets: { SLURM_JWT: "jwt-secret" }, headers: { "x-runner": "r-secret" } });
    const result = await runner.run(asyncInvocation(metadata));
    const elsewhere = backend.requests.find((request) => request.url.startsWith(other));
    expect(elsewhere?.headers).toMatchObject({ accept: "application/json" });
    for (const name of ["x-slurm-user-token", "x-api-key", "x-runner"]) expect(elsewhere?.headers).not.toHaveProperty(name);
    expect(result.error_summary).toMatch(/^poll 1 of https:\/\/elsewhere\.test\/runs\/1 answered HTTP 403: no/);
  });
});

describe(`${HttpRunner.name} credentials`, () => {
  it("sends nothing, and says why, when a secret cannot be resolved", async () => {
    const backend = scriptBackend(server, { [`POST ${API}/hooks`]: [{ status: 204 }] });
    const failing = async (): Promise<string> => {
      throw new Error("vault sealed");
    };
    const runner = new HttpRunner({ fetch: (input, init) => globalThis.fetch(input, init), secrets: { HOOK: failing } });
    const invocation = RuntimeInvocationSchema.parse({
      invocation_id: "inv-1",
      runtime_name: "hooks",
      runtime_kind: "http",
      metadata: { "http.url": `${API}/hooks`, "http.headers": '{"authorization": "Bearer {secret:HOOK}"}' },
    });
    const result = await runner.run(invocation);
    expect(result).toMatchObject({
      status: "failed",
      error_summary: `POST ${API}/hooks failed: request not sent: secret HOOK could not be resolved: vault sealed`,
      metadata: { failure_kind: "transport", "http.backend_job": "not_started" },
    });
    expect(backend.requests).toEqual([]);
  });

  it("resolves a secret for its one request", async () => {
    const backend = scriptBackend(server, { [`POST ${API}/hooks`]: [{ status: 204 }] });
    const runner = new HttpRunner({ fetch: (input, init) => globalThis.fetch(input, init), secrets: { HOOK: async () => "hook-secret" } });
    const invocation = RuntimeInvocationSchema.parse({
      invocation_id: "inv-1",
      runtime_name: "hooks",
      runtime_kind: "http",
      metadata: { "http.url": `${API}/hooks`, "http.headers": '{"authorization": "Bearer {secret:HOOK}"}' },
    });
    const result = await runner.run(invocation);
    expect(result.status).toBe("succeeded");
    expect(backend.requests[0]?.headers["authorization"]).toBe("Bearer hook-secret");
  });
});
