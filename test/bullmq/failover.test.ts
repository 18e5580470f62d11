import { setTimeout as delay } from "node:timers/promises";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createInvocationWorker, enqueueInvocation, waitForResult, type InvocationRuntime, type InvocationWorker } from "../../src/bullmq/index.js";
import { primaryViewOf, readReports, type PrimaryView } from "../../src/bullmq/sentinel-view.js";
import { buildResult, identityOf, type RuntimeResult } from "../../src/contracts/result.js";
import { startJobBackend, type JobBackend } from "../support/job-backend.js";
import { jobInvocation, quickRuntime } from "../support/queue-runtime.js";
import { startRedisSentinel, type RedisSentinel } from "../support/redis-sentinel.js";

let redis: RedisSentinel;
let backend: JobBackend;
const closers: (() => Promise<unknown>)[] = [];
let queueCount = 0;

beforeAll(async () => {
  redis = await startRedisSentinel();
  backend = await startJobBackend({ runningPolls: 3 });
}, 60_000);
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  // Every server runs again and the sentinels agree on one primary, whatever the test did.
  for (const port of redis.servers.keys()) if ((await redis.role(port)) === undefined) await redis.restart(port).catch(() => undefined);
  await redis.waitForAgreement();
}, 60_000);
afterAll(async () => {
  await backend?.close();
  await redis?.stop();
});

function openQueue() {
  const name = `failover-${++queueCount}`;
  const queue = new Queue(name, { connection: redis.connection });
  queue.on("error", () => undefined);
  closers.push(() => queue.close());
  return { name, queue };
}

/**
 * A worker on the Sentinel connection (its defaults: one replica confirms each write), with the errors it emitted;
 * `wrap` may act around each run.
 */
function startWorker(
  name: string,
  options: { lockDuration?: number; stalledInterval?: number; replicas?: number; concurrency?: number } = {},
  wrap: (runtime: InvocationRuntime) => InvocationRuntime = (runtime) => runtime,
) {
  const runtime = quickRuntime();
  const worker: InvocationWorker = createInvocationWorker(name, wrap(runtime), { connection: redis.connection, concurrency: 5, ...options });
  const errors: string[] = [];
  worker.on("error", (error) => void errors.push(error.message));
  closers.push(async () => {
    await worker.close();
    await runtime.close();
  });
  return { worker, errors };
}

/** An outage of every replica: `kill()` kills them, `down` resolves once it did, `restart()` starts them again. */
function replicaOutage() {
  let ports: number[] = [];
  let killed: () => void = () => undefined;
  const down = new Promise<void>((resolve) => (killed = resolve));
  return {
    down,
    async kill() {
      const primary = await redis.primary();
      ports = [...redis.servers.keys()].filter((port) => port !== primary.port);
      for (const port of ports) await redis.kill(port);
      killed();
    },
    async restart() {
      for (const port of ports) await redis.restart(port);
    },
  };
}

/** Resolves once `condition` holds, checking every 50 ms for at most 30 s. */
async function eventually(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (const start = Date.now(); Date.now() - start < 30_000; await delay(50)) {
    if (await condition()) return;
  }
  throw new Error("condition not met within 30 s");
}

/** A job whose completion a failover took back stalls once its lock expires, and is taken up again at the second stalled check after. */
const QUICK_RECOVERY = { lockDuration: 5_000, stalledInterval: 5_000 };

