/**
 * The Archon recipes of examples/invocations/, run as `executor-runtime run`
 * runs them (in-process, with its progress output), against the fake Archon
 * of examples/, which shares the runner's virtual clock: every wait of the
 * run moves the fake's time, and the fake records when each request arrived.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startFakeBackend, type FakeArchonOptions, type FakeBackend } from "../../examples/fake-backend.js";
import { createArchonConversation } from "../../src/cli/demo.js";
import { runInvocationFile, type RunCommandOptions } from "../../src/cli/run-command.js";
import type { RuntimeResult } from "../../src/contracts/result.js";
import type { Sleep } from "../../src/index.js";
import { exampleInvocation, fakeIo, writeJson, type ExampleName } from "../support/cli-harness.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";
import { makeTempDir } from "../support/temp-dir.js";

const backends: FakeBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
});

/** The recipes poll every second. */
const INTERVAL_MS = 1000;

/** A fake Archon on a virtual clock; its dispatches are acknowledged at once (the 4-13 ms are real time). */
async function archon(options: FakeArchonOptions = {}): Promise<{ fake: FakeBackend; clock: FakeClock }> {
  const clock = fakeClock();
  const fake = await startFakeBackend({ now: clock.now, archon: { ...options, timings: { ackMs: 0, ...options.timings } } });
  backends.push(fake);
  return { fake, clock };
}

/** Runs a recipe through the command in `conversationId`; `metadata` and `fields` change the copy. */
async function runRecipe(
  name: ExampleName,
  { fake, clock }: { fake: FakeBackend; clock: FakeClock },
  conversationId: string,
  changes: { metadata?: Record<string, string>; fields?: Record<string, unknown> } = {},
  options: RunCommandOptions = {},
) {
  const path = await writeJson(await makeTempDir(), "job.json", exampleInvocation(name, fake.origin, { ...changes, conversationId }));
  const { io, stdout, stderr } = fakeIo();
  const exitCode = await runInvocationFile(path, io, { now: clock.now, sleep: clock.sleep, ...options });
  return { exitCode, result: JSON.parse(stdout()) as RuntimeResult, stderr: stderr() };
}

/** The times (virtual epoch ms) at which the fake received a request for `path`. */
function arrivals(fake: FakeBackend, method: string, path: string): number[] {
  return fake.requests.filter((request) => request.method === method && request.path === path).map((request) => request.atMs);
}

