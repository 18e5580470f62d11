import { abortSignalOf } from "../../http/transport/request-signal.js";
import { clampWaitMs, intervalDelayMs, untilAborted } from "../../http/timing.js";
import { RunReport } from "./report.js";

/**
 * When an asynchronous run waits: not before the first poll (unless the
 * acknowledgement carried a Retry-After or `http.poll_initial_delay_seconds`
 * is set), then the interval between requests, with its backoff and cap, and
 * a Retry-After in place of the next wait only; never past the deadline.
 */
export class RunPacing extends RunReport {
  /** Whether a wait comes before the next request. */
  waitDue = false;
  /** Interval waits so far, in this phase (kickoff retries, then polls). */
  waits = 0;
  /** A Retry-After that replaces the next wait only. */
  retryAfterMs: number | undefined;
  /** Whether the next wait is `http.poll_initial_delay_seconds` (the one before the first poll or lookup). */
  #initialDelayDue = false;

  /**
   * The backend acknowledged the job: its first poll (or lookup) follows at
   * once, unless the acknowledgement carried a Retry-After or
   * `http.poll_initial_delay_seconds` is set; the interval waits start over.
   */
  expectFirstRequest(): void {
    this.waits = 0;
    this.#initialDelayDue = this.config.pollInitialDelaySeconds > 0;
    this.waitDue = this.retryAfterMs !== undefined || this.#initialDelayDue;
  }

  /**
   * Starts the wait before the next request; undefined when none is due.
   * Not an async function (PERFORMANCE.md, "One frame per run").
   */
  wait(): Promise<void> | undefined {
    if (!this.waitDue) return undefined;
    let delayMs: number;
    let source: "interval" | "retry-after" = "interval";
    if (this.retryAfterMs !== undefined) {
      delayMs = this.retryAfterMs;
      source = "retry-after";
      this.retryAfterMs = undefined;
    } else if (this.#initialDelayDue) {
      delayMs = this.config.pollInitialDelaySeconds * 1000;
    } else {
      delayMs = intervalDelayMs(this.config, ++this.waits);
    }
    this.#initialDelayDue = false;
    delayMs = clampWaitMs(delayMs, this.scope.remainingMs());
    this.emit?.({ type: "wait", delayMs, source });
    const sleep = this.options.sleep;
    if (sleep === undefined) return this.scope.sleep(delayMs);
    const signal = this.scope.requestSignal;
    return untilAborted(sleep(delayMs, abortSignalOf(signal)), signal).catch((error: unknown) => {
      // A sleep may reject when the run is aborted; any other rejection is a real error.
      if (signal?.aborted !== true) throw error;
    });
  }
}
