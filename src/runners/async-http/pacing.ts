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
export class Pacing {
  /** The wait before the next request: none, the interval, or `http.poll_initial_delay_seconds`. */
  #due: "none" | "interval" | "initial" = "none";
  /** Interval waits so far, counted from the kickoff, or from the acknowledgement. */
  #waits = 0;
  /** A Retry-After that replaces the next wait only. */
  #retryAfterMs: number | undefined;

  /** An answer came: a wait comes before the next request, `retryAfterMs` (its Retry-After) in its place when set. */
  paceAnswer(retryAfterMs: number | undefined): void {
    this.#retryAfterMs = retryAfterMs;
    this.paceNoAnswer();
  }

  /** A request got no answer: a wait comes before the next request. */
  paceNoAnswer(): void {
    if (this.#due === "none") this.#due = "interval";
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
      this.#due = "none";
      this.#waits = 0;
      this.#retryAfterMs = undefined;
    } else if (from === "kickoff" && (to === "lookup" || to === "poll")) {
      this.#waits = 0;
      this.#due = policy.pollInitialDelaySeconds > 0 ? "initial" : this.#retryAfterMs === undefined ? "none" : "interval";
    } else if (to === "poll" || to === "final") {
      // A Retry-After replaces the next wait only, and there is none here.
      this.#due = "none";
      this.#retryAfterMs = undefined;
    }
  }

  /** Where the length of the next wait comes from: a Retry-After, or the interval (the initial delay included). */
  get waitSource(): "interval" | "retry-after" {
    return this.#retryAfterMs === undefined ? "interval" : "retry-after";
  }

  /** Milliseconds to wait before the next request, at most `remainingMs`; undefined when no wait is due. */
  nextWaitMs(policy: PacingPolicy, remainingMs: number): number | undefined {
    const due = this.#due;
    if (due === "none") return undefined;
    let delayMs: number;
    if (this.#retryAfterMs !== undefined) {
      delayMs = this.#retryAfterMs;
      this.#retryAfterMs = undefined;
    } else {
      delayMs = due === "initial" ? toMs(policy.pollInitialDelaySeconds) : intervalDelayMs(policy, ++this.#waits);
    }
    this.#due = "interval";
    return clampWaitMs(delayMs, remainingMs);
  }
}
