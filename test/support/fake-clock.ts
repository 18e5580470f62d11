/** A virtual clock for the runners' `now` and `sleep` options: every wait returns at once and advances time. */
export interface FakeClock {
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Every delay passed to `sleep`, in order. */
  readonly sleeps: number[];
  /** Moves the clock forward without a wait. */
  advance(ms: number): void;
}

/** Starts a fake clock at `startMs` (2026-01-01T00:00:00Z by default). */
export function fakeClock(startMs = Date.UTC(2026, 0, 1)): FakeClock {
  let current = startMs;
  const sleeps: number[] = [];
  return {
    now: () => current,
    sleep: async (ms) => {
      sleeps.push(ms);
      current += ms;
    },
    sleeps,
    advance(ms) {
      current += ms;
    },
  };
}
