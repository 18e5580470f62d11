import type { Checkpoint } from "../../contracts/checkpoint.js";
import type { RuntimeResult } from "../../contracts/result.js";
import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import { TransportError, toTransportError } from "../../http/transport/transport-error.js";
import type { TransportRequest, TransportResponse } from "../../http/transport/transport.js";
import { parseRetryAfterMs, untilAborted } from "../../http/timing.js";
import { errorMessage } from "../../util/error-message.js";
import type { HttpRunContext } from "../http-run.js";
import type { RunOptions } from "../runner.js";
import { Answer } from "./answer.js";
import { POLL_AGAIN, failedEnding, type Ending, type Next } from "./ending.js";
import { classifyLroKickoff, classifyLroPoll, finalUrlOf, isOperationMonitor } from "./lro-protocol.js";
import { RunPacing } from "./pacing.js";
import { classifyStatusKickoff, classifyStatusPoll } from "./status-protocol.js";
import { readRunId, resolveHeaderUrl } from "./status-url.js";
import { classifyErrorCode, isSuccessCode, type KickoffVerdict, type LroMode, type Monitor, type PollVerdict } from "./verdict.js";

/** The kickoff goes out again: a transient failure within `http.kickoff_max_retries`. */
const KICKOFF_AGAIN: unique symbol = Symbol("kickoff again");

/** The request headers of a run. */
export interface RunHeaders {
  /** Polls, final reads and cancels: the run's headers without a body's content type. */
  readonly poll: Readonly<Record<string, string>>;
  /** The kickoff: with the body's content type and the idempotency key. */
  readonly kickoff: Readonly<Record<string, string>>;
}

/**
 * One asynchronous run, read as DESIGN's flow: `kickoff` (or `resume`), then
 * `wait` and `poll` until an answer ends it (with a final read of the result
 * for protocol `lro`), then `settle`, which sends the `cancel` request when
 * the run was stopped after the backend took the job. What an answer means
 * is decided by the protocol's classifier (`status-protocol.ts`,
 * `lro-protocol.ts`); what the run tells of a verdict, by `RunReport`; when
 * it waits, by `RunPacing`.
 */
export class AsyncRun extends RunPacing {
  readonly #headers: RunHeaders;
  readonly #beforeKickoff: RunOptions["beforeKickoff"];
  readonly #saveCheckpoint: RunOptions["saveCheckpoint"];
  /** The request every poll sends, built once the status URL is known (or moved). */
  #pollRequest: TransportRequest | undefined;
  /** Protocol `lro`: how the monitor's answers are read. */
  #mode: LroMode | undefined;
  /** Protocol `lro`: where the result is read once the operation succeeded through an operation monitor. */
  #resultUrl: URL | undefined;
  /** Whether the operation succeeded and its result is being read at `#resultUrl`. */
  #readingResult = false;
  /** Reads of the result sent. */
  #reads = 0;

  constructor(context: HttpRunContext, config: AsyncHttpConfig, headers: RunHeaders) {
    super(context, config);
    this.#headers = headers;
    this.#beforeKickoff = context.runOptions.beforeKickoff;
    this.#saveCheckpoint = context.runOptions.saveCheckpoint;
  }

