import { timerQueue, type Timed } from "./timer-queue.js";

/**
 * The waits of one run: the default sleep of the HTTP runners, on the
 * process's one timer queue. One wait at a time; `wake()` ends it early (the
 * run's scope calls it when the run stops), and the wait lets go of its
 * resolver once it is over.
 */
export class Wait implements Timed {
  dueAt = 0;
  queueIndex = -1;
  #resolve: (() => void) | undefined;

  /** Waits `ms`; undefined when there is nothing to wait for (0 ms or less). */
  sleep(ms: number): Promise<void> | undefined {
    if (ms <= 0) return undefined;
    return new Promise<void>((resolve) => {
      this.#resolve = resolve;
      timerQueue.add(this, ms);
    });
  }

  /** Ends the current wait, if there is one. */
  wake(): void {
    timerQueue.remove(this);
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.();
  }

  /** The wait is over (Timed). */
  fire(): void {
    this.wake();
  }
}
