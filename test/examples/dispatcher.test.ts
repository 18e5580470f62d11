import { afterEach, describe, expect, it } from "vitest";
import { createDispatcher, type CheckpointStore } from "../../examples/dispatcher.js";
import { startFakeBackend, type FakeBackend } from "../../examples/fake-backend.js";
import type { Checkpoint } from "../../src/index.js";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

function memoryStore(): CheckpointStore & { readonly saved: Map<string, Checkpoint>; readonly history: Checkpoint[] } {
  const saved = new Map<string, Checkpoint>();
  const history: Checkpoint[] = [];
  return {
    saved,
    history,
    load: async (id) => saved.get(id),
    save: async (id, checkpoint) => {
      saved.set(id, checkpoint);
      history.push(checkpoint);
    },
    delete: async (id) => {
      saved.delete(id);
    },
  };
}

async function setUp(store: CheckpointStore): Promise<{ fake: FakeBackend; dispatcher: ReturnType<typeof createDispatcher> }> {
  const fake = await startFakeBackend();
  const dispatcher = createDispatcher({ baseUrl: fake.origin, token: "t0ken", store, log: () => {}, pollIntervalSeconds: 0 });
  open.push(fake, dispatcher);
  return { fake, dispatcher };
}

describe("examples/dispatcher.ts", () => {
  it("runs a job to completion, keeping its checkpoint only while it runs", async () => {
    const store = memoryStore();
    const { fake, dispatcher } = await setUp(store);
    const result = await dispatcher.dispatch({ id: "job-1", prompt: "hello" });
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.result": expect.stringContaining("pull requests") } });
    expect(store.history).toEqual([expect.objectContaining({ pollUrl: `${fake.origin}/api/workflows/runs/by-worker/job-1` })]);
    expect(store.saved.size).toBe(0);
  });

  it("resumes a stored checkpoint instead of starting the job again", async () => {
    const store = memoryStore();
    const { fake, dispatcher } = await setUp(store);
    // A previous process started the job, stored the checkpoint, then died.
    await fetch(fake.url("/api/workflows/assist/run"), {
      method: "POST",
      headers: { authorization: "Bearer t0ken" },
      body: JSON.stringify({ conversationId: "job-2", message: "hello" }),
    });
    await store.save("job-2", { version: 1, pollUrl: fake.url("/api/workflows/runs/by-worker/job-2"), acceptedAt: new Date().toISOString() });
    const result = await dispatcher.dispatch({ id: "job-2", prompt: "hello" });
    expect(result.status).toBe("succeeded");
    expect(fake.requests.filter((request) => request.method === "POST")).toHaveLength(1);
  });
});
