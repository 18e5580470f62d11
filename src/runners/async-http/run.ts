import type { Checkpoint } from "../../contracts/checkpoint.js";
import type { RuntimeResult } from "../../contracts/result.js";
import { readJsonPath } from "../../http/json-path.js";
import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import { abortSignalOf } from "../../http/transport/request-signal.js";
import { clampWaitMs, intervalDelayMs, parseRetryAfterMs, untilAborted } from "../../http/timing.js";
import { TransportError, toTransportError } from "../../http/transport/transport-error.js";
import type { TransportRequest, TransportResponse } from "../../http/transport/transport.js";
import { errorMessage } from "../../util/error-message.js";
import { HttpRun, type HttpRunContext } from "../http-run.js";
import type { RunOptions } from "../runner.js";
import { Answer } from "./answer.js";
import { POLL_AGAIN, failedEnding, terminalEnding, type Ending, type Next } from "./ending.js";
import { classifyStatusKickoff, classifyStatusPoll } from "./status-protocol.js";
import { sendCancel } from "./cancel.js";
import { expandUrlTemplate, readRunId, statusUrlOf } from "./status-url.js";
import type { PollVerdict } from "./verdict.js";

/**
 * One asynchronous run, read as DESIGN's flow: `kickoff` (or `resume`), then
 * `wait` and `poll` until an answer ends it, then `settle` (with `cancel`
 * when the run was stopped after the backend took the job). What each answer
 * means is decided by the protocol's classifier (`status-protocol.ts`); what
 * the run does with a verdict (events, metadata, summaries) is decided here,
 * in `#conclude` for polls and in `kickoff` for the kickoff.
 */
export class AsyncRun extends HttpRun {
  readonly #config: AsyncHttpConfig;
  /** Headers of polls and cancels: the run's headers without a body's content type. */
  readonly #pollHeaders: Readonly<Record<string, string>>;
  /** Headers of the kickoff: with the body's content type and the idempotency key. */
  readonly #kickoffHeaders: Readonly<Record<string, string>>;
  readonly #beforeKickoff: RunOptions["beforeKickoff"];
  readonly #saveCheckpoint: RunOptions["saveCheckpoint"];
  #pollUrl: URL | undefined;
  /** The poll request, built once the status URL is known: every poll sends the same. */
  #pollRequest: TransportRequest | undefined;
  #runId: string | undefined;
  /** Set once the backend has the job: from then on a stopped run sends the cancel request. */
  #accepted = false;
  #polls = 0;
  #waits = 0;
  #consecutiveErrors = 0;
  /** A Retry-After that replaces the next wait only. */
  #retryAfterMs: number | undefined;
  #lastStatus: string | undefined;

  constructor(context: HttpRunContext, config: AsyncHttpConfig, headers: { readonly poll: Readonly<Record<string, string>>; readonly kickoff: Readonly<Record<string, string>> }) {
    super(context);
    this.#config = config;
    this.#pollHeaders = headers.poll;
    this.#kickoffHeaders = headers.kickoff;
    this.#beforeKickoff = context.runOptions.beforeKickoff;
    this.#saveCheckpoint = context.runOptions.saveCheckpoint;
  }

  /**
   * The whole run, from the kickoff (or the resumed poll) to the result, in
   * one async frame (PERFORMANCE.md, "One frame per run"): the poll is sent
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
        const attempt = ++this.#polls;
        const request = (this.#pollRequest ??= { method: "GET", url: this.#pollUrl!, headers: this.#pollHeaders, signal: this.scope.requestSignal });
        let answer: TransportResponse | TransportError;
        try {
          answer = await this.send(request);
        } catch (error) {
          answer = toTransportError(error, request.signal);
        }
        next = this.poll(attempt, answer);
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

  /** Continues an accepted run from its checkpoint: no kickoff. */
  resume(checkpoint: Checkpoint): void {
    this.#runId = checkpoint.runId;
    this.#accepted = true;
    this.#pollUrl = new URL(checkpoint.pollUrl);
  }

