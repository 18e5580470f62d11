import { Worker, type Job, type WorkerOptions } from "bullmq";
import type { RuntimeResult } from "../contracts/result.js";
import type { Checkpoint, RunEvent, RunOptions } from "../runners/runner.js";
import { errorMessage } from "../util/error-message.js";
import { hasIdempotencyKey, type InvocationJobData } from "./job-data.js";
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
 * @example
 * const worker = createInvocationWorker("invocations", runtime, { connection, concurrency: 50 });
 */
export function createInvocationWorker(queueName: string, runtime: InvocationRuntime, options: InvocationWorkerOptions): InvocationWorker {
  const { abortOnClose = false, ...workerOptions } = options;
  const worker: InvocationWorker = new Worker<InvocationJobData, RuntimeResult, string>(
    queueName,
    // Three parameters: BullMQ hands an abort signal only to processors that declare it.
    (job, _token, signal) => runInvocationJob(job, runtime, signal),
    workerOptions,
  );
  if (abortOnClose) worker.on("closing", () => worker.cancelAllJobs("the worker is closing"));
  return worker;
}

/** Runs one job's invocation; resolves to its result and never rejects for a run's own outcome. */
export async function runInvocationJob(
  job: Job<InvocationJobData, RuntimeResult>,
  runtime: InvocationRuntime,
  signal: AbortSignal | undefined,
): Promise<RuntimeResult> {
  const writes = new JobWrites(job);
  const track = createProgressTracker();
  const onEvent = (event: RunEvent): void => {
    writes.progress(track(event));
  };
  // Stored before the first poll, so a worker that takes over resumes instead of kicking off again.
  const saveCheckpoint = (checkpoint: Checkpoint): Promise<void> => writes.update({ checkpoint });
  const { invocation, checkpoint, kickoffSentAt } = job.data;
  const base: RunOptions = signal === undefined ? { onEvent, saveCheckpoint } : { onEvent, saveCheckpoint, signal };
  let options: RunOptions;
  if (checkpoint !== undefined) {
    options = { ...base, resume: checkpoint };
  } else if (kickoffSentAt !== undefined && !hasIdempotencyKey(invocation)) {
    options = { ...base, beforeKickoff: () => Promise.reject(new Error(outcomeUnknown(kickoffSentAt))) };
  } else {
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

function outcomeUnknown(kickoffSentAt: string): string {
  return (
    `an earlier attempt of this job sent the kickoff at ${kickoffSentAt} and stopped before the backend's answer was stored, ` +
    "so the kickoff's outcome is unknown; it was not re-sent to avoid a duplicate job " +
    "(set http.idempotency_key_header to let a retry re-send it safely)"
  );
}

/** The job's data and progress writes, one at a time and in order. */
class JobWrites {
  readonly #job: Job<InvocationJobData, RuntimeResult>;
  #data: InvocationJobData;
  #tail: Promise<void> = Promise.resolve();

  constructor(job: Job<InvocationJobData, RuntimeResult>) {
    this.#job = job;
    this.#data = job.data;
  }

  /** Merges `patch` into the job data; rejects when the write fails. */
  update(patch: Partial<InvocationJobData>): Promise<void> {
    const write = this.#tail.then(() => {
      this.#data = { ...this.#data, ...patch };
      return this.#job.updateData(this.#data);
    });
    this.#tail = write.catch(() => undefined);
    return write;
  }

  /** Sets the job's progress; a failed write only loses that update. */
  progress(progress: InvocationProgress): void {
    this.#tail = this.#tail.then(() => this.#job.updateProgress(progress)).catch(() => undefined);
  }

  /** Resolves once every write so far has landed or failed. */
  settled(): Promise<void> {
    return this.#tail;
  }
}
