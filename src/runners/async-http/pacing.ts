import { clampWaitMs, intervalDelayMs, toMs, type IntervalPolicy } from "../../http/timing.js";
import type { Phase } from "./phase.js";

/** The settings pacing reads: the interval policy and `http.poll_initial_delay_seconds`. */
export interface PacingPolicy extends IntervalPolicy {
  readonly pollInitialDelaySeconds: number;
}

/**
 * When an asynchronous run waits: not before its first request, nor before
 * the first poll once the backend has the job (unless the acknowledgement
 * carried a Retry-After or `http.poll_initial_delay_seconds` is set); after
 * every other answer, the interval, with its backoff and cap, a Retry-After
 * in place of the next wait only; never past the deadline. The run tells it
 * what happened; `nextWaitMs` says how long to wait. An `AsyncRun` is its own
 * pacing (it extends this class), so a run holds no object for it
 * (PERFORMANCE.md, "The run is its pacing").
 */
/** The wait due before the next request, in `Pacing`'s state: none, the interval, or `http.poll_initial_delay_seconds`. */
const NONE = 0;
const INTERVAL = 1;
const INITIAL = 2;
/** What one interval wait adds to the state: the waits are counted above the wait due. */
const ONE_WAIT = 4;

export class Pacing {
  /**
   * The wait due before the next request (`NONE`, `INTERVAL`, `INITIAL`), plus `ONE_WAIT` times the interval
   * waits so far (counted from the kickoff, or from the acknowledgement): one small integer where two fields
   * would cost a run 8 bytes more (PERFORMANCE.md, "Fewer fields per run").
   */
  #state = NONE;
  /** A Retry-After that replaces the next wait only. */
  #retryAfterMs: number | undefined;

  /** An answer came: a wait comes before the next request, `retryAfterMs` (its Retry-After) in its place when set. */
  paceAnswer(retryAfterMs: number | undefined): void {
    this.#retryAfterMs = retryAfterMs;
    this.paceNoAnswer();
  }

  /** A request got no answer: a wait comes before the next request. */
  paceNoAnswer(): void {
    if (this.#state % ONE_WAIT === NONE) this.#state += INTERVAL;
  }

  /**
   * The run moved from one phase to another. The kickoff after the lookup
   * that listed the runs before it goes out at once, its waits counted
   * anew. Once the backend acknowledged the job, its first poll (or lookup)
   * follows at once, unless the acknowledgement carried a Retry-After or
   * `http.poll_initial_delay_seconds` is set, and the interval waits start
   * over. The first poll of a run found by lookup, and the read of a
   * succeeded operation's result, go out at once.
   */
  paceMove(policy: PacingPolicy, from: Phase["name"], to: Phase["name"]): void {
    if (from === "start") {
      this.#state = NONE;
      this.#retryAfterMs = undefined;
    } else if (from === "kickoff" && (to === "lookup" || to === "poll")) {
      this.#state = policy.pollInitialDelaySeconds > 0 ? INITIAL : this.#retryAfterMs === undefined ? NONE : INTERVAL;
    } else if (to === "poll" || to === "final") {
      // A Retry-After replaces the next wait only, and there is none here.
      this.#state -= this.#state % ONE_WAIT;
      this.#retryAfterMs = undefined;
    }
  }

  /** Where the length of the next wait comes from: a Retry-After, or the interval (the initial delay included). */
  get waitSource(): "interval" | "retry-after" {
    return this.#retryAfterMs === undefined ? "interval" : "retry-after";
  }

  /** Milliseconds to wait before the next request, at most `remainingMs`; undefined when no wait is due. */
  nextWaitMs(policy: PacingPolicy, remainingMs: number): number | undefined {
    const due = this.#state % ONE_WAIT;
    if (due === NONE) return undefined;
    let waitsPart = this.#state - due;
    let delayMs: number;
    if (this.#retryAfterMs !== undefined) {
      delayMs = this.#retryAfterMs;
      this.#retryAfterMs = undefined;
    } else if (due === INITIAL) {
      delayMs = toMs(policy.pollInitialDelaySeconds);
    } else {
      waitsPart += ONE_WAIT;
      delayMs = intervalDelayMs(policy, waitsPart / ONE_WAIT);
    }
    this.#state = waitsPart + INTERVAL;
    return clampWaitMs(delayMs, remainingMs);
  }
}
