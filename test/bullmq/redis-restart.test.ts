import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createInvocationWorker, enqueueInvocation, waitForResult } from "../../src/bullmq/index.js";
import { startJobBackend, type JobBackend } from "../support/job-backend.js";
import { jobInvocation, quickRuntime } from "../support/queue-runtime.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";

let backend: JobBackend;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  backend = await startJobBackend();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  backend.holdRuns = false;
});
afterAll(() => backend?.close());

/** A redis-server that keeps its data in an append-only file across `kill()` and `restart()`. */
async function startPersistentRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), "executor-runtime-aof-"));
  const redis = await startRedisServer({ appendOnlyDir: dir });
  cleanups.push(() => rm(dir, { recursive: true, force: true }), () => redis.stop());
  return redis;
}

/** A queue whose connection errors are recorded (BullMQ asks for an error listener on each instance). */
function openQueue(redis: RedisServer, name: string) {
  const queue = new Queue(name, { connection: redis.connection });
  const errors: string[] = [];
  queue.on("error", (error) => void errors.push(error.message));
  cleanups.push(() => queue.close());
  return { queue, errors };
}

function startWorker(redis: RedisServer, name: string) {
  const runtime = quickRuntime();
  const worker = createInvocationWorker(name, runtime, { connection: redis.connection, concurrency: 10, lockDuration: 5_000, runRetryDelay: 200 });
  const errors: string[] = [];
  worker.on("error", (error) => void errors.push(error.message));
  cleanups.push(async () => {
    await worker.close();
    await runtime.close();
  });
  return { worker, errors };
}

/** Resolves once `condition` holds, checking every 20 ms for at most 10 s. */
async function eventually(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (const start = Date.now(); Date.now() - start < 10_000; ) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("condition not met within 10 s");
}

describe("redis-server killed and restarted on its append-only file (issue 16)", () => {
  it("gives waitForResult's own connection errors to the source's error listeners, prints none, and the wait goes on once Redis is back", async () => {
    const redis = await startPersistentRedis();
    const { queue, errors } = openQueue(redis, "outage-wait");
    const printed = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const waiting = waitForResult(queue, "after-outage");
    await redis.kill();
    await eventually(() => errors.length >= 4);
    await redis.restart();

    startWorker(redis, "outage-wait");
    await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl("after-outage"), "after-outage"));
    expect(await waiting).toMatchObject({ invocation_id: "after-outage", status: "succeeded" });
    expect(printed).not.toHaveBeenCalled();
  }, 30_000);

  it("lets every worker reconnect by itself: the runs in flight end once each, with one kickoff, and new jobs run", async () => {
    const redis = await startPersistentRedis();
    const { queue } = openQueue(redis, "outage-runs");
    const workers = [startWorker(redis, "outage-runs"), startWorker(redis, "outage-runs")];
    backend.holdRuns = true;
    const ids = Array.from({ length: 10 }, (_, i) => `outage-run-${i}`);
    for (const [i, id] of ids.entries()) await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl(id), id, i % 2 === 0));
    await backend.waitFor(() => ids.every((id) => backend.polls(id) > 0));

    await redis.kill();
    // Each run's next poll answers `succeeded`: the runs end while Redis is down, their results wait for it.
    const pollsAtKill = ids.map((id) => backend.polls(id));
    backend.holdRuns = false;
    await backend.waitFor(() => ids.every((id, i) => backend.polls(id) > pollsAtKill[i]!));
    await redis.restart();

    const results = await Promise.all(ids.map((id) => waitForResult(queue, id)));
    expect(results.map((result) => result.status)).toEqual(ids.map(() => "succeeded"));
    expect(ids.map((id) => backend.kickoffs(id))).toEqual(ids.map(() => 1));
    const later = ["outage-later-1", "outage-later-2", "outage-later-3", "outage-later-4"];
    for (const id of later) await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl(id), id));
    expect((await Promise.all(later.map((id) => waitForResult(queue, id)))).map((result) => result.status)).toEqual(later.map(() => "succeeded"));
    expect(await queue.getJobCounts("completed", "active", "waiting", "failed")).toEqual({ completed: 14, active: 0, waiting: 0, failed: 0 });
    expect(workers.flatMap(({ errors }) => errors).filter((message) => /lock/i.test(message))).toEqual([]);
  }, 30_000);
});
