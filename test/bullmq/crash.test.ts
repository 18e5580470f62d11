import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createInvocationWorker, enqueueInvocation, waitForResult, type InvocationWorker } from "../../src/bullmq/index.js";
import { startJobBackend, type JobBackend } from "../support/job-backend.js";
import { jobInvocation, quickRuntime } from "../support/queue-runtime.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";

const WORKER_FIXTURE = fileURLToPath(new URL("../fixtures/bullmq/worker.mjs", import.meta.url));
// Short enough that a dead worker's job is picked up again within about two seconds.
const LOCK_DURATION_MS = 1_000;
const STALLED_INTERVAL_MS = 300;

let redis: RedisServer;
let backend: JobBackend;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  backend = await startJobBackend();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  backend.holdKickoffs = false;
  backend.holdRuns = false;
});
afterAll(async () => {
  await backend?.close();
  await redis?.stop();
});

/** Starts the worker fixture in a child process; resolves once it is connected. */
async function startChildWorker(queueName: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [WORKER_FIXTURE, String(redis.port), queueName, String(LOCK_DURATION_MS), String(STALLED_INTERVAL_MS)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code, signal) => reject(new Error(`worker fixture exited early (${code ?? signal})`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString("utf8").includes("ready")) resolve();
    });
  });
  child.removeAllListeners("exit");
  return child;
}

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

function openQueue(name: string): Queue {
  const queue = new Queue(name, { connection: redis.connection });
  cleanups.push(() => queue.close());
  return queue;
}

function startSurvivor(name: string): InvocationWorker {
  const runtime = quickRuntime();
  const worker = createInvocationWorker(name, runtime, { connection: redis.connection, concurrency: 4, stalledInterval: STALLED_INTERVAL_MS });
  cleanups.push(async () => {
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

describe("a worker killed mid-run", () => {
  it("is replaced by another worker that resumes from the checkpoint, with exactly one kickoff", async () => {
    const queue = openQueue("crash-polling");
    backend.holdRuns = true;
    const child = await startChildWorker("crash-polling");
    await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl("crash-1"), "crash-1"));
    await backend.waitFor(() => backend.polls("crash-1") >= 2);
    await eventually(async () => (await queue.getJob("crash-1"))?.data.checkpoint !== undefined);
    await killHard(child);
    backend.holdRuns = false;
    const pollsBefore = backend.polls("crash-1");

    const survivor = startSurvivor("crash-polling");
    const stalled: string[] = [];
    survivor.on("stalled", (jobId) => void stalled.push(jobId));
    const result = await waitForResult(queue, "crash-1");
    expect(result).toMatchObject({ invocation_id: "crash-1", status: "succeeded" });
    expect(backend.kickoffs("crash-1")).toBe(1);
    expect(backend.polls("crash-1")).toBeGreaterThan(pollsBefore);
    expect(stalled).toEqual(["crash-1"]);
  }, 30_000);

  it("between kickoff and checkpoint ends failed without an idempotency key, and runs one job with one", async () => {
    const queue = openQueue("crash-kickoff");
    backend.holdKickoffs = true;
    const child = await startChildWorker("crash-kickoff");
    await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl("window-plain"), "window-plain"));
    await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl("window-keyed"), "window-keyed", true));
    await backend.waitFor(() => backend.kickoffs("window-plain") === 1 && backend.kickoffs("window-keyed") === 1);
    const jobsBefore = backend.jobsCreated;
    await killHard(child);
    backend.holdKickoffs = false;

    startSurvivor("crash-kickoff");
    const [plain, keyed] = await Promise.all([waitForResult(queue, "window-plain"), waitForResult(queue, "window-keyed")]);
    expect(plain).toMatchObject({ status: "failed" });
    expect(plain.error_summary).toContain("the kickoff's outcome is unknown; it was not re-sent to avoid a duplicate job");
    expect(backend.kickoffs("window-plain")).toBe(1);
    expect(keyed).toMatchObject({ status: "succeeded" });
    expect(backend.kickoffs("window-keyed")).toBe(2);
    expect(backend.jobsCreated).toBe(jobsBefore);
  }, 30_000);
});