describe("a queue on Redis Sentinel", () => {
  it("sends no kickoff while the replicas cannot confirm the job's mark, tries the job again later, and runs it once when a replica is back", async () => {
    const { name, queue } = openQueue();
    const outage = replicaOutage();
    await outage.kill();
    const { errors } = startWorker(name, { lockDuration: 1_500 });
    await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl("unconfirmed-mark"), "unconfirmed-mark"), { replicas: 0 });

    await eventually(() => errors.some((error) => error.includes("no kickoff was sent")));
    expect(errors[0]).toMatch(/^job unconfirmed-mark: the "kickoff sent" mark could not be confirmed: the replicas did not confirm it within 1500 ms: 0 of \d replica\(s\) acknowledged it/);
    expect(backend.kickoffs("unconfirmed-mark")).toBe(0);

    await outage.restart();
    const result = await waitForResult(queue, "unconfirmed-mark", { signal: AbortSignal.timeout(30_000) });
    expect(result).toMatchObject({ status: "succeeded" });
    expect(backend.kickoffs("unconfirmed-mark")).toBe(1);
  }, 60_000);

  it("writes the checkpoint again until a replica confirms it, for longer than the lock lasts, and polls only then", async () => {
    const { name, queue } = openQueue();
    const outage = replicaOutage();
    startWorker(name, { lockDuration: 1_500 }, (runtime) => ({
      run: (invocation, options = {}) =>
        runtime.run(invocation, {
          ...options,
          // The kickoff went out under a confirmed mark; the replicas go before its checkpoint is written.
          saveCheckpoint: async (checkpoint) => {
            await outage.kill();
            await options.saveCheckpoint?.(checkpoint);
          },
        }),
    }));
    await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl("unconfirmed-checkpoint"), "unconfirmed-checkpoint"));

    await outage.down;
    // Twice the lock's duration: a window of one lock duration would have given the checkpoint up, and the run polled on.
    await delay(3_000);
    expect([backend.kickoffs("unconfirmed-checkpoint"), backend.polls("unconfirmed-checkpoint")]).toEqual([1, 0]);
    expect(await queue.getJobState("unconfirmed-checkpoint")).toBe("active");

    await outage.restart();
    expect(await waitForResult(queue, "unconfirmed-checkpoint", { signal: AbortSignal.timeout(30_000) })).toMatchObject({ status: "succeeded" });
    expect(backend.kickoffs("unconfirmed-checkpoint")).toBe(1);
  }, 60_000);

  it("completes a job only once a replica confirms its stored result, however long that takes", async () => {
    const { name, queue } = openQueue();
    const outage = replicaOutage();
    startWorker(name, { lockDuration: 1_500 }, (runtime) => ({
      async run(invocation, options) {
        const result = await runtime.run(invocation, options);
        await outage.kill();
        return result;
      },
    }));
    await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl("unconfirmed-result"), "unconfirmed-result"));

    await outage.down;
    await delay(3_000);
    // Completed unconfirmed, a failover could take the completion back, and the next attempt would find no result.
    expect(await queue.getJobState("unconfirmed-result")).toBe("active");

    await outage.restart();
    expect(await waitForResult(queue, "unconfirmed-result", { signal: AbortSignal.timeout(30_000) })).toMatchObject({ status: "succeeded" });
    expect(backend.kickoffs("unconfirmed-result")).toBe(1);
  }, 60_000);

  it("reports an ending to waitForResult only once a replica holds it", async () => {
    const { name, queue } = openQueue();
    const outage = replicaOutage();
    await outage.kill();
    startWorker(name, { replicas: 0 });
    await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl("unconfirmed-ending"), "unconfirmed-ending"), { replicas: 0 });
    let reported: RuntimeResult | undefined;
    const waiting = waitForResult(queue, "unconfirmed-ending", { signal: AbortSignal.timeout(30_000) }).then((result) => (reported = result));

    await eventually(async () => (await queue.getJobState("unconfirmed-ending")) === "completed");
    // Two rechecks of the wait: each read found the ending, and no replica confirmed it.
    await delay(2_500);
    expect(reported).toBeUndefined();

    await outage.restart();
    expect(await waiting).toMatchObject({ invocation_id: "unconfirmed-ending", status: "succeeded" });
  }, 60_000);

  it("resolves enqueueInvocation only once a replica holds the job", async () => {
    const { queue } = openQueue();
    const outage = replicaOutage();
    await outage.kill();
    let enqueued = false;
    const enqueuing = enqueueInvocation(queue, jobInvocation(backend.kickoffUrl("unconfirmed-enqueue"), "unconfirmed-enqueue")).then(() => (enqueued = true));

    await eventually(async () => (await queue.getJobState("unconfirmed-enqueue")) === "waiting");
    await delay(1_500);
    expect(enqueued).toBe(false);

    await outage.restart();
    await enqueuing;
    expect(await queue.getJobState("unconfirmed-enqueue")).toBe("waiting");
  }, 60_000);

  it("confirms no write on the old primary with fewer acknowledgements than it has replicas, read every 50 ms through a graceful failover", async () => {
    const addressing = { sentinels: redis.sentinels, name: redis.name };
    const before = primaryViewOf(await readReports(addressing));
    expect(before).toMatchObject({ replicas: 2 });
    const views: PrimaryView[] = [];
    let switched = false;
    const failover = redis.failover().finally(() => (switched = true));
    // Until a second after the sentinels name the new primary: the window in which a write on the old one could count.
    let until = Number.POSITIVE_INFINITY;
    while (Date.now() < until) {
      views.push(primaryViewOf(await readReports(addressing)));
      if (switched && until === Number.POSITIVE_INFINITY) until = Date.now() + 1_000;
      await delay(50);
    }
    await failover;
    expect(views.some((view) => view.unsettled !== undefined)).toBe(true);
    expect(views.filter((view) => view.runId === before.runId && view.replicas < 2)).toEqual([]);
  }, 90_000);

  it("closes every connection of a worker on a Sentinel connection when it closes, those of ioredis's failover detector included", async () => {
    const sockets = (): number => process.getActiveResourcesInfo().filter((resource) => resource === "TCPSocketWrap").length;
    const before = sockets();
    const runtime = quickRuntime();
    const worker = createInvocationWorker(`failover-${++queueCount}`, runtime, { connection: redis.connection });
    await worker.waitUntilReady();
    // More than its two connections: the failover detector's subscriptions to the sentinels.
    await eventually(() => sockets() > before + 2);
    await worker.close();
    await runtime.close();
    await eventually(() => sockets() <= before);
  }, 60_000);

  it("returns the result an earlier attempt stored, without running the invocation again", async () => {
    const { name, queue } = openQueue();
    const invocation = jobInvocation(backend.kickoffUrl("stored-result"), "stored-result");
    const stored = buildResult(identityOf(invocation), { status: "succeeded" });
    await queue.add("invocation", { invocation, kickoffSentAt: "2026-12-07T00:00:00.000Z", result: stored }, { jobId: "stored-result" });
    startWorker(name);
    expect(await waitForResult(queue, "stored-result", { signal: AbortSignal.timeout(30_000) })).toEqual(stored);
    expect(backend.kickoffs("stored-result")).toBe(0);
  }, 60_000);

  it("ends every invocation once, with the backend's outcome, through a graceful failover in the middle of the runs, and kicks none without a key off twice", async () => {
    const { name, queue } = openQueue();
    startWorker(name, QUICK_RECOVERY);
    startWorker(name, QUICK_RECOVERY);
    const ids = Array.from({ length: 40 }, (_, index) => `graceful-${index}`);
    await Promise.all(ids.map((id, index) => enqueueInvocation(queue, jobInvocation(backend.kickoffUrl(id), id, index % 2 === 0))));
    await eventually(() => ids.filter((id) => backend.kickoffs(id) > 0).length >= 10);
    await redis.failover();

    const results = await Promise.all(ids.map((id) => waitForResult(queue, id, { signal: AbortSignal.timeout(60_000) })));
    // A result other than succeeded shows its summary, which says what the failover did to it.
    expect(results.map((result) => [result.invocation_id, result.status === "succeeded" ? "succeeded" : result.error_summary])).toEqual(
      ids.map((id) => [id, "succeeded"]),
    );
    expect(ids.filter((id, index) => index % 2 === 1 && backend.kickoffs(id) !== 1)).toEqual([]);
  }, 90_000);
});