  /**
   * The whole run, from the kickoff (or the resumed poll) to the result, in
   * one async frame (PERFORMANCE.md, "One frame per run"): each poll is sent
   * and awaited here, not in a method of its own.
   */
  async run(resume: Checkpoint | undefined): Promise<RuntimeResult> {
    let next: Next;
    try {
      if (resume !== undefined) this.resume(resume);
      // A resumed job is already on the backend: stopped before its first poll, it ends as stopped while polling.
      if (this.scope.checkStopped()) next = this.stopped();
      else next = resume === undefined ? await this.kickoff() : POLL_AGAIN;
      while (next === POLL_AGAIN) {
        const pause = this.wait();
        if (pause !== undefined) await pause;
        if (this.scope.checkStopped()) {
          next = this.stopped();
          break;
        }
        const reading = this.#readingResult;
        const request = reading ? this.#resultRequest() : this.#nextPoll();
        let answer: TransportResponse | TransportError;
        try {
          answer = await (reading ? this.send(request, "final", this.#reads) : this.send(request, "poll", this.polls));
        } catch (error) {
          answer = toTransportError(error, request.signal);
        }
        next = reading ? this.readResult(answer) : this.poll(answer);
      }
    } catch (error) {
      next = failedEnding(`runner error: ${errorMessage(error)}`);
    }
    try {
      return await this.settle(next);
    } catch (error) {
      return this.crashed(error);
    }
  }

  /** Continues an accepted run from its checkpoint: no kickoff, and the first poll at once. */
  resume(checkpoint: Checkpoint): void {
    this.runId = checkpoint.runId;
    this.#mode = checkpoint.pollMode;
    this.#resultUrl = checkpoint.resultUrl === undefined ? undefined : new URL(checkpoint.resultUrl);
    this.markAccepted(new URL(checkpoint.pollUrl));
  }

  /**
   * Sends the kickoff (after `beforeKickoff`), again after a transient failure
   * while `http.kickoff_max_retries` allows, and reads its answer: an ending,
   * or POLL_AGAIN once the backend has accepted the run.
   */
  async kickoff(): Promise<Next> {
    const config = this.config;
    const signal = this.scope.requestSignal;
    if (this.#beforeKickoff !== undefined) {
      try {
        await untilAborted(this.#beforeKickoff(), signal);
      } catch (error) {
        if (this.scope.checkStopped()) return this.stopped();
        return failedEnding(`kickoff not sent: ${this.redact(errorMessage(error))}`);
      }
      if (this.scope.checkStopped()) return this.stopped();
    }
    const request = { method: config.method, url: config.url, headers: this.#headers.kickoff, body: config.body, signal };
    for (let attempt = 1; ; attempt++) {
      let response: TransportResponse | TransportError;
      try {
        response = await this.send(request, "kickoff", attempt);
      } catch (error) {
        response = toTransportError(error, signal);
      }
      if (this.scope.checkStopped()) return this.stopped(response);
      const next = await this.#readKickoff(attempt, response);
      if (next !== KICKOFF_AGAIN) return next;
      const pause = this.wait();
      if (pause !== undefined) await pause;
      if (this.scope.checkStopped()) return this.stopped();
    }
  }

  /** What kickoff number `attempt` answered means: an ending, POLL_AGAIN once accepted, or KICKOFF_AGAIN. */
  async #readKickoff(attempt: number, response: TransportResponse | TransportError): Promise<Next | typeof KICKOFF_AGAIN> {
    const config = this.config;
    const retries = config.kickoffMaxRetries;
    const base = `kickoff ${config.method} ${config.url.href}`;
    const what = attempt === 1 ? base : `${base} (attempt ${attempt}; http.kickoff_max_retries is ${retries})`;
    this.waitDue = true;
    if (response instanceof TransportError) {
      if (response.kind === "network" && attempt <= retries) return this.#retryKickoff(attempt, response.message);
      return { outcome: this.transportFailure(what, response) };
    }
    this.lastHttpStatus = response.status;
    this.emit?.({ type: "kickoff", httpStatus: response.status });
    this.retryAfterMs = parseRetryAfterMs(response.header("retry-after"), this.options.now());
    const answer = new Answer(response);
    if (isSuccessCode(answer.code) && config.pollRunIdPath !== undefined) this.runId = readRunId(answer.json, config.pollRunIdPath);
    const verdict: KickoffVerdict =
      config.pollProtocol === "lro" ? classifyLroKickoff(config.method, config.url, answer) : classifyStatusKickoff(config, answer, this.runId);
    switch (verdict.kind) {
      case "transient":
        if (attempt <= retries) return this.#retryKickoff(attempt, `HTTP ${answer.code}: ${this.preview(response.body)}`);
        return { outcome: this.httpFailure(what, response) };
      case "permanent":
        return { outcome: this.httpFailure(what, response) };
      case "malformed":
        return failedEnding(verdict.showBody === true ? `${verdict.problem}: ${this.preview(response.body)}` : verdict.problem);
      case "terminal":
        return this.terminal(verdict, answer);
      case "accepted":
        if (verdict.status !== undefined) this.lastStatus = verdict.status;
        return this.accept(verdict.monitor, response);
    }
  }

  #retryKickoff(attempt: number, error: string): typeof KICKOFF_AGAIN {
    this.emit?.({ type: "retry", attempt, error: this.redact(error) });
    return KICKOFF_AGAIN;
  }

  /**
   * Marks the run accepted, emits its checkpoint and awaits `saveCheckpoint`.
   * The first poll follows at once, unless the acknowledgement carried a
   * Retry-After or `http.poll_initial_delay_seconds` is set.
   */
  async accept(monitor: Monitor, kickoff: TransportResponse): Promise<Next> {
    const config = this.config;
    this.#mode = monitor.mode;
    if (config.pollProtocol === "lro" && monitor.mode !== undefined && isOperationMonitor(monitor.mode)) {
      const location = kickoff.header("location");
      const resolved = location === undefined ? undefined : resolveHeaderUrl(location, kickoff.url);
      this.#resultUrl = finalUrlOf(config, config.method, config.url, resolved instanceof URL ? resolved : undefined);
    }
    this.markAccepted(monitor.url);
    this.waits = 0;
    this.waitDue = this.retryAfterMs !== undefined || config.pollInitialDelaySeconds > 0;
    if (this.emit === undefined && this.#saveCheckpoint === undefined) return POLL_AGAIN;
    const checkpoint: Checkpoint = { version: 1, pollUrl: monitor.url.href, acceptedAt: new Date(this.options.now()).toISOString() };
    if (this.runId !== undefined) checkpoint.runId = this.runId;
    if (this.scope.deadlineAtMs !== undefined) checkpoint.deadlineAt = new Date(this.scope.deadlineAtMs).toISOString();
    if (this.#mode !== undefined) checkpoint.pollMode = this.#mode;
    if (this.#resultUrl !== undefined) checkpoint.resultUrl = this.#resultUrl.href;
    this.emit?.({ type: "accepted", checkpoint });
    if (this.#saveCheckpoint === undefined) return POLL_AGAIN;
    try {
      await untilAborted(this.#saveCheckpoint(checkpoint), this.scope.requestSignal);
    } catch (error) {
      if (this.scope.checkStopped()) return this.stopped();
      this.metadata["http.checkpoint_error"] = `checkpoint not saved: ${errorMessage(error)}`;
    }
    return POLL_AGAIN;
  }

  /** What the answer to the latest poll means for the run: an ending, or POLL_AGAIN. */
  poll(response: TransportResponse | TransportError): Next {
    this.waitDue = true;
    const attempt = this.polls;
    if (!(response instanceof TransportError)) this.lastHttpStatus = response.status;
    if (this.scope.checkStopped()) return this.stopped(response);
    if (response instanceof TransportError) return this.failedRequest(`poll ${attempt} of ${this.pollUrl!.href}`, attempt, response);
    this.retryAfterMs = parseRetryAfterMs(response.header("retry-after"), this.options.now());
    const answer = new Answer(response);
    const config = this.config;
    const verdict: PollVerdict =
      config.pollProtocol === "lro" ? classifyLroPoll(this.#mode!, answer, config.pollPendingCodes) : classifyStatusPoll(config, answer);
    if (verdict.kind === "progress" && verdict.moveTo !== undefined) this.#moveTo(verdict.moveTo);
    if (verdict.kind === "terminal" && verdict.outcome === "succeeded" && this.#resultUrl !== undefined) {
      this.conclude(attempt, answer, { kind: "progress", status: verdict.status });
      // The operation succeeded: its result is read at once at the resource.
      this.#readingResult = true;
      this.waitDue = false;
      this.consecutiveErrors = 0;
      return POLL_AGAIN;
    }
    return this.conclude(attempt, answer, verdict);
  }

  /** What the answer to the read of the result means: the run's ending, or POLL_AGAIN to read it again. */
  readResult(response: TransportResponse | TransportError): Next {
    this.waitDue = true;
    const url = this.#resultUrl!;
    this.metadata["http.final_url"] = url.href;
    if (!(response instanceof TransportError)) this.lastHttpStatus = response.status;
    if (this.scope.checkStopped()) return this.stopped(response);
    const what = `final GET of ${url.href}`;
    if (response instanceof TransportError) return this.failedRequest(what, this.#reads, response, what);
    this.retryAfterMs = parseRetryAfterMs(response.header("retry-after"), this.options.now());
    const answer = new Answer(response);
    const code = answer.code;
    if (this.config.pollPendingCodes.has(code)) return POLL_AGAIN;
    if (isSuccessCode(code)) return this.terminal({ kind: "terminal", status: this.lastStatus ?? String(code), outcome: "succeeded" }, answer);
    if (classifyErrorCode(code).kind === "transient") return this.transient(this.#reads, `HTTP ${code}: ${this.preview(response.body)}`, what);
    return { outcome: this.httpFailure(what, response) };
  }

  /** Ends the run: the cancel request when it was stopped after the backend took the job, then the result. */
  async settle(next: Ending): Promise<RuntimeResult> {
    const { status } = next.outcome;
    const template = this.config.cancelUrlTemplate;
    const stoppedByUs = this.scope.stopReason !== undefined && (status === "timed_out" || status === "cancelled");
    if (stoppedByUs && this.accepted && template !== undefined) await this.cancel(template, this.#headers.poll);
    if (this.#mode !== undefined) this.metadata["http.poll_mode"] = this.#mode;
    return this.finish(next.outcome, next);
  }

  /** The request of the next poll, counted in `http.polls`. */
  #nextPoll(): TransportRequest {
    this.polls += 1;
    return (this.#pollRequest ??= { method: "GET", url: this.pollUrl!, headers: this.#headers.poll, signal: this.scope.requestSignal });
  }

  /** The request that reads the result of a succeeded operation. */
  #resultRequest(): TransportRequest {
    this.#reads += 1;
    return { method: "GET", url: this.#resultUrl!, headers: this.#headers.poll, signal: this.scope.requestSignal };
  }

  /** The status URL moved (a Location, or the monitor's own header, on a poll answer). */
  #moveTo(url: URL): void {
    this.pollUrl = url;
    this.#pollRequest = undefined;
  }
}
