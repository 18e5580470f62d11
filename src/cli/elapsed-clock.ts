/**
 * Milliseconds since a run started, for every time its progress output
 * prints: one clock and one origin for the runner's events and the
 * command's own lines (the interrupt, the outcome), never less than a time
 * it gave before, so the printed times never go backwards. The runner
 * stamps its events from its own start, a little later than the command's,
 * and the wall clock can step back.
 */
export class ElapsedClock {
  readonly #now: () => number;
  #startedAtMs: number;
  #latestMs = 0;

  /** `now` in epoch milliseconds; the clock starts at once. */
  constructor(now: () => number) {
    this.#now = now;
    this.#startedAtMs = now();
  }

  /** Starts again from 0. */
  restart(): void {
    this.#startedAtMs = this.#now();
    this.#latestMs = 0;
  }

  /** Milliseconds since the start, at least the last value returned. */
  elapsedMs(): number {
    this.#latestMs = Math.max(this.#latestMs, this.#now() - this.#startedAtMs);
    return this.#latestMs;
  }
}
