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
 * what happened; `next` says how long to wait.
 */
export class Pacing {
  readonly #policy: PacingPolicy;
  /** Whether a wait comes before the next request. */
  #due = false;
  /** Interval waits so far, counted from the last `restart` or `accepted`. */
  #waits = 0;
  /** A Retry-After that replaces the next wait only. */
  #retryAfterMs: number | undefined;
  /** Whether the next wait is `http.poll_initial_delay_seconds`. */
  #initialDelayDue = false;
  /** Where the last wait's length came from. */
  #source: "interval" | "retry-after" = "interval";

  constructor(policy: PacingPolicy) {
    this.#policy = policy;
  }

  /** An answer came: a wait comes before the next request, `retryAfterMs` (its Retry-After) in its place when set. */
  answered(retryAfterMs: number | undefined): void {
    this.#due = true;
    this.#retryAfterMs = retryAfterMs;
  }

  /** A request got no answer: a wait comes before the next request. */
  failed(): void {
    this.#due = true;
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
  moved(from: Phase["name"], to: Phase["name"]): void {
    if (from === "start") {
      this.#due = false;
      this.#waits = 0;
      this.#retryAfterMs = undefined;
    } else if (from === "kickoff" && (to === "lookup" || to === "poll")) {
      this.#waits = 0;
      this.#initialDelayDue = this.#policy.pollInitialDelaySeconds > 0;
      this.#due = this.#retryAfterMs !== undefined || this.#initialDelayDue;
    } else if (to === "poll" || to === "final") {
      this.#due = false;
    }
  }

  /** Milliseconds to wait before the next request, at most `remainingMs`; undefined when no wait is due. */
  next(remainingMs: number): number | undefined {
    if (!this.#due) return undefined;
    let delayMs: number;
    if (this.#retryAfterMs !== undefined) {
      delayMs = this.#retryAfterMs;
      this.#source = "retry-after";
      this.#retryAfterMs = undefined;
    } else {
      this.#source = "interval";
      delayMs = this.#initialDelayDue ? toMs(this.#policy.pollInitialDelaySeconds) : intervalDelayMs(this.#policy, ++this.#waits);
    }
    this.#initialDelayDue = false;
    return clampWaitMs(delayMs, remainingMs);
  }

  /** Where the length of the last wait `next` gave came from. */
  get source(): "interval" | "retry-after" {
    return this.#source;
  }
}
