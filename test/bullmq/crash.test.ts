import { Queue } from "bullmq";
import { describe, expect, it } from "vitest";
import { createInvocationWorker, enqueueInvocation, waitForResult, type InvocationWorker } from "../../src/bullmq/index.js";
import { useQueueFixture } from "../support/queue-fixture.js";
import { jobInvocation, quickRuntime } from "../support/queue-runtime.js";
import { useWorkerProcesses, type WorkerProcess } from "../support/worker-process.js";

const fixture = useQueueFixture();
const workerProcesses = useWorkerProcesses();

// Short enough that a dead worker's job is picked up again within about two seconds.
const LOCK_DURATION_MS = 1_000;
const STALLED_INTERVAL_MS = 300;



/** Starts the worker fixture in a child process; resolves once it is connected. */
async function startChildWorker(queueName: string, freezeOnActive = false): Promise<WorkerProcess> {
  const child = await workerProcesses.start({
    port: fixture.redis.port,
    queueName,
    lockDurationMs: LOCK_DURATION_MS,
    stalledIntervalMs: STALLED_INTERVAL_MS,
    freezeOnActive,
  });
  fixture.closers.push(() => child.kill());
  return child;
}

function openQueue(name: string): Queue {
  const queue = new Queue(name, { connection: fixture.redis.connection });
  fixture.closers.push(() => queue.close());
  return queue;
}

function startSurvivor(name: string): InvocationWorker {
  const runtime = quickRuntime();
  const worker = createInvocationWorker(name, runtime, { connection: fixture.redis.connection, concurrency: 4, stalledInterval: STALLED_INTERVAL_MS });
  worker.on("error", () => undefined);
  fixture.closers.push(async () => {
    await worker.close();
    await runtime.close();
  });
  return worker;
}

/** Resolves once `read` yields true, reading every 20 ms for at most `limitMs`. */
async function eventually(read: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  for (const start = Date.now(); Date.now() - start < limitMs; ) {
    if (await read()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`condition not met within ${limitMs} ms`);
}

/** What a finished job holds: its result, when it finished, its data. */
async function finishedJob(queue: Queue, id: string) {
  const job = await queue.getJob(id);
  return { state: await job?.getState(), returnvalue: job?.returnvalue, finishedOn: job?.finishedOn, data: job?.data };
}

describe("a worker killed mid-run", () => {
  it("is replaced by another worker that resumes from the checkpoint, with exactly one kickoff", async () => {
    const queue = openQueue("crash-polling");
    fixture.backend.holdRuns = true;
    const child = await startChildWorker("crash-polling");
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("crash-1"), "crash-1"));
    await fixture.backend.waitFor(() => fixture.backend.polls("crash-1") >= 2);
    await eventually(async () => (await queue.getJob("crash-1"))?.data.checkpoint !== undefined);
    await child.kill();
    fixture.backend.holdRuns = false;
    const pollsBefore = fixture.backend.polls("crash-1");

    const survivor = startSurvivor("crash-polling");
    const stalled: string[] = [];
    survivor.on("stalled", (jobId) => void stalled.push(jobId));
    const result = await waitForResult(queue, "crash-1");
    expect(result).toMatchObject({ invocation_id: "crash-1", status: "succeeded" });
    expect(fixture.backend.kickoffs("crash-1")).toBe(1);
    expect(fixture.backend.polls("crash-1")).toBeGreaterThan(pollsBefore);
    expect(stalled).toEqual(["crash-1"]);
  }, 30_000);

  it("between kickoff and checkpoint ends failed without an idempotency key, and runs one job with one", async () => {
    const queue = openQueue("crash-kickoff");
    fixture.backend.holdKickoffs = true;
    const child = await startChildWorker("crash-kickoff");
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("window-plain"), "window-plain"));
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("window-keyed"), "window-keyed", true));
    await fixture.backend.waitFor(() => fixture.backend.kickoffs("window-plain") === 1 && fixture.backend.kickoffs("window-keyed") === 1);
    const jobsBefore = fixture.backend.jobsCreated;
    await child.kill();
    fixture.backend.holdKickoffs = false;

    startSurvivor("crash-kickoff");
    const [plain, keyed] = await Promise.all([waitForResult(queue, "window-plain"), waitForResult(queue, "window-keyed")]);
    expect(plain).toMatchObject({ status: "failed" });
    expect(plain.error_summary).toContain("the kickoff's outcome is unknown; it was not re-sent to avoid a duplicate job");
    expect(fixture.backend.kickoffs("window-plain")).toBe(1);
    expect(keyed).toMatchObject({ status: "succeeded" });
    expect(fixture.backend.kickoffs("window-keyed")).toBe(2);
    expect(fixture.backend.jobsCreated).toBe(jobsBefore);
  }, 30_000);
});

