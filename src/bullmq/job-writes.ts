import { setTimeout as delay } from "node:timers/promises";
import type { Job } from "bullmq";
import type { RuntimeResult } from "../contracts/result.js";
import type { InvocationJobData } from "./job-data.js";
import type { JobField, JobLock, WriteOutcome } from "./job-lock.js";
import type { InvocationProgress } from "./progress.js";
import { CONFIRM_RETRY_PAUSE_MS } from "./replication.js";

/** Where a run's job writes report to. */
export interface JobWritesListener {
  /** Called once, on the first write refused because the job's lock is no longer this worker's. */
  readonly onLockLost: () => void;
  /** Called with each progress record once it is stored. */
  readonly onProgress: (progress: InvocationProgress) => void;
}

/** Fields to set in the job data; an `undefined` one is removed. */
export type DataPatch = { readonly [K in keyof InvocationJobData]?: InvocationJobData[K] | undefined };

/**
 * How long a data write is sent again while the replicas do not confirm it:
 * never (`"once"`: sent once, unconfirmed), for up to the confirm window
 * (`"window"`), or until they confirm it, the lock is lost or `runEnded`
 * aborts (a checkpoint is not needed once its run has ended).
 */
export type Confirm = "once" | "window" | { readonly runEnded?: AbortSignal };

/** Why a write was refused. */
const LOCK_LOST = "the job's lock is no longer held by this worker (another worker took the job over, or the job is gone)";

/**
 * A write that landed on a server whose replicas did not acknowledge it in
 * time: a failover may take it back. The job can try again later.
 */
export class UnconfirmedWriteError extends Error {
  override readonly name = "UnconfirmedWriteError";
}

/**
 * The writes a run makes to its job (data and progress), one at a time and in
 * order, each fenced by the job's lock. Once one is refused, none is sent again.
 */
export class JobWrites {
  readonly #job: Job<InvocationJobData, RuntimeResult>;
  readonly #lock: JobLock;
  readonly #listener: JobWritesListener;
  readonly #confirmWindowMs: number;
  #tail: Promise<void> = Promise.resolve();
  #lost = false;

  /** `confirmWindowMs`: how long a `"window"` write is sent again while the replicas do not confirm it. */
  constructor(job: Job<InvocationJobData, RuntimeResult>, lock: JobLock, listener: JobWritesListener, confirmWindowMs: number) {
    this.#job = job;
    this.#lock = lock;
    this.#listener = listener;
    this.#confirmWindowMs = confirmWindowMs;
  }

  /**
   * Merges `patch` into the job data. Rejects when the write is refused or
   * fails. When the worker replicates, a write the replicas do not confirm
   * is sent again, as `confirm` says, and then rejects with an
   * `UnconfirmedWriteError`.
   */
  update(patch: DataPatch, confirm: Confirm = "window"): Promise<void> {
    const write = this.#tail.then(async () => {
      const data = { ...this.#job.data, ...patch } as InvocationJobData;
      const json = JSON.stringify(data);
      const until = Date.now() + this.#confirmWindowMs;
      let outcome = await this.#write("data", json, confirm !== "once");
      while (outcome.kind === "unconfirmed") {
        if (typeof confirm === "object" ? confirm.runEnded?.aborted === true : Date.now() >= until) {
          const when = typeof confirm === "object" ? "before the run ended" : `within ${this.#confirmWindowMs} ms`;
          throw new UnconfirmedWriteError(`the replicas did not confirm it ${when}: ${outcome.problem}`);
        }
        await delay(CONFIRM_RETRY_PAUSE_MS);
        outcome = await this.#write("data", json, true);
      }
      this.#job.data = data;
    });
    this.#tail = write.catch(() => undefined);
    return write;
  }

  /** Sets the job's progress; a refused or failed write only loses that update. */
  progress(progress: InvocationProgress): void {
    this.#tail = this.#tail
      .then(async () => {
        await this.#write("progress", JSON.stringify(progress), false);
        this.#job.progress = progress;
        this.#listener.onProgress(progress);
      })
      .catch(() => undefined);
  }

  /** Resolves once every write so far has landed or failed. */
  settled(): Promise<void> {
    return this.#tail;
  }

  async #write(field: JobField, json: string, confirm: boolean): Promise<WriteOutcome> {
    if (this.#lost) throw new Error(LOCK_LOST);
    const outcome = await this.#lock.write(field, json, confirm);
    if (outcome.kind !== "lost") return outcome;
    this.#lost = true;
    this.#listener.onLockLost();
    throw new Error(LOCK_LOST);
  }
}