describe("examples/invocations/archon-background.json", () => {
  it("finds the run in the parent's messages and ends succeeded within one poll interval of Archon finishing it", async () => {
    const backend = await archon();
    const parent = await createArchonConversation(backend.fake.origin);
    const { exitCode, result, stderr } = await runRecipe("archon-background", backend, parent);
    const [run] = backend.fake.archonRuns();
    expect(exitCode).toBe(0);
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.lookup": run!.conversationId, "http.run_id": run!.id, "http.last_status": "completed" } });
    const polls = arrivals(backend.fake, "GET", `/api/workflows/runs/by-worker/${run!.conversationId}`);
    const finishedAtMs = run!.finishedAtMs!;
    // Every poll but the last saw the run going; the last came less than one interval after it finished.
    expect(polls.slice(0, -1).every((atMs) => atMs < finishedAtMs)).toBe(true);
    expect(polls.at(-1)! - finishedAtMs).toBeGreaterThanOrEqual(0);
    expect(polls.at(-1)! - finishedAtMs).toBeLessThan(INTERVAL_MS);
    expect(Date.parse(result.finished_at) - finishedAtMs).toBeLessThan(INTERVAL_MS);
    expect(arrivals(backend.fake, "GET", `/api/workflows/runs/by-worker/${parent}`)).toEqual([]);
    expect(stderr).toContain(`accepted, run found by lookup: ${run!.conversationId}, run id ${run!.id}; status URL`);
  });

  it("ends a failed workflow failed, with Archon's run.metadata.error in the summary", async () => {
    const error = "DAG workflow 'det-fail' completed with failures: 'step2': Bash node 'step2' failed [exit 1]: boom";
    const backend = await archon();
    const { exitCode, result } = await runRecipe("archon-background", backend, await createArchonConversation(backend.fake.origin), {
      metadata: { "http.url": backend.fake.url("/api/workflows/det-fail/run") },
    });
    expect(exitCode).toBe(1);
    expect(result).toMatchObject({
      status: "failed",
      error_summary: `backend reported terminal status: failed (http.result ${JSON.stringify(error)})`,
      metadata: { "http.result": JSON.stringify(error), "failure_kind": "backend_failed", "http.backend_job": "finished" },
    });
  });

  it("fails at its first lookup, dispatching nothing, while its conversation is still the example's", async () => {
    const backend = await archon();
    const path = await writeJson(await makeTempDir(), "job.json", exampleInvocation("archon-background", backend.fake.origin));
    const { io, stdout } = fakeIo();
    expect(await runInvocationFile(path, io, { now: backend.clock.now, sleep: backend.clock.sleep })).toBe(1);
    expect(JSON.parse(stdout())).toMatchObject({
      status: "failed",
      error_summary: expect.stringContaining('answered HTTP 404: {"error":"Conversation not found"}'),
      metadata: { "failure_kind": "poll_refused", "http.backend_job": "not_started" },
    });
    expect(backend.fake.requests.map((request) => request.method)).toEqual(["GET"]);
  });

  it("cancels an interrupted run by Archon's run id, not by its worker conversation", async () => {
    const backend = await archon({ timings: { runMs: Infinity } });
    const controller = new AbortController();
    const path = await writeJson(await makeTempDir(), "job.json", exampleInvocation("archon-background", backend.fake.origin, {
      conversationId: await createArchonConversation(backend.fake.origin),
    }));
    const { io, stdout, stderr } = fakeIo();
    let seenRunning = (): void => undefined;
    const running = new Promise<void>((resolve) => (seenRunning = resolve));
    // Waits pass at once on the virtual clock until a poll has shown "running"; the next lasts until the run is stopped.
    const sleep: Sleep = (ms, stop) => {
      if (!stderr().includes('status "running"')) return backend.clock.sleep(ms);
      seenRunning();
      return new Promise((resolve) => stop?.addEventListener("abort", () => resolve(), { once: true }));
    };
    const exit = runInvocationFile(path, io, { now: backend.clock.now, sleep, signal: controller.signal });
    await running;
    controller.abort("SIGTERM");
    expect(await exit).toBe(130);
    const [run] = backend.fake.archonRuns();
    expect(JSON.parse(stdout())).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "200", "http.run_id": run!.id } });
    expect(backend.fake.requests.filter((request) => request.path.endsWith("/cancel")).map((request) => request.path)).toEqual([
      `/api/workflows/runs/${run!.id}/cancel`,
    ]);
    expect(run!.status).toBe("cancelled");
  });

  it("does not take the previous run of a reused conversation", async () => {
    const error = "Node 'plan' failed: rate limited";
    const backend = await archon({ workflows: { "archon-broken": { ending: "failed", error } } });
    const parent = await createArchonConversation(backend.fake.origin);
    const broken = { "http.url": backend.fake.url("/api/workflows/archon-broken/run") };
    expect((await runRecipe("archon-background", backend, parent, { metadata: broken })).result.status).toBe("failed");
    const { result } = await runRecipe("archon-background", backend, parent);
    const [first, second] = backend.fake.archonRuns();
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.lookup": second!.conversationId, "http.run_id": second!.id } });
    expect(second!.conversationId).not.toBe(first!.conversationId);
  });

  it("keeps polling a paused run, whose gate nobody answers, until the deadline, then cancels it", async () => {
    const backend = await archon({ workflows: { "archon-assist": { ending: "paused" } } });
    const { exitCode, result } = await runRecipe("archon-background", backend, await createArchonConversation(backend.fake.origin), {
      fields: { timeout_seconds: 30 },
    });
    expect(exitCode).toBe(124);
    expect(result).toMatchObject({ status: "timed_out", metadata: { "http.last_status": "paused", "http.cancel_status": "200" } });
    expect(backend.fake.archonRuns()[0]!.status).toBe("cancelled");
  });

  it("ends a paused run failed, leaving its gate open, when paused is listed as terminal", async () => {
    const backend = await archon({ workflows: { "archon-assist": { ending: "paused" } } });
    const { result } = await runRecipe("archon-background", backend, await createArchonConversation(backend.fake.origin), {
      metadata: { "http.poll_terminal_states": "completed,failed,cancelled,paused" },
    });
    expect(result).toMatchObject({ status: "failed", error_summary: "backend reported terminal status: paused" });
    expect(backend.fake.requests.some((request) => request.path.endsWith("/cancel"))).toBe(false);
    expect(backend.fake.archonRuns()[0]!.status).toBe("paused");
  });
});

describe("examples/invocations/archon-interactive.json", () => {
  it("looks the run up by its conversation, taking 404 as not registered yet, then polls the run by its id to succeeded", async () => {
    const backend = await archon();
    const parent = await createArchonConversation(backend.fake.origin);
    const { result, stderr } = await runRecipe("archon-interactive", backend, parent);
    const [run] = backend.fake.archonRuns();
    expect(run).toMatchObject({ interactive: true, conversationId: parent });
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.lookup": run!.id, "http.run_id": run!.id, "http.last_status": "completed" } });
    expect(stderr).toContain("HTTP 404 means not ready yet (http.poll_pending_codes)");
    const polls = arrivals(backend.fake, "GET", `/api/workflows/runs/${run!.id}`);
    expect(polls.at(-1)! - run!.finishedAtMs!).toBeLessThan(INTERVAL_MS);
  });

  it("in a reused conversation, takes the new run, not the previous one that by-worker still shows", async () => {
    const backend = await archon({ workflows: { "archon-broken-prd": { interactive: true, ending: "failed" } } });
    const parent = await createArchonConversation(backend.fake.origin);
    const broken = { "http.url": backend.fake.url("/api/workflows/archon-broken-prd/run") };
    expect((await runRecipe("archon-interactive", backend, parent, { metadata: broken })).result.status).toBe("failed");
    const { result } = await runRecipe("archon-interactive", backend, parent);
    const [first, second] = backend.fake.archonRuns();
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.lookup": second!.id, "http.run_id": second!.id } });
    // by-worker showed the first run for a while after the second dispatch; the second invocation never read it.
    const secondDispatch = backend.fake.requests.findIndex((request) => request.path === "/api/workflows/archon-interactive-prd/run");
    expect(backend.fake.requests.slice(secondDispatch).map((request) => request.path)).not.toContain(`/api/workflows/runs/${first!.id}`);
  });
});
