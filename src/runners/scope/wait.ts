/** The timer callback of `Wait.sleep`: a function of the module, so a wait creates no closure. */
function wakeUp(wait: Wait): void {
  wait.wake();
}

/**
 * The waits of one run on its own timer: the default sleep of the HTTP
 * runners. One wait at a time; `wake()` ends it early (the run's scope calls
 * it when the run stops), and the wait lets go of its timer and resolver
 * once it is over.
 */
export class Wait {
  #timer: NodeJS.Timeout | undefined;
  #resolve: (() => void) | undefined;

  /** Waits `ms`; undefined when there is nothing to wait for (0 ms or less). */
  sleep(ms: number): Promise<void> | undefined {
    if (ms <= 0) return undefined;
    return new Promise<void>((resolve) => {
      this.#resolve = resolve;
      this.#timer = setTimeout(wakeUp, ms, this);
    });
  }

  /** Ends the current wait, if there is one. */
  wake(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.();
  }
}
