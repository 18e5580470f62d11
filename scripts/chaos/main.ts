// npm run chaos: invocations through BullMQ worker processes on a real
// redis-server with an append-only file, while a schedule of faults hits
// them: workers SIGKILLed (one, then half of them at once) and replaced,
// redis-server SIGKILLed and restarted on its file, the backend answering 503
// or dropping connections, a worker frozen (SIGSTOP) past its lock and
// resumed. It stops by itself, prints what came out and exits 1 when an
// invariant fails: a result for every invocation and one only, no kickoff
// sent twice without an idempotency key, every worker working again after
// every fault, nothing left running. With `--topology sentinel` the queue
// runs on a primary, two replicas and three sentinels, and the faults are
// failovers (graceful, the primary killed, the primary frozen); the run then
// also counts what each failover cost. `npm run chaos -- --help` lists the flags.
import { setMaxListeners } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { enqueueInvocation, waitForResult } from "../../src/bullmq/index.js";
import { asyncHttpMetadata, type RuntimeInvocationInput } from "../../src/index.js";
import { startJobBackend, type JobBackend } from "../../test/support/job-backend.js";
import { prepareRedisServer } from "../../test/support/redis-setup.js";
import { connectionOf } from "./connection.js";
import { reportFailovers } from "./failover-report.js";
import { injectFault, planFaults, seededRandom, type Fault } from "./faults.js";
import { parseChaosOptions } from "./options.js";
import { describeRedis, redisPids, startChaosRedis, stopChaosRedis, type ChaosRedis } from "./redis.js";
import { reportRun, type SeenResult } from "./report.js";
import { isRunning, WorkerPool } from "./workers.js";

const QUEUE_NAME = "chaos";
// Polls answered `running` before `succeeded`: with the poll interval, a run takes about two seconds.
const RUNNING_POLLS = 4;
// A kickoff takes this long to answer, its backend job created at once: a worker killed or frozen
// meanwhile leaves a job whose kickoff's outcome it never stored (the kickoff window).
const KICKOFF_LATENCY_MS = 250;

const options = parseChaosOptions(process.argv.slice(2));
const startedAt = performance.now();
const now = (): number => Math.round(performance.now() - startedAt);
const random = seededRandom(options.seed);
prepareRedisServer({ stopped: "npm run chaos stopped: it starts its own redis-server" });
console.log(
  `chaos (${options.topology}): ${options.workers} workers x ${options.concurrency}, ${options.invocations} invocations over ${options.durationMs / 1_000} s, ` +
    `${options.rounds} round(s) of faults, lockDuration ${options.lockDurationMs} ms, seed ${options.seed}`,
);

const aofDir = await mkdtemp(join(tmpdir(), "executor-runtime-chaos-"));
const startedRedisPids = new Set<number>();
let redis: ChaosRedis | undefined;
let backend: JobBackend | undefined;
let pool: WorkerPool | undefined;
let queue: Queue | undefined;

/** Stops everything this run started; safe to call twice. */
async function shutdown(): Promise<void> {
  await queue?.close().catch(() => undefined);
  await pool?.stop();
  if (redis !== undefined) await stopChaosRedis(redis);
  await backend?.close();
  await rm(aofDir, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void shutdown().finally(() => process.exit(130)));
}
// Bounded whatever happens: a step that hangs (a worker that never starts, a close that never ends) ends the run.
// A failover waits for the sentinels to agree before it starts, and may end after the window.
const hardLimitMs = options.durationMs + options.drainLimitMs + (options.topology === "sentinel" ? 180_000 : 60_000);
const watchdog = setTimeout(() => {
  console.error(`chaos run still going after ${hardLimitMs / 1_000} s: stopping it`);
  void shutdown().finally(() => process.exit(2));
}, hardLimitMs);
watchdog.unref();

