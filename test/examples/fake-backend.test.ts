import { afterEach, describe, expect, it } from "vitest";
import { startFakeBackend, type FakeBackend, type FakeBackendOptions } from "../../examples/fake-backend.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";

const backends: FakeBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
});

/** Exact timings, so that a test can step its clock across each of them. */
const TIMINGS = { ackMs: 0, dispatchMs: 400, registerMs: 120, pendingMs: 20, runMs: 1000 };

async function start(options: FakeBackendOptions = {}, clock: FakeClock = fakeClock()): Promise<FakeBackend> {
  const backend = await startFakeBackend({ now: clock.now, ...options, archon: { timings: TIMINGS, ...options.archon } });
  backends.push(backend);
  return backend;
}

async function call(url: string, init: RequestInit = {}): Promise<[number, unknown, string | null]> {
  const response = await fetch(url, init);
  return [response.status, await response.json(), response.headers.get("location") ?? response.headers.get("retry-after")];
}

/** Archon's client side: conversations, dispatches, runs by worker and by id, messages and cancel. */
function archonClient(backend: FakeBackend) {
  const post = (path: string, body: unknown) => call(backend.url(path), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return {
    conversation: async (body: object = {}) => ((await post("/api/conversations", body))[1] as { conversationId: string }).conversationId,
    dispatch: (workflow: string, conversationId: string, message = "hello") => post(`/api/workflows/${workflow}/run`, { conversationId, message }),
    byWorker: (conversationId: string) => call(backend.url(`/api/workflows/runs/by-worker/${conversationId}`)),
    run: (runId: string) => call(backend.url(`/api/workflows/runs/${runId}`)),
    messages: async (conversationId: string) => (await call(backend.url(`/api/conversations/${conversationId}/messages`)))[1] as Record<string, unknown>[],
    cancel: (runId: string) => post(`/api/workflows/runs/${runId}/cancel`, {}),
  };
}

const NO_RUN = [404, { error: "No workflow run found for this worker" }, null];
const STARTED = [200, { accepted: true, status: "started" }, null];
const QUEUED = [200, { accepted: true, status: "queued-conversation" }, null];
const SQL_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

describe(`${startFakeBackend.name}: Archon`, () => {
  it("creates conversations named web-<ms>-<6 chars> and acknowledges a dispatch with no run id, no Location and no token", async () => {
    const clock = fakeClock();
    const backend = await start({}, clock);
    const archon = archonClient(backend);
    const created = await call(backend.url("/api/conversations"), { method: "POST", body: "{}" });
    expect(created).toEqual([200, { conversationId: expect.stringMatching(new RegExp(`^web-${clock.now()}-[0-9a-z]{6}$`)), id: expect.any(String) }, null]);
    expect(await archon.dispatch("archon-assist", await archon.conversation())).toEqual(STARTED);
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

  it("answers the messages of a conversation that does not exist 404", async () => {
    const backend = await start();
    expect(await call(backend.url("/api/conversations/web-1764430172000-k3x9q2/messages"))).toEqual([404, { error: "Conversation not found" }, null]);
  });

  it("runs a background workflow in a worker conversation that a message of the parent names, the parent 404 throughout", async () => {
    const clock = fakeClock();
    const backend = await start({}, clock);
    const archon = archonClient(backend);
    const parent = await archon.conversation();
    await archon.dispatch("archon-assist", parent);
    expect((await archon.messages(parent)).map((message) => [message.content, message.metadata])).toEqual([
      ["hello", "{}"],
      ["Starting workflow: `archon-assist`", "{}"],
    ]);
    clock.advance(399);
    expect(await archon.messages(parent)).toHaveLength(2);
    expect(backend.archonRuns()[0]!.status).toBeUndefined();
    clock.advance(1);
    const [run] = backend.archonRuns();
    expect(run).toMatchObject({ conversationId: expect.stringMatching(/^web-worker-\d+-[0-9a-z]{6}$/), parentConversationId: parent, status: "pending" });
    expect((await archon.messages(parent))[2]).toEqual({
      id: expect.any(String),
      role: "assistant",
      content: "🚀 Dispatching workflow: **archon-assist** (background)",
      metadata: JSON.stringify({ workflowDispatch: { workerConversationId: run!.conversationId, workflowName: "archon-assist" } }),
      conversation_id: expect.any(String),
      created_at: expect.stringMatching(SQL_TIME),
    });
    expect((await archon.byWorker(run!.conversationId))[1]).toMatchObject({ run: { id: run!.id, status: "pending", completed_at: null } });
    clock.advance(20);
    expect((await archon.byWorker(run!.conversationId))[1]).toMatchObject({ run: { status: "running" } });
    expect(await archon.byWorker(parent)).toEqual(NO_RUN);
    clock.advance(1000);
    expect((await archon.byWorker(run!.conversationId))[1]).toMatchObject({ run: { status: "completed", metadata: { node_counts: { completed: 2, failed: 0, skipped: 0, total: 2 } } } });
    expect(JSON.parse((await archon.messages(parent)).at(-1)!.metadata as string)).toEqual({ workflowResult: { workflowName: "archon-assist", runId: run!.id } });
    expect(await archon.byWorker(parent)).toEqual(NO_RUN);
    expect(backend.archonRuns()[0]).toMatchObject({ registeredAtMs: clock.now() - 1020, finishedAtMs: clock.now() });
  });

  it("keeps a run record as Archon v0.3.10 does: 32-hex id, the dispatch's message verbatim, last activity at the start", async () => {
    const clock = fakeClock();
    const backend = await start({}, clock);
    const archon = archonClient(backend);
    const parent = await archon.conversation({ codebaseId: "cb-1" });
    await archon.dispatch("archon-assist", parent, 'run it "now" (invocation inv-1)');
    clock.advance(2000);
    const [run] = backend.archonRuns();
    const [status, body] = await archon.run(run!.id);
    expect(status).toBe(200);
    expect(body).toEqual({
      run: {
        id: expect.stringMatching(/^[0-9a-f]{32}$/),
        conversation_id: expect.any(String),
        codebase_id: "cb-1",
        workflow_name: "archon-assist",
        user_message: 'run it "now" (invocation inv-1)',
        status: "completed",
        current_step_index: null,
        metadata: { node_counts: { completed: 2, failed: 0, skipped: 0, total: 2 } },
        parent_conversation_id: expect.any(String),
        started_at: "2026-01-01 00:00:00",
        completed_at: "2026-01-01 00:00:01",
        last_activity_at: "2026-01-01 00:00:00",
        working_path: expect.any(String),
      },
      events: [],
    });
    expect((await archon.byWorker(run!.conversationId))[1]).toEqual({ run: (body as { run: unknown }).run });
  });

  it("answers a run id it does not know, or one not registered yet, 404", async () => {
    const archon = archonClient(await start());
    expect(await archon.run("0123456789abcdef0123456789abcdef")).toEqual([404, { error: "Workflow run not found" }, null]);
  });

  it("runs an interactive workflow in the parent, which is its parent_conversation_id too, answering 404 until it registers", async () => {
    const clock = fakeClock();
    const archon = archonClient(await start({}, clock));
    const parent = await archon.conversation();
    await archon.dispatch("archon-interactive-prd", parent);
    clock.advance(119);
    expect(await archon.byWorker(parent)).toEqual(NO_RUN);
    clock.advance(1);
    const [, pending] = (await archon.byWorker(parent)) as [number, { run: Record<string, unknown> }, null];
    expect(pending.run).toMatchObject({ status: "pending", parent_conversation_id: pending.run.conversation_id });
    clock.advance(20);
    expect((await archon.byWorker(parent))[1]).toMatchObject({ run: { status: "running" } });
    clock.advance(1000);
    expect((await archon.byWorker(parent))[1]).toMatchObject({ run: { status: "completed" } });
  });

  it("shows the previous run of a reused conversation until the next registers", async () => {
    const clock = fakeClock();
    const backend = await start({}, clock);
    const archon = archonClient(backend);
    const parent = await archon.conversation();
    await archon.dispatch("archon-interactive-prd", parent);
    clock.advance(2000);
    expect(await archon.dispatch("archon-interactive-prd", parent)).toEqual(STARTED);
    const [first, second] = backend.archonRuns();
    expect((await archon.byWorker(parent))[1]).toMatchObject({ run: { id: first!.id, status: "completed" } });
    clock.advance(120);
    expect((await archon.byWorker(parent))[1]).toMatchObject({ run: { id: second!.id, status: "pending" } });
  });

  it.each(["archon-interactive-prd", "archon-assist"])("queues a dispatch of %s behind the conversation's run in progress, starting it when that run ends", async (workflow) => {
    const clock = fakeClock();
    const backend = await start({}, clock);
    const archon = archonClient(backend);
    const parent = await archon.conversation();
    expect(await archon.dispatch(workflow, parent, "first")).toEqual(STARTED);
    expect(await archon.dispatch(workflow, parent, "second")).toEqual(QUEUED);
    const [first, second] = backend.archonRuns();
    expect(second).toMatchObject({ queued: true, userMessage: "second" });
    expect(second!.registeredAtMs - first!.finishedAtMs!).toBe(first!.interactive ? TIMINGS.registerMs : TIMINGS.dispatchMs);
    clock.advance(first!.finishedAtMs! - clock.now());
    expect(await archon.dispatch(workflow, parent, "third")).toEqual(QUEUED);
  });

  it("starts a queued background run once the run ahead is cancelled, naming its own worker", async () => {
    const clock = fakeClock();
    const backend = await start({}, clock);
    const archon = archonClient(backend);
    const parent = await archon.conversation();
    await archon.dispatch("archon-assist", parent, "first");
    await archon.dispatch("archon-assist", parent, "second");
    clock.advance(500);
    expect((await archon.cancel(backend.archonRuns()[0]!.id))[0]).toBe(200);
    clock.advance(400);
    const [first, second] = backend.archonRuns();
    expect(second).toMatchObject({ status: "pending", registeredAtMs: first!.finishedAtMs! + 400 });
    const workers = (await archon.messages(parent)).map((message) => JSON.parse(message.metadata as string) as { workflowDispatch?: { workerConversationId: string } });
    expect(workers.flatMap((metadata) => metadata.workflowDispatch?.workerConversationId ?? [])).toEqual([first!.conversationId, second!.conversationId]);
  });

  it("reports a failed run's error in run.metadata.error, as a failed bash node reads, and a paused one's approval gate, which stays", async () => {
    const clock = fakeClock();
    const backend = await start({ archon: { workflows: { "archon-gated": { ending: "paused" } } } }, clock);
    const archon = archonClient(backend);
    await archon.dispatch("det-fail", await archon.conversation());
    await archon.dispatch("archon-gated", await archon.conversation());
    clock.advance(60_000);
    const [broken, gated] = backend.archonRuns();
    const [, failed] = await archon.byWorker(broken!.conversationId);
    expect(failed).toMatchObject({
      run: {
        status: "failed",
        metadata: { error: "DAG workflow 'det-fail' completed with failures: 'step2': Bash node 'step2' failed [exit 1]: boom", node_counts: { failed: 1 } },
      },
    });
    expect(failed).not.toHaveProperty("run.result");
    expect(failed).not.toHaveProperty("run.outcome");
    expect((await archon.byWorker(gated!.conversationId))[1]).toMatchObject({
      run: { status: "paused", completed_at: null, metadata: { approval: { nodeId: expect.any(String), message: expect.any(String) } } },
    });
    expect(gated).toMatchObject({ status: "paused", finishedAtMs: undefined });
  });

  it("cancels a run by its id, flipping its status at once; refuses a finished one with 400 and an unknown one with 404", async () => {
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
    expect(await archon.cancel("0123456789abcdef0123456789abcdef")).toEqual([404, { error: "Workflow run not found" }, null]);
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
