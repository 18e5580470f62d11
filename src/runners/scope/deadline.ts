import type { RuntimeInvocation } from "../../contracts/invocation.js";
import { timerQueue, type Timed } from "./timer-queue.js";

/** A run's deadline from its invocation: `timeout_seconds` after the start, or none. */
export function invocationDeadline(invocation: RuntimeInvocation, startedAtMs: number): number | undefined {
  return invocation.timeout_seconds === null ? undefined : startedAtMs + invocation.timeout_seconds * 1000;
}

/** What a deadline ends when it passes. */
export interface DeadlineOwner {
  /** Called once, when the deadline passes by the timer or by the injected clock. */
  timeOut(): void;
}

/**
 * A run's deadline: a timer in real time, on the process's one timer queue,
 * and a check by the injected clock (`passed`), since tests and resumed runs
 * move time without waiting for it. (`AbortSignal.timeout` is avoided on
 * purpose: on Node 20 a signal combined from it with `AbortSignal.any` can be
 * garbage-collected before it fires.)
 */
export class Deadline implements Timed {
  /** Epoch milliseconds past which the run is `timed_out`. */
  readonly atMs: number;
  dueAt = 0;
  queueIndex = -1;
  readonly #now: () => number;
  readonly #owner: DeadlineOwner;

  /** Arms the timer; an owner whose deadline has already passed is timed out at once. */
  constructor(atMs: number, now: () => number, owner: DeadlineOwner) {
    this.atMs = atMs;
    this.#now = now;
    this.#owner = owner;
    this.fire();
  }

  /** Milliseconds left (never negative). */
  remainingMs(): number {
    return Math.max(0, this.atMs - this.#now());
  }

  /** Whether the deadline has passed by the injected clock. */
  passed(): boolean {
    return this.#now() >= this.atMs;
  }

  /** Times the owner out when the deadline has passed by the injected clock, else waits for the time left (Timed). */
  fire(): void {
    const remaining = this.remainingMs();
    if (remaining <= 0) this.#owner.timeOut();
    else timerQueue.add(this, remaining);
  }

  /** Clears the timer. */
  clear(): void {
    timerQueue.remove(this);
  }
}
