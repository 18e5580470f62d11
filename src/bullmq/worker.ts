import { Worker, type Job, type WorkerOptions } from "bullmq";
import type { RuntimeResult } from "../contracts/result.js";
import type { Checkpoint, RunEvent, RunOptions } from "../runners/runner.js";
import { errorMessage } from "../util/error-message.js";
import { hasIdempotencyKey, type InvocationJobData } from "./job-data.js";
import { jobLock, type JobLock } from "./job-lock.js";
import { JobWrites } from "./job-writes.js";
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
  const { abortOnClose = false, ...workerOptions } = options;
  const worker: InvocationWorker = new Worker<InvocationJobData, RuntimeResult, string>(
    queueName,
    // Three parameters: BullMQ hands an abort signal only to processors that declare it.
    (job, token, signal) =>
      runInvocationJob(job, runtime, {
        signal,
        lock: jobLock(worker, job, token),
        onLockLost: (error) => void worker.emit("error", error),
        onProgress: (progress) => void worker.emit("progress", job, progress),
      }),
    workerOptions,
  );
  if (abortOnClose) worker.on("closing", () => worker.cancelAllJobs("the worker is closing"));
  return worker;
}

/** What a run needs from the worker that took its job. */
export interface JobContext {
  /** BullMQ's abort signal for the job (`cancelJob`, `abortOnClose`). */
  readonly signal: AbortSignal | undefined;
  /** The job's lock, which fences every write. */
  readonly lock: JobLock;
  /** Told once when the job's lock turns out to be lost. */
  readonly onLockLost: (error: Error) => void;
  /** Told of each progress record once it is stored. */
  readonly onProgress: (progress: InvocationProgress) => void;
}

/** Runs one job's invocation; resolves to its result and never rejects for a run's own outcome. */
export async function runInvocationJob(
  job: Job<InvocationJobData, RuntimeResult>,
  runtime: InvocationRuntime,
  context: JobContext,
): Promise<RuntimeResult> {
  const { invocation, checkpoint, kickoffSentAt, traceContext } = job.data;
  const abandon = new AbortController();
  const { signal } = context;
  const writes = new JobWrites(job, context.lock, {
    onLockLost: () => {
      // Abandoned, not cancelled: a cancel request would cancel the backend job that the worker holding the lock now follows.
      context.onLockLost(new Error(lockLostMessage(job.id)));
      abandon.abort(new Error("the job's lock was lost"));
    },
    onProgress: context.onProgress,
  });
  const track = createProgressTracker();
  const onEvent = (event: RunEvent): void => {
    writes.progress(track(event));
  };
  // Stored before the first poll, so a worker that takes over resumes instead of kicking off again.
  const saveCheckpoint = (saved: Checkpoint): Promise<void> => writes.update({ checkpoint: saved });
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
        throw new Error(`the "kickoff sent" mark could not be stored in the job data: ${errorMessage(error)}`);
      }
    };
    options = { ...base, beforeKickoff };
  }
  const result = await runtime.run(invocation, options);
  await writes.settled();
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
