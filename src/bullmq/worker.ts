import { DelayedError, Worker, type Job, type WorkerOptions } from "bullmq";
import type { RuntimeResult } from "../contracts/result.js";
import type { Checkpoint, RunEvent, RunOptions } from "../runners/runner.js";
import { errorMessage } from "../util/error-message.js";
import { namesSentinels, releaseFailoverDetector, replicationOf, workerConnection } from "./connection.js";
import { hasIdempotencyKey, type InvocationJobData } from "./job-data.js";
import { jobLock, type JobLock } from "./job-lock.js";
import { JobWrites, UnconfirmedWriteError } from "./job-writes.js";
import { createProgressTracker, type InvocationProgress } from "./progress.js";

/** What the worker runs invocations on: an `ExecutorRuntime`, or anything with its `run`. */
export interface InvocationRuntime {
  run(invocation: unknown, options?: RunOptions): Promise<RuntimeResult>;
}

/** Options of `createInvocationWorker`: BullMQ's worker options, and one of ours. */
export interface InvocationWorkerOptions extends WorkerOptions {
  /**
   * Whether `close()` aborts the runs in flight (they end `cancelled`, and the
   * backend's cancel request is sent when configured). By default `close()`
   * lets them finish.
   * @default false
   */
  readonly abortOnClose?: boolean;
  /**
   * How many replicas must acknowledge (Redis `WAIT`) the "kickoff sent"
   * mark, the checkpoint and the stored result before the run goes on, so
   * that a failover cannot take them back. 0 confirms nothing.
   * @default every replica linked to the primary the sentinels name, when the connection names sentinels; 0 otherwise
   */
  readonly replicas?: number;
}

/** A BullMQ worker that runs invocation jobs and returns their results. */
export type InvocationWorker = Worker<InvocationJobData, RuntimeResult, string>;

/**
 * Creates a BullMQ worker that runs each job's invocation on `runtime` and
 * returns the RuntimeResult as the job's return value. A job survives its
 * worker: the worker stores a "kickoff sent" mark in the job data right
 * before the kickoff and the checkpoint once the backend accepts the run, so
 * a worker that takes a stalled job over resumes polling instead of
 * dispatching the backend job again. A job that carries the mark but no
 * checkpoint (its worker died while the kickoff was in flight) is kicked off
 * again only when the invocation sets `http.idempotency_key_header`;
 * otherwise it ends `failed`, saying the kickoff's outcome is unknown.
 *
 * Every write a run makes to its job (the mark, the checkpoint, progress) is
 * fenced by the job's lock: it lands only while this worker still holds the
 * lock, and the kickoff is sent only once the mark landed. A worker that lost
 * the lock (it was frozen past `lockDuration` and another worker took the job
 * over) sends no kickoff and writes nothing; its run is abandoned (ended at
 * once, without the cancel request that would cancel the backend job the
 * other worker follows), BullMQ refuses its result, and the worker emits one
 * `error` event saying so.
 *
 * @example
 * const worker = createInvocationWorker("invocations", runtime, { connection, concurrency: 50 });
 */
export function createInvocationWorker(queueName: string, runtime: InvocationRuntime, options: InvocationWorkerOptions): InvocationWorker {
  const { abortOnClose = false, replicas, ...rest } = options;
  const workerOptions: WorkerOptions = namesSentinels(rest.connection)
    ? { maxStalledCount: FAILOVER_MAX_STALLED_COUNT, ...rest, connection: workerConnection(rest.connection) }
    : rest;
  const replication = replicationOf(workerOptions.connection, replicas);
  const confirmWindowMs = workerOptions.lockDuration ?? DEFAULT_LOCK_DURATION_MS;
  const worker: InvocationWorker = new Worker<InvocationJobData, RuntimeResult, string>(
    queueName,
    // Three parameters: BullMQ hands an abort signal only to processors that declare it.
    async (job, token, signal) => {
      try {
        return await runInvocationJob(job, runtime, {
          signal,
          lock: jobLock(worker, job, token, replication),
          confirmWindowMs,
          storeResult: replication.on,
          onLockLost: (error) => void worker.emit("error", error),
          onProgress: (progress) => void worker.emit("progress", job, progress),
        });
      } catch (error) {
        if (!(error instanceof UnconfirmedWriteError)) throw error;
        worker.emit("error", new Error(`job ${job.id ?? "?"}: ${error.message}; no kickoff was sent, and the job is tried again in ${RETRY_LATER_MS} ms`));
        // Not moved (Redis refused it, or a failover takes it back): the job stalls once its lock expires, and is tried again then.
        await job.moveToDelayed(Date.now() + RETRY_LATER_MS, token).catch(() => undefined);
        throw new DelayedError();
      }
    },
    workerOptions,
  );
  if (abortOnClose) worker.on("closing", () => worker.cancelAllJobs("the worker is closing"));
  if (workerOptions.connection !== rest.connection) worker.on("closed", () => releaseFailoverDetector(worker));
  return worker;
}

/**
 * How often a job on a Sentinel connection may stall before BullMQ fails it
 * (BullMQ's default is 1): a failover can take back a job's lock renewals
 * and its completion, and the job stalls once for each; it resumes from its
 * checkpoint or its stored result.
 */
const FAILOVER_MAX_STALLED_COUNT = 3;

