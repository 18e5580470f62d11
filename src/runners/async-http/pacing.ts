import { abortSignalOf } from "../../http/transport/request-signal.js";
import { TransportError } from "../../http/transport/transport-error.js";
import type { TransportResponse } from "../../http/transport/transport.js";
import { clampWaitMs, intervalDelayMs, parseRetryAfterMs, toMs, untilAborted } from "../../http/timing.js";
import { Answer } from "./answer.js";
import type { Next } from "./ending.js";
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
   * What every answer after the kickoff tells the run first: a wait comes
   * before the next request (its Retry-After replacing it), the HTTP status,
   * whether the run was stopped meanwhile, and, for a request that got no
   * answer, the run's next step (`what` names the request; `retryAs`, the
   * requests a network error is retried as). Otherwise the answer, to read on.
   */
  received(response: TransportResponse | TransportError, what: string, attempt: number, retryAs?: string): Answer | Next {
    this.waitDue = true;
    if (!(response instanceof TransportError)) this.lastHttpStatus = response.status;
    if (this.scope.checkStopped()) return this.stopped(response);
    if (response instanceof TransportError) return this.failedRequest(what, attempt, response, retryAs);
    this.retryAfterMs = parseRetryAfterMs(response.header("retry-after"), this.options.now);
    return new Answer(response);
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
      delayMs = toMs(this.config.pollInitialDelaySeconds);
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
