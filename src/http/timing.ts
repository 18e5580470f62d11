import type { RequestSignal } from "./transport/request-signal.js";

/** Waits the runners make: `sleep(ms, signal)` must end early when the signal aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** No single wait is longer than this (one hour), whatever the backend or the backoff asks for. */
export const MAX_WAIT_MS = 3_600_000;

/** How the waits between polls grow (`http.poll_interval_seconds`, `http.poll_backoff`, `http.poll_max_interval_seconds`). */
export interface IntervalPolicy {
  readonly pollIntervalSeconds: number;
  readonly pollBackoff: number;
  readonly pollMaxIntervalSeconds: number | undefined;
}

/** Seconds as the whole milliseconds timers count. */
export function toMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

/**
 * Wait number `n` (1, 2, ...): min(interval x backoff^(n-1), cap), in whole
 * milliseconds, never above MAX_WAIT_MS. A cap is at least 1 ms: one that
 * rounds to 0 would poll in a hot loop.
 */
export function intervalDelayMs(policy: IntervalPolicy, n: number): number {
  const grown = toMs(policy.pollIntervalSeconds) * policy.pollBackoff ** (n - 1);
  const cap = policy.pollMaxIntervalSeconds === undefined ? MAX_WAIT_MS : Math.max(1, toMs(policy.pollMaxIntervalSeconds));
  return Math.min(grown, cap, MAX_WAIT_MS);
}

const DELAY_SECONDS = /^\s*(\d+)\s*$/;

/**
 * Parses a Retry-After header: delay-seconds or an HTTP date (relative to
 * `now()`, read only for a date). Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfterMs(value: string | undefined, now: () => number): number | undefined {
  if (value === undefined) return undefined;
  const seconds = DELAY_SECONDS.exec(value);
  if (seconds !== null) return Number(seconds[1]) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}

/** Bounds a wait by the time left and by MAX_WAIT_MS, so no value can overflow a timer into a hot loop. */
export function clampWaitMs(delayMs: number, remainingMs: number): number {
  const bounded = Math.min(delayMs, remainingMs, MAX_WAIT_MS);
  return bounded > 0 ? Math.ceil(bounded) : 0;
}

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as the
 * signal aborts, for injected functions that ignore the signal. The listener
 * is removed either way.
 */
export function untilAborted<T>(promise: Promise<T>, signal: RequestSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error as Error);
      },
    );
  });
}