/**
 * The storm's time limit: five worker processes start (about 0.4 s each on an
 * idle 2-core machine, up to 2 s on a busy one) and the locks of two workers
 * expire; 3 s idle, up to 11 s measured on a loaded machine.
 */
const STORM_TIMEOUT_MS = 60_000;

describe("a storm of worker deaths (issue 16)", () => {
  it("two of three workers SIGKILLed at once and replaced: every invocation ends once, none is kicked off twice without a key", async () => {
    const queue = openQueue("storm");
    const jobsBefore = fixture.backend.jobsCreated;
    fixture.backend.holdRuns = true;
    const workers = await Promise.all([startChildWorker("storm"), startChildWorker("storm"), startChildWorker("storm")]);
    const ids = Array.from({ length: 30 }, (_, i) => `storm-${i}`);
    const keyed = (id: string): boolean => Number(id.slice("storm-".length)) % 2 === 0;
    for (const id of ids) await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl(id), id, keyed(id)));
    // Each process runs four at a time: twelve runs in flight, eighteen jobs waiting.
    await fixture.backend.waitFor(() => ids.filter((id) => fixture.backend.polls(id) > 0).length === 12);

    await Promise.all([workers[0]!.kill(), workers[1]!.kill()]);
    await Promise.all([startChildWorker("storm"), startChildWorker("storm")]);
    fixture.backend.holdRuns = false;

    const results = await Promise.all(ids.map((id) => waitForResult(queue, id)));
    const unexplained = results.filter(
      (result) => result.status !== "succeeded" && !(result.error_summary ?? "").includes("the kickoff's outcome is unknown"),
    );
    expect(unexplained).toEqual([]);
    expect(ids.filter((id) => !keyed(id) && fixture.backend.kickoffs(id) > 1)).toEqual([]);
    expect(fixture.backend.jobsCreated - jobsBefore).toBe(ids.filter((id) => fixture.backend.kickoffs(id) > 0).length);
    expect(await queue.getJobCounts("completed", "active", "waiting", "failed")).toEqual({ completed: 30, active: 0, waiting: 0, failed: 0 });
  }, STORM_TIMEOUT_MS);
});

describe("a worker frozen past its lock (issue 16)", () => {
  it("that took a job and woke after another worker finished it sends no kickoff and writes no second result", async () => {
    const queue = openQueue("frozen-take");
    const frozen = await startChildWorker("frozen-take", true);
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("frozen-take-1"), "frozen-take-1"));
    await frozen.waitForLine((line) => line === "freezing");

    startSurvivor("frozen-take");
    expect(await waitForResult(queue, "frozen-take-1")).toMatchObject({ status: "succeeded" });
    const finished = await finishedJob(queue, "frozen-take-1");
    frozen.signal("SIGCONT");
    await frozen.waitForLine((line) => line.startsWith("error: job frozen-take-1: its lock is no longer held by this worker"));
    await frozen.waitForLine((line) => line === "error: Missing lock for job frozen-take-1. moveToFinished");

    expect(fixture.backend.kickoffs("frozen-take-1")).toBe(1);
    expect(await finishedJob(queue, "frozen-take-1")).toEqual(finished);
  }, 30_000);

  it("that froze while polling stops its stale run on waking and stores nothing over the worker that took the job over", async () => {
    const queue = openQueue("frozen-poll");
    fixture.backend.holdRuns = true;
    const frozen = await startChildWorker("frozen-poll");
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("frozen-poll-1"), "frozen-poll-1"));
    await eventually(async () => (await queue.getJob("frozen-poll-1"))?.data.checkpoint !== undefined);
    frozen.signal("SIGSTOP");
    const pollsBefore = fixture.backend.polls("frozen-poll-1");

    startSurvivor("frozen-poll");
    await fixture.backend.waitFor(() => fixture.backend.polls("frozen-poll-1") > pollsBefore + 2);
    frozen.signal("SIGCONT");
    const lost = await frozen.waitForLine((line) => line.startsWith("error: job frozen-poll-1:"));
    await frozen.waitForLine((line) => line.startsWith("error: Lock mismatch for job frozen-poll-1."));
    fixture.backend.holdRuns = false;

    expect(lost).toMatch(/its lock is no longer held by this worker.*the run was abandoned, with no cancel request/);
    expect(await waitForResult(queue, "frozen-poll-1")).toMatchObject({ status: "succeeded" });
    expect(fixture.backend.kickoffs("frozen-poll-1")).toBe(1);
  }, 30_000);
});