try {
  redis = await startChaosRedis(options.topology, aofDir);
  const noteRedisPids = (): void => redisPids(redis!).forEach((pid) => startedRedisPids.add(pid));
  noteRedisPids();
  console.log(`  ${describeRedis(redis)}`);
  backend = await startJobBackend({ runningPolls: RUNNING_POLLS, kickoffLatencyMs: KICKOFF_LATENCY_MS });
  const workerBundle = fileURLToPath(new URL("./chaos-worker.js", import.meta.url));
  pool = new WorkerPool(
    workerBundle,
    {
      redis: redis.target,
      queueName: QUEUE_NAME,
      concurrency: options.concurrency,
      lockDurationMs: options.lockDurationMs,
      stalledIntervalMs: options.lockDurationMs / 2,
      // A stalled job resumes from its checkpoint, so one that meets two faults need not fail in the queue.
      maxStalledCount: 2,
    },
    now,
  );
  await Promise.all(Array.from({ length: options.workers }, () => pool!.start()));
  queue = new Queue(QUEUE_NAME, { connection: connectionOf(redis.target) });
  let queueErrors = 0;
  queue.on("error", () => void (queueErrors += 1));

  const ids = Array.from({ length: options.invocations }, (_, i) => `chaos-${i + 1}`);
  const keyed = (id: string): boolean => Number(id.slice("chaos-".length)) % 2 === 0;
  const results = new Map<string, SeenResult>();
  const enqueuedAt = new Map<string, number>();
  let enqueueRetries = 0;
  const deadline = new AbortController();
  // Every wait listens to this one signal.
  setMaxListeners(ids.length + 1, deadline.signal);
  const waits: Promise<void>[] = [];
  const faults: Fault[] = [];
  const windowStart = now();

  const enqueueAll = async (): Promise<void> => {
    for (const [index, id] of ids.entries()) {
      const dueAt = windowStart + (index * options.durationMs) / ids.length;
      if (dueAt > now()) await delay(dueAt - now());
      enqueuedAt.set(id, now());
      // A failover can refuse an add (a connection cut, a primary turned replica): a dispatcher tries again, with the same job id.
      for (let attempt = 1; ; attempt++) {
        try {
          await enqueueInvocation(queue!, invocationOf(id, keyed(id), backend!));
          break;
        } catch (error) {
          if (attempt === 5) throw error;
          enqueueRetries += 1;
          await delay(500);
        }
      }
      waits.push(
        waitForResult(queue!, id, { signal: deadline.signal }).then(
          (result) => {
            results.set(id, { status: result.status, summary: result.error_summary, at: now() });
            pool!.forget(id);
          },
          () => undefined,
        ),
      );
    }
  };
  const injectAll = async (): Promise<void> => {
    for (const { kind, atMs } of planFaults(options, random)) {
      if (windowStart + atMs > now()) await delay(windowStart + atMs - now());
      const fault = await injectFault(kind, {
        pool: pool!,
        redis: redis!,
        backend: backend!,
        options,
        now,
        random,
      });
      noteRedisPids();
      faults.push(fault);
      console.log(`  fault ${faults.length} at ${(fault.startedAt / 1_000).toFixed(1)} s: ${fault.label}`);
    }
  };
  await Promise.all([enqueueAll(), injectAll()]);
  console.log(`  enqueued ${ids.length}; waiting for the last results (at most ${options.drainLimitMs / 1_000} s)`);
  const drainTimer = setTimeout(() => deadline.abort(new Error("drain limit reached")), options.drainLimitMs);
  await Promise.all(waits);
  clearTimeout(drainTimer);

  const { mismatches, storedStates } = await compareStored(queue, ids, results);
  const elapsedMs = now();
  await shutdown();
  const leftRunning = [...pool.leftRunning(), ...[...startedRedisPids].filter(isRunning)];
  const { text, failures } = reportRun({
    ids,
    keyed,
    results,
    kickoffs: (id) => backend!.kickoffs(id),
    pool,
    faults,
    mismatches,
    leftRunning,
    elapsedMs,
  });
  console.log(`\n${text}`);
  if (queueErrors > 0) console.log(`(the enqueuing side saw ${queueErrors} connection errors while redis-server was down)`);
  if (enqueueRetries > 0) console.log(`(${enqueueRetries} enqueues were refused and tried again)`);
  let failoverFailures: readonly string[] = [];
  if (options.topology === "sentinel") {
    const backendStatus = (id: string): string | undefined => backend!.lastStatus(id);
    const report = reportFailovers({ ids, keyed, results, enqueuedAt, kickoffs: (id) => backend!.kickoffs(id), backendStatus, storedStates, pool, faults, elapsedMs, seed: options.seed });
    console.log(`\n${report.text}`);
    failoverFailures = report.failures;
  }
  process.exitCode = failures.length === 0 && failoverFailures.length === 0 ? 0 : 1;
  clearTimeout(watchdog);
} catch (error) {
  console.error(`chaos run aborted: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await shutdown();
  clearTimeout(watchdog);
  process.exitCode = 2;
}

/** An http_async invocation of the job backend, half of them with an idempotency key. */
function invocationOf(id: string, withKey: boolean, jobs: JobBackend): RuntimeInvocationInput {
  return {
    invocation_id: id,
    runtime_name: "chaos-backend",
    runtime_kind: "http_async",
    timeout_seconds: 300,
    metadata: asyncHttpMetadata({
      url: jobs.kickoffUrl(id),
      pollStatusPath: "status",
      pollTerminalStates: ["succeeded", "failed"],
      pollSuccessStates: ["succeeded"],
      pollIntervalSeconds: 0.4,
      // Enough to ride through a backend outage of several seconds while polling.
      pollMaxConsecutiveErrors: 30,
      ...(withKey ? { idempotencyKeyHeader: "Idempotency-Key" } : {}),
    }),
  };
}

/**
 * The jobs whose stored ending differs from the result `waitForResult` gave (a second result written
 * over the first, or none: the job is gone), and what Redis holds for each invocation: its job's
 * state, or "no job".
 */
async function compareStored(
  source: Queue,
  ids: readonly string[],
  results: ReadonlyMap<string, SeenResult>,
): Promise<{ mismatches: string[]; storedStates: Map<string, string> }> {
  const mismatches: string[] = [];
  const storedStates = new Map<string, string>();
  for (let start = 0; start < ids.length; start += 200) {
    await Promise.all(
      ids.slice(start, start + 200).map(async (id) => {
        const seen = results.get(id);
        const job = await source.getJob(id);
        const state = job === undefined ? "no job" : await job.getState();
        storedStates.set(id, state);
        if (seen === undefined) return;
        const stored = state === "completed" ? (job?.returnvalue as { status?: string } | null)?.status : state === "failed" ? "failed" : state;
        if (stored !== seen.status) mismatches.push(`${id} (seen ${seen.status}, stored ${String(stored)})`);
      }),
    );
  }
  return { mismatches, storedStates };
}