/** BullMQ's default `lockDuration`. */
const DEFAULT_LOCK_DURATION_MS = 30_000;

/** How long a job whose "kickoff sent" mark the replicas did not confirm waits before it is tried again. */
const RETRY_LATER_MS = 1_000;

/** What a run needs from the worker that took its job. */
export interface JobContext {
  /** BullMQ's abort signal for the job (`cancelJob`, `abortOnClose`). */
  readonly signal: AbortSignal | undefined;
  /** The job's lock, which fences every write. */
  readonly lock: JobLock;
  /** How long the "kickoff sent" mark is written again while the replicas do not confirm it. */
  readonly confirmWindowMs: number;
  /** Whether the result is stored in the job data before the job completes (the worker replicates its writes). */
  readonly storeResult: boolean;
  /** Told once when the job's lock turns out to be lost. */
  readonly onLockLost: (error: Error) => void;
  /** Told of each progress record once it is stored. */
  readonly onProgress: (progress: InvocationProgress) => void;
}

/**
 * Runs one job's invocation; resolves to its result and never rejects for a
 * run's own outcome. Rejects with an `UnconfirmedWriteError` when the
 * replicas did not confirm the "kickoff sent" mark: no kickoff was sent, and
 * the job should be tried again later.
 */
export async function runInvocationJob(
  job: Job<InvocationJobData, RuntimeResult>,
  runtime: InvocationRuntime,
  context: JobContext,
): Promise<RuntimeResult> {
  const { invocation, checkpoint, kickoffSentAt, traceContext, result: stored } = job.data;
  // An earlier attempt ended and stored its result, and a failover took its completion back.
  if (stored !== undefined) return stored;
  const abandon = new AbortController();
  const { signal } = context;
  const writes = new JobWrites(job, context.lock, {
    onLockLost: () => {
      // Abandoned, not cancelled: a cancel request would cancel the backend job that the worker holding the lock now follows.
      context.onLockLost(new Error(lockLostMessage(job.id)));
      abandon.abort(new Error("the job's lock was lost"));
    },
    onProgress: context.onProgress,
  }, context.confirmWindowMs);
  let unconfirmedMark: UnconfirmedWriteError | undefined;
  const track = createProgressTracker();
  const onEvent = (event: RunEvent): void => {
    writes.progress(track(event));
  };
  // Stored before the first poll, so a worker that takes over resumes instead of kicking off again; a failover can last
  // longer than any window, and a job whose kickoff was sent resumes only from a checkpoint the replicas hold.
  const runEnded = new AbortController();
  const saveCheckpoint = (saved: Checkpoint): Promise<void> => writes.update({ checkpoint: saved }, { runEnded: runEnded.signal });
  const shared: RunOptions = { onEvent, saveCheckpoint, abandon: abandon.signal, ...(signal === undefined ? {} : { signal }) };
  const base: RunOptions = traceContext === undefined ? shared : { ...shared, traceContext };
  let options: RunOptions;
  if (checkpoint !== undefined) {
    options = { ...base, resume: checkpoint };
  } else if (kickoffSentAt !== undefined && !hasIdempotencyKey(invocation)) {
    options = { ...base, beforeKickoff: () => Promise.reject(new Error(outcomeUnknown(kickoffSentAt))) };
  } else {
    // The kickoff is fenced by this write: when the lock is no longer ours, the mark is refused and no kickoff is sent.
    const beforeKickoff = async (): Promise<void> => {
      try {
        await writes.update({ kickoffSentAt: new Date().toISOString() });
      } catch (error) {
        if (error instanceof UnconfirmedWriteError) {
          unconfirmedMark = error;
          abandon.abort(error);
        }
        throw new Error(`the "kickoff sent" mark could not be stored in the job data: ${errorMessage(error)}`);
      }
    };
    options = { ...base, beforeKickoff };
  }
  const result = await runtime.run(invocation, options);
  runEnded.abort();
  await writes.settled();
  if (unconfirmedMark !== undefined) {
    // No kickoff went out: the mark goes, so that the next attempt does not take it for one whose outcome is unknown.
    await writes.update({ kickoffSentAt: undefined }, "once").catch(() => undefined);
    throw new UnconfirmedWriteError(`the "kickoff sent" mark could not be confirmed: ${unconfirmedMark.message}`);
  }
  if (context.storeResult) {
    // Confirmed before the completion, which a failover can take back: the next attempt returns it.
    // Refused (the lock is lost), BullMQ refuses the completion too.
    await writes.update({ result }, {}).catch(() => undefined);
  }
  return result;
}

function lockLostMessage(jobId: string | undefined): string {
  return (
    `job ${jobId ?? "?"}: its lock is no longer held by this worker (it was taken over after the lock expired, or the job is gone), ` +
    "so this run sends no kickoff, writes nothing more to the job and its result is dropped; " +
    "the run was abandoned, with no cancel request to the backend job that the other worker follows"
  );
}

function outcomeUnknown(kickoffSentAt: string): string {
  return (
    `an earlier attempt of this job sent the kickoff at ${kickoffSentAt} and stopped before the backend's answer was stored, ` +
    "so the kickoff's outcome is unknown; it was not re-sent to avoid a duplicate job " +
    "(set http.idempotency_key_header to let a retry re-send it safely)"
  );
}
