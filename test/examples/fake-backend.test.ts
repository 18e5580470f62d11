import { afterEach, describe, expect, it } from "vitest";
import { startFakeBackend, type FakeBackend, type FakeBackendOptions } from "../../examples/fake-backend.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";

const backends: FakeBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
});

/** Exact timings, so that a test can step its clock across each of them. */
const TIMINGS = { ackMs: 0, workerMs: 150, dispatchMessageMs: 50, registerMs: 120, pendingMs: 5, runMs: 1000 };

async function start(options: FakeBackendOptions = {}, clock: FakeClock = fakeClock()): Promise<FakeBackend> {
  const backend = await startFakeBackend({ now: clock.now, ...options, archon: { timings: TIMINGS, ...options.archon } });
  backends.push(backend);
  return backend;
}

async function call(url: string, init: RequestInit = {}): Promise<[number, unknown, string | null]> {
  const response = await fetch(url, init);
  return [response.status, await response.json(), response.headers.get("location") ?? response.headers.get("retry-after")];
}

/** Archon's client side: conversations, dispatches, by-worker, messages and cancel. */
function archonClient(backend: FakeBackend) {
  const post = (path: string, body: unknown) => call(backend.url(path), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return {
    conversation: async () => ((await post("/api/conversations", {}))[1] as { conversationId: string }).conversationId,
    dispatch: (workflow: string, conversationId: string) => post(`/api/workflows/${workflow}/run`, { conversationId, message: "hello" }),
    byWorker: (conversationId: string) => call(backend.url(`/api/workflows/runs/by-worker/${conversationId}`)),
    messages: async (conversationId: string) => (await call(backend.url(`/api/conversations/${conversationId}/messages`)))[1] as Record<string, unknown>[],
    cancel: (runId: string) => post(`/api/workflows/runs/${runId}/cancel`, {}),
  };
}

const NO_RUN = [404, { error: "No workflow run found for this worker" }, null];

describe(`${startFakeBackend.name}: Archon`, () => {
  it("creates conversations named web-<ms>-<6 chars> and acknowledges a dispatch with no run id, no Location and no token", async () => {
    const clock = fakeClock();
    const backend = await start({}, clock);
    const archon = archonClient(backend);
    const created = await call(backend.url("/api/conversations"), { method: "POST", body: "{}" });
    expect(created).toEqual([200, { conversationId: expect.stringMatching(new RegExp(`^web-${clock.now()}-[0-9a-z]{6}$`)), id: expect.any(String) }, null]);
    expect(await archon.dispatch("archon-assist", await archon.conversation())).toEqual([200, { accepted: true, status: "started" }, null]);
  });

  it("answers a dispatch without a conversation 400, and one with an unknown workflow or conversation 200, running nothing", async () => {
    const backend = await start();
    const archon = archonClient(backend);
    const noConversation = await call(backend.url("/api/workflows/archon-assist/run"), { method: "POST", body: '{"message":"hi"}' });
    expect(noConversation).toEqual([400, { error: "conversationId: Required" }, null]);
    const conversation = await archon.conversation();
    expect((await archon.dispatch("no-such-workflow", conversation))[0]).toBe(200);
    expect((await archon.dispatch("archon-assist", "web-0-madeup"))[0]).toBe(200);
    expect(backend.archonRuns()).toEqual([]);
    expect((await archon.messages(conversation)).map((message) => message.content)).toEqual(["hello", "Workflow not found: no-such-workflow"]);
  });

  it("runs a background workflow in a worker conversation that a message of the parent names, the parent 404 throughout", async () => {
    const clock = fakeClock();
    const backend = await start({}, clock);
    const archon = archonClient(backend);
    const parent = await archon.conversation();
    await archon.dispatch("archon-assist", parent);
    expect(await archon.messages(parent)).toHaveLength(1);
    clock.advance(150);
    const [run] = backend.archonRuns();
    expect(run).toMatchObject({ conversationId: expect.stringMatching(/^web-worker-\d+-[0-9a-z]{6}$/), parentConversationId: parent, status: "pending" });
    expect(await archon.messages(parent)).toHaveLength(1);
    clock.advance(50);
    const dispatch = (await archon.messages(parent))[1]!;
    expect(dispatch).toEqual({
      id: expect.any(String),
      conversation_id: expect.any(String),
      role: "assistant",
      content: expect.any(String),
      metadata: JSON.stringify({ workflowDispatch: { workerConversationId: run!.conversationId, workflowName: "archon-assist" } }),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    });
    expect(await archon.byWorker(parent)).toEqual(NO_RUN);
    expect((await archon.byWorker(run!.conversationId))[1]).toMatchObject({ run: { id: run!.id, status: "running", completed_at: null } });
    clock.advance(1000);
    const [, finished] = await archon.byWorker(run!.conversationId);
    expect(finished).toMatchObject({ run: { status: "completed", started_at: "2026-01-01 00:00:00", completed_at: "2026-01-01 00:00:01", metadata: {} } });
    expect(finished).not.toHaveProperty("run.result");
    expect(await archon.byWorker(parent)).toEqual(NO_RUN);
    expect(backend.archonRuns()[0]).toMatchObject({ registeredAtMs: clock.now() - 1050, finishedAtMs: clock.now() - 45 });
  });

  it("runs an interactive workflow in the parent, answering 404 until it registers", async () => {
    const clock = fakeClock();
    const archon = archonClient(await start({}, clock));
    const parent = await archon.conversation();
    await archon.dispatch("archon-interactive-prd", parent);
    clock.advance(119);
    expect(await archon.byWorker(parent)).toEqual(NO_RUN);
    clock.advance(1);
    expect((await archon.byWorker(parent))[1]).toMatchObject({ run: { status: "pending" } });
    clock.advance(5);
    expect((await archon.byWorker(parent))[1]).toMatchObject({ run: { status: "running" } });
    clock.advance(1000);
    expect((await archon.byWorker(parent))[1]).toMatchObject({ run: { status: "completed" } });
  });

  it("shows the newest run of a reused conversation, so the previous run's status shows until the next registers", async () => {
    const clock = fakeClock();
    const backend = await start({}, clock);
    const archon = archonClient(backend);
    const parent = await archon.conversation();
    await archon.dispatch("archon-interactive-prd", parent);
    clock.advance(2000);
    expect(await archon.dispatch("archon-interactive-prd", parent)).toEqual([200, { accepted: true, status: "started" }, null]);
    const [first, second] = backend.archonRuns();
    expect((await archon.byWorker(parent))[1]).toMatchObject({ run: { id: first!.id, status: "completed" } });
    clock.advance(120);
    expect((await archon.byWorker(parent))[1]).toMatchObject({ run: { id: second!.id, status: "pending" } });
  });

  it("queues an interactive dispatch behind the conversation's run in progress", async () => {
    const clock = fakeClock();
    const backend = await start({}, clock);
    const archon = archonClient(backend);
    const parent = await archon.conversation();
    await archon.dispatch("archon-interactive-prd", parent);
    expect(await archon.dispatch("archon-interactive-prd", parent)).toEqual([200, { accepted: true, status: "queued-conversation" }, null]);
    const [first, second] = backend.archonRuns();
    expect(second!.registeredAtMs).toBe(first!.finishedAtMs);
  });

  it("reports a failed run's error in run.metadata.error, and a paused one's approval gate, which stays", async () => {
    const clock = fakeClock();
    const workflows = { "archon-broken": { ending: "failed", error: "Node 'plan' failed: rate limited" }, "archon-gated": { ending: "paused" } } as const;
    const backend = await start({ archon: { workflows } }, clock);
    const archon = archonClient(backend);
    await archon.dispatch("archon-broken", await archon.conversation());
    await archon.dispatch("archon-gated", await archon.conversation());
    clock.advance(60_000);
    const [broken, gated] = backend.archonRuns();
    const [, failed] = await archon.byWorker(broken!.conversationId);
    expect(failed).toMatchObject({ run: { status: "failed", metadata: { error: "Node 'plan' failed: rate limited" } } });
    expect(failed).not.toHaveProperty("run.result");
    expect((await archon.byWorker(gated!.conversationId))[1]).toMatchObject({
      run: { status: "paused", completed_at: null, metadata: { approval: { nodeId: expect.any(String), message: expect.any(String) } } },
    });
    expect(gated).toMatchObject({ status: "paused", finishedAtMs: undefined });
  });

  it("reports Archon 0.9's outcome beside the status when asked: null while going, and a completed run's own", async () => {
    const clock = fakeClock();
    const backend = await start({ archon: { outcomes: true, workflows: { "archon-assist": { outcome: "failed" } } } }, clock);
    const archon = archonClient(backend);
    await archon.dispatch("archon-assist", await archon.conversation());
    clock.advance(200);
    const [run] = backend.archonRuns();
    expect((await archon.byWorker(run!.conversationId))[1]).toMatchObject({ run: { status: "running", outcome: null } });
    clock.advance(1000);
    expect((await archon.byWorker(run!.conversationId))[1]).toMatchObject({ run: { status: "completed", outcome: "failed" } });
  });

  it("cancels a run by its id, refuses a finished one with 400 and an unknown one with 404", async () => {
    const clock = fakeClock();
    const backend = await start({ archon: { workflows: { "archon-gated": { ending: "paused" } } } }, clock);
    const archon = archonClient(backend);
    await archon.dispatch("archon-gated", await archon.conversation());
    await archon.dispatch("archon-assist", await archon.conversation());
    clock.advance(5000);
    const [gated, done] = backend.archonRuns();
    expect(await archon.cancel(gated!.id)).toEqual([200, { success: true, message: "Cancelled workflow: archon-gated" }, null]);
    expect(backend.archonRuns()[0]).toMatchObject({ status: "cancelled", finishedAtMs: clock.now() });
    expect(await archon.cancel(gated!.id)).toEqual([400, { error: "Cannot cancel workflow in 'cancelled' status" }, null]);
    expect(await archon.cancel(done!.id)).toEqual([400, { error: "Cannot cancel workflow in 'completed' status" }, null]);
    expect(await archon.cancel("00000000-0000-0000-0000-000000000000")).toEqual([404, { error: "Workflow run not found" }, null]);
  });

  it("records when each request arrived, on its clock", async () => {
    const clock = fakeClock();
    const backend = await start({}, clock);
    clock.advance(42);
    await call(backend.url("/api/conversations"), { method: "POST", body: "{}" });
    expect(backend.requests).toEqual([{ method: "POST", path: "/api/conversations", atMs: clock.now() }]);
  });
});

describe(`${startFakeBackend.name}: classic job API`, () => {
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