  /** Sends the kickoff (after `beforeKickoff`) and reads its answer: an ending, or POLL_AGAIN once the run is accepted. */
  async kickoff(): Promise<Next> {
    const config = this.#config;
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
    let response: TransportResponse | TransportError;
    try {
      response = await this.send({ method: config.method, url: config.url, headers: this.#kickoffHeaders, body: config.body, signal });
    } catch (error) {
      response = toTransportError(error, signal);
    }
    if (this.scope.checkStopped()) return this.stopped(response);
    const what = `kickoff ${config.method} ${config.url.href}`;
    if (response instanceof TransportError) return { outcome: this.transportFailure(what, response) };
    this.lastHttpStatus = response.status;
    this.emit?.({ type: "kickoff", httpStatus: response.status });
    const answer = new Answer(response);
    const verdict = classifyStatusKickoff(config, answer);
    if (verdict.kind === "transient" || verdict.kind === "permanent") return { outcome: this.httpFailure(what, response) };
    if (config.pollRunIdPath !== undefined) this.#runId = readRunId(answer.json, config.pollRunIdPath);
    if (verdict.kind === "terminal") {
      this.#lastStatus = verdict.status;
      return this.#terminal(verdict, answer);
    }
    if (verdict.status !== undefined) this.#lastStatus = verdict.status;
    this.#retryAfterMs = parseRetryAfterMs(answer.header("retry-after"), this.options.now());
    const pollUrl = statusUrlOf(config, this.#runId, response, (body) => this.preview(body));
    if (!(pollUrl instanceof URL)) return failedEnding(pollUrl);
    return this.accept(pollUrl);
  }

  /** Marks the run accepted, emits its checkpoint and awaits `saveCheckpoint`; the first poll follows. */
  async accept(pollUrl: URL): Promise<Next> {
    this.#pollUrl = pollUrl;
    this.#accepted = true;
    if (this.emit === undefined && this.#saveCheckpoint === undefined) return POLL_AGAIN;
    const checkpoint: Checkpoint = { version: 1, pollUrl: pollUrl.href, acceptedAt: new Date(this.options.now()).toISOString() };
    if (this.#runId !== undefined) checkpoint.runId = this.#runId;
    if (this.scope.deadlineAtMs !== undefined) checkpoint.deadlineAt = new Date(this.scope.deadlineAtMs).toISOString();
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

  /**
   * Starts the wait before the next poll; undefined when there is nothing to
   * wait for. Not an async function (PERFORMANCE.md, "One frame per run").
   */
  wait(): Promise<void> | undefined {
    const n = ++this.#waits;
    let delayMs: number;
    let source: "interval" | "retry-after";
    if (this.#retryAfterMs === undefined) {
      delayMs = intervalDelayMs(this.#config, n);
      source = "interval";
    } else {
      delayMs = this.#retryAfterMs;
      source = "retry-after";
      this.#retryAfterMs = undefined;
    }
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

  /** What the answer to poll number `attempt` means for the run: an ending, or POLL_AGAIN. */
  poll(attempt: number, response: TransportResponse | TransportError): Next {
    if (!(response instanceof TransportError)) this.lastHttpStatus = response.status;
    if (this.scope.checkStopped()) return this.stopped(response);
    if (response instanceof TransportError) {
      if (response.kind !== "network") return { outcome: this.transportFailure(`poll ${attempt} of ${this.#pollUrl!.href}`, response) };
      return this.#transient(attempt, response.message);
    }
    this.#retryAfterMs = parseRetryAfterMs(response.header("retry-after"), this.options.now());
    const answer = new Answer(response);
    const verdict = classifyStatusPoll(this.#config, answer);
    return this.#conclude(attempt, answer, verdict);
  }

  /** The run's side of a poll verdict: its events, metadata and summary. */
  #conclude(attempt: number, answer: Answer, verdict: PollVerdict): Next {
    const config = this.#config;
    const httpStatus = answer.code;
    if (verdict.kind === "pending") {
      this.#consecutiveErrors = 0;
      this.emit?.({ type: "poll", attempt, httpStatus });
      this.emit?.({ type: "pending", attempt, httpStatus });
      return POLL_AGAIN;
    }
    if (verdict.kind === "transient" || verdict.kind === "permanent") {
      this.emit?.({ type: "poll", attempt, httpStatus });
      if (verdict.kind === "transient") return this.#transient(attempt, `HTTP ${httpStatus}: ${this.preview(answer.response.body)}`);
      return { outcome: this.httpFailure(`poll ${attempt} of ${this.#pollUrl!.href}`, answer.response) };
    }
    // A 2xx: the latest run id in a poll body wins, unless the status URL is built from it.
    if (config.pollRunIdPath !== undefined && config.pollUrlTemplate?.includes("{run_id}") !== true) {
      this.#runId = readRunId(answer.json, config.pollRunIdPath) ?? this.#runId;
    }
    if (verdict.kind === "malformed") {
      this.emit?.({ type: "poll", attempt, httpStatus });
      return failedEnding(`poll ${attempt} response from ${this.#pollUrl!.href} ${verdict.problem}: ${this.preview(answer.response.body)}`);
    }
    this.emit?.({ type: "poll", attempt, httpStatus, status: verdict.status });
    this.#consecutiveErrors = 0;
    this.#lastStatus = verdict.status;
    return verdict.kind === "terminal" ? this.#terminal(verdict, answer) : POLL_AGAIN;
  }

  /** Ends the run: the cancel request when it was stopped after the backend took the job, then the result. */
  async settle(next: Ending): Promise<RuntimeResult> {
    const { status } = next.outcome;
    const stoppedByUs = this.scope.stopReason !== undefined && (status === "timed_out" || status === "cancelled");
    if (stoppedByUs && this.#accepted && this.#config.cancelUrlTemplate !== undefined) await this.cancel(this.#config.cancelUrlTemplate);
    const metadata = this.metadata;
    metadata["http.polls"] = String(this.#polls);
    if (this.#runId !== undefined) metadata["http.run_id"] = this.#runId;
    if (this.#pollUrl !== undefined) metadata["http.poll_url"] = this.#pollUrl.href;
    if (this.#lastStatus !== undefined) metadata["http.last_status"] = this.#lastStatus;
    return this.finish(next.outcome, next);
  }

  /** The best-effort cancel request, bounded by `cancelTimeoutMs` of its own; its answer goes to `http.cancel_status`. */
  async cancel(template: string): Promise<void> {
    const answer =
      template.includes("{run_id}") && this.#runId === undefined
        ? { error: "no run id to cancel" }
        : await sendCancel(this, {
            method: this.#config.cancelMethod,
            url: expandUrlTemplate(template, this.#runId, this.#config.url),
            headers: this.#pollHeaders,
          });
    if (answer.error === undefined) {
      this.metadata["http.cancel_status"] = String(answer.httpStatus);
      this.emit?.({ type: "cancel", httpStatus: answer.httpStatus });
    } else {
      this.metadata["http.cancel_status"] = `error: ${answer.error}`;
      this.emit?.({ type: "cancel", error: this.redact(answer.error) });
    }
  }

  /** The ending of a run the deadline or the caller stopped; `interrupted` is the answer of the request it cut off. */
  stopped(interrupted?: TransportResponse | TransportError): Ending {
    if (!this.#accepted) {
      return { outcome: this.stoppedOutcome(`during the kickoff (${this.#config.method} ${this.#config.url.href})`, interrupted) };
    }
    const last = this.#lastStatus === undefined ? "" : `, last status '${this.#lastStatus}'`;
    return { outcome: this.stoppedOutcome(`while polling ${this.#pollUrl?.href ?? ""} (${this.#polls} polls${last})`, interrupted) };
  }

  /** A transient failure: poll again while the consecutive-error budget lasts, else fail. */
  #transient(attempt: number, error: string): Next {
    const budget = this.#config.pollMaxConsecutiveErrors;
    this.#consecutiveErrors += 1;
    if (this.#consecutiveErrors > budget) {
      const times = this.#consecutiveErrors === 1 ? "once" : `${this.#consecutiveErrors} times in a row`;
      const why = `http.poll_max_consecutive_errors is ${budget}`;
      return failedEnding(`poll of ${this.#pollUrl?.href ?? ""} failed ${times} (${why}); last error: ${error}`);
    }
    this.emit?.({ type: "retry", attempt, error: this.redact(error) });
    return POLL_AGAIN;
  }

  /** The ending for a terminal status, with its event and `http.result`. */
  #terminal(verdict: { readonly status: string; readonly outcome: "succeeded" | "failed" | "cancelled" }, answer: Answer): Ending {
    const ending = terminalEnding(verdict.status, verdict.outcome, answer.response.body);
    this.emit?.({ type: "terminal", status: verdict.status, outcome: verdict.outcome });
    const resultPath = this.#config.resultPath;
    if (resultPath !== undefined) {
      const value = readJsonPath(answer.json, resultPath);
      if (value !== undefined) this.metadata["http.result"] = JSON.stringify(value);
    }
    return ending;
  }
}
