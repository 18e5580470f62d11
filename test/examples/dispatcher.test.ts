import { afterEach, describe, expect, it } from "vitest";
import { archonMessage, createDispatcher, type CheckpointStore, type StoredRun } from "../../examples/dispatcher.js";
import { startFakeBackend, type FakeBackend } from "../../examples/fake-backend.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

function memoryStore(): CheckpointStore & { readonly saved: Map<string, StoredRun>; readonly history: StoredRun[] } {
  const saved = new Map<string, StoredRun>();
  const history: StoredRun[] = [];
  return {
    saved,
    history,
    load: async (id) => saved.get(id),
    save: async (id, run) => {
      saved.set(id, run);
      history.push(run);
    },
    delete: async (id) => {
      saved.delete(id);
    },
  };
}

/** The fake Archon and the dispatcher on one virtual clock. */
async function setUp(store: CheckpointStore): Promise<{ fake: FakeBackend; clock: FakeClock; dispatcher: ReturnType<typeof createDispatcher> }> {
  const clock = fakeClock();
  const fake = await startFakeBackend({ now: clock.now, archon: { timings: { ackMs: 0 } } });
  const dispatcher = createDispatcher({ baseUrl: fake.origin, store, log: () => {}, runner: { now: clock.now, sleep: clock.sleep } });
  open.push(fake, dispatcher);
  return { fake, clock, dispatcher };
}

describe("examples/dispatcher.ts", () => {
  it("runs a job as a background workflow to completion, keeping its checkpoint only while it runs", async () => {
    const store = memoryStore();
    const { fake, dispatcher } = await setUp(store);
    const result = await dispatcher.dispatch({ id: "job-1", prompt: "hello" });
    const [run] = fake.archonRuns();
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.run_id": run!.id } });
    expect(store.history).toEqual([
      { conversationId: run!.parentConversationId, checkpoint: expect.objectContaining({ lookup: run!.conversationId, pollUrl: fake.url(`/api/workflows/runs/by-worker/${run!.conversationId}`) }) },
    ]);
    expect(store.saved.size).toBe(0);
  });

  it("resumes a stored checkpoint instead of starting the job again", async () => {
    const store = memoryStore();
    const { fake, clock, dispatcher } = await setUp(store);
    // A previous process started the job, stored its run once found, then died.
    const created = await fetch(fake.url("/api/conversations"), { method: "POST", body: "{}" });
    const { conversationId } = (await created.json()) as { conversationId: string };
    const message = archonMessage({ id: "job-2", prompt: "hello" }).replace("{invocation_id}", "job-2");
    await fetch(fake.url("/api/workflows/archon-assist/run"), { method: "POST", body: JSON.stringify({ conversationId, message }) });
    clock.advance(1000);
    const [run] = fake.archonRuns();
    const pollUrl = fake.url(`/api/workflows/runs/by-worker/${run!.conversationId}`);
    await store.save("job-2", { conversationId, checkpoint: { version: 1, pollUrl, lookup: run!.conversationId, acceptedAt: new Date(clock.now()).toISOString() } });
    const result = await dispatcher.dispatch({ id: "job-2", prompt: "hello" });
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.run_id": run!.id } });
    expect(fake.requests.filter((request) => request.method === "POST").map((request) => request.path)).toEqual(["/api/conversations", "/api/workflows/archon-assist/run"]);
  });
});
