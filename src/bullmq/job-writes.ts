import type { Job } from "bullmq";
import type { RuntimeResult } from "../contracts/result.js";
import type { InvocationJobData } from "./job-data.js";
import type { JobField, JobLock } from "./job-lock.js";
import type { InvocationProgress } from "./progress.js";

/** Where a run's job writes report to. */
export interface JobWritesListener {
  /** Called once, on the first write refused because the job's lock is no longer this worker's. */
  readonly onLockLost: () => void;
  /** Called with each progress record once it is stored. */
  readonly onProgress: (progress: InvocationProgress) => void;
}

/** Why a write was refused. */
const LOCK_LOST = "the job's lock is no longer held by this worker (another worker took the job over, or the job is gone)";

/**
 * The writes a run makes to its job (data and progress), one at a time and in
 * order, each fenced by the job's lock. Once one is refused, none is sent again.
 */
export class JobWrites {
  readonly #job: Job<InvocationJobData, RuntimeResult>;
  readonly #lock: JobLock;
  readonly #listener: JobWritesListener;
  #tail: Promise<void> = Promise.resolve();
  #lost = false;

  constructor(job: Job<InvocationJobData, RuntimeResult>, lock: JobLock, listener: JobWritesListener) {
    this.#job = job;
    this.#lock = lock;
    this.#listener = listener;
  }

  /** Merges `patch` into the job data; rejects when the write is refused or fails. */
  update(patch: Partial<InvocationJobData>): Promise<void> {
    const write = this.#tail.then(async () => {
      const data = { ...this.#job.data, ...patch };
      await this.#write("data", data);
      this.#job.data = data;
    });
    this.#tail = write.catch(() => undefined);
    return write;
  }

  /** Sets the job's progress; a refused or failed write only loses that update. */
  progress(progress: InvocationProgress): void {
    this.#tail = this.#tail
      .then(async () => {
        await this.#write("progress", progress);
        this.#job.progress = progress;
        this.#listener.onProgress(progress);
      })
      .catch(() => undefined);
  }

  /** Resolves once every write so far has landed or failed. */
  settled(): Promise<void> {
    return this.#tail;
  }

  async #write(field: JobField, value: unknown): Promise<void> {
    if (this.#lost) throw new Error(LOCK_LOST);
    if (await this.#lock.write(field, JSON.stringify(value))) return;
    this.#lost = true;
    this.#listener.onLockLost();
    throw new Error(LOCK_LOST);
  }
}
