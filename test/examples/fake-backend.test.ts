import { afterEach, describe, expect, it } from "vitest";
import { startFakeBackend, type FakeBackend } from "../../examples/fake-backend.js";

const backends: FakeBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
});

async function start(options: Parameters<typeof startFakeBackend>[0] = {}): Promise<FakeBackend> {
  const backend = await startFakeBackend(options);
  backends.push(backend);
  return backend;
}

async function call(url: string, init: RequestInit = {}): Promise<[number, unknown, string | null]> {
  const response = await fetch(url, init);
  return [response.status, await response.json(), response.headers.get("location") ?? response.headers.get("retry-after")];
}

describe(startFakeBackend.name, () => {
  it("answers a workflow kickoff 200 started, then 404 until the run registers, then running, then completed", async () => {
    const backend = await start({ registerPolls: 1, runningPolls: 1 });
    const auth = { authorization: "Bearer x" };
    const kickoff = await call(backend.url("/api/workflows/assist/run"), { method: "POST", headers: auth, body: '{"conversationId":"c1"}' });
    expect(kickoff).toEqual([200, { accepted: true, status: "started" }, null]);
    const status = backend.url("/api/workflows/runs/by-worker/c1");
    expect((await call(status, { headers: auth }))[0]).toBe(404);
    expect(await call(status, { headers: auth })).toEqual([200, { run: { id: "run-0001", status: "running", result: null } }, null]);
    expect((await call(status, { headers: auth }))[1]).toMatchObject({ run: { status: "completed" } });
  });

  it("refuses a workflow kickoff without a bearer token", async () => {
    const backend = await start();
    expect((await call(backend.url("/api/workflows/assist/run"), { method: "POST", body: '{"conversationId":"c1"}' }))[0]).toBe(401);
  });

  it("answers a job 202 with Location, then 429 with Retry-After once, then running, then succeeded", async () => {
    const backend = await start({ runningPolls: 1, retryAfterSeconds: 3 });
    expect(await call(backend.url("/v1/jobs"), { method: "POST" })).toEqual([202, { id: "job-0001", status: "queued" }, "/v1/jobs/job-0001"]);
    const status = backend.url("/v1/jobs/job-0001");
    expect(await call(status)).toEqual([429, { error: "slow down" }, "3"]);
    expect((await call(status))[1]).toMatchObject({ status: "running" });
    expect((await call(status))[1]).toMatchObject({ status: "succeeded" });
  });

  it("gives a kickoff repeated with the same Idempotency-Key the same job", async () => {
    const backend = await start();
    const send = () => call(backend.url("/v1/jobs"), { method: "POST", headers: { "idempotency-key": "k1" } });
    expect((await send())[2]).toBe((await send())[2]);
  });
});
