import type { Checkpoint } from "../../contracts/checkpoint.js";
import type { RuntimeResult } from "../../contracts/result.js";
import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import { TransportError, toTransportError } from "../../http/transport/transport-error.js";
import type { TransportResponse } from "../../http/transport/transport.js";
import { parseRetryAfterMs, untilAborted } from "../../http/timing.js";
import { errorMessage } from "../../util/error-message.js";
import type { RequestHeaders } from "../http-client.js";
import type { HttpRunContext } from "../http-run.js";
import type { RunOptions } from "../runner.js";
import { Answer } from "./answer.js";
import { POLL_AGAIN, failedEnding, type Ending, type Next } from "./ending.js";
import { classifyLroKickoff, classifyLroPoll, finalUrlOf, isOperationMonitor } from "./lro-protocol.js";
import { RunResult } from "./run-result.js";
import { classifyStatusKickoff, classifyStatusPoll } from "./status-protocol.js";
import { expandUrlTemplate, readRunId, resolveHeaderUrl } from "./status-url.js";
import { isSuccessCode, type KickoffVerdict, type LroMode, type Monitor, type PollVerdict } from "./verdict.js";

/** The kickoff goes out again: a transient failure within `http.kickoff_max_retries`. */
const KICKOFF_AGAIN: unique symbol = Symbol("kickoff again");

/**
 * One asynchronous run, read as DESIGN's flow: `kickoff` (or `resume`), then
 * `wait` and `poll` until an answer ends it (with a final read of the result
 * for protocol `lro`), then `settle`, which sends the `cancel` request when
 * the run was stopped after the backend took the job. What an answer means
 * is decided by the protocol's classifier (`status-protocol.ts`,
 * `lro-protocol.ts`); what the run tells of a verdict, by `RunReport`; when
 * it waits, by `RunPacing`.
 */
export class AsyncRun extends RunResult {
  readonly #beforeKickoff: RunOptions["beforeKickoff"];
  readonly #saveCheckpoint: RunOptions["saveCheckpoint"];
  /** Protocol `lro`: how the monitor's answers are read. */
  #mode: LroMode | undefined;

  constructor(context: HttpRunContext, config: AsyncHttpConfig, headers: RequestHeaders) {
    super(context, config, headers);
    this.#beforeKickoff = context.runOptions.beforeKickoff;
    this.#saveCheckpoint = context.runOptions.saveCheckpoint;
  }

  /**
   * The whole run, from the kickoff (or the resumed poll) to the result: while
   * the run waits, this is its one suspended frame (PERFORMANCE.md, "One frame
   * per run"). Each request goes out from a method of its own, so this frame
   * never holds an answer.
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
        next = this.phase === "lookup" ? await this.#lookUp() : await this.#request(this.phase);
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
    this.resultUrl = checkpoint.resultUrl === undefined ? undefined : new URL(checkpoint.resultUrl);
    this.lookup = checkpoint.lookup;
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
    if (config.pollProtocol === "status" && config.runLookupUrl !== undefined) {
      const failed = await this.listKeysBefore();
      if (failed !== undefined) return failed;
      this.waits = 0;
    }
    if (this.#beforeKickoff !== undefined) {
      try {
        await untilAborted(this.#beforeKickoff(), signal);
      } catch (error) {
        if (this.scope.checkStopped()) return this.stopped();
        return failedEnding(`kickoff not sent: ${this.redact(errorMessage(error))}`);
      }
      if (this.scope.checkStopped()) return this.stopped();
    }
    const request = { method: config.method, url: config.url, headers: this.headers.withBody, body: config.body, signal };
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
    this.retryAfterMs = parseRetryAfterMs(response.header("retry-after"), this.options.now);
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
        this.expectFirstRequest();
        if (verdict.monitor === undefined) return this.#startLookingUp();
        if (config.pollProtocol === "lro" && verdict.monitor.mode !== undefined && isOperationMonitor(verdict.monitor.mode)) {
          const location = response.header("location");
          const resolved = location === undefined ? undefined : resolveHeaderUrl(location, response.url);
          this.resultUrl = finalUrlOf(config, config.method, config.url, resolved instanceof URL ? resolved : undefined);
        }
        return this.accept(verdict.monitor);
    }
  }

  #retryKickoff(attempt: number, error: string): typeof KICKOFF_AGAIN {
    this.emit?.({ type: "retry", attempt, error: this.redact(error) });
    return KICKOFF_AGAIN;
  }

  /**
   * Marks the run accepted, emits its checkpoint and awaits `saveCheckpoint`;
   * the first poll follows (see `RunPacing.expectFirstRequest`).
   */
  async accept(monitor: Monitor): Promise<Next> {
    this.#mode = monitor.mode;
    this.phase = "poll";
    this.markAccepted(monitor.url);
    if (this.emit === undefined && this.#saveCheckpoint === undefined) return POLL_AGAIN;
    const checkpoint: Checkpoint = { version: 1, pollUrl: monitor.url.href, acceptedAt: new Date(this.options.now()).toISOString() };
    if (this.runId !== undefined) checkpoint.runId = this.runId;
    if (this.scope.deadlineAtMs !== undefined) checkpoint.deadlineAt = new Date(this.scope.deadlineAtMs).toISOString();
    if (this.#mode !== undefined) checkpoint.pollMode = this.#mode;
    if (this.resultUrl !== undefined) checkpoint.resultUrl = this.resultUrl.href;
    if (this.lookup !== undefined) checkpoint.lookup = this.lookup;
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
    const attempt = this.polls;
    const answer = this.received(response, `poll ${attempt} of ${this.pollUrl!.href}`, attempt);
    if (!(answer instanceof Answer)) return answer;
    const config = this.config;
    const verdict: PollVerdict =
      config.pollProtocol === "lro" ? classifyLroPoll(this.#mode!, answer, config.pollPendingCodes) : classifyStatusPoll(config, answer);
    // The status URL moved: a Location, or the monitor's own header, on a poll answer.
    if (verdict.kind === "progress" && verdict.moveTo !== undefined) this.pollUrl = verdict.moveTo;
    if (verdict.kind === "terminal" && verdict.outcome === "succeeded" && this.resultUrl !== undefined) {
      this.conclude(attempt, answer, { kind: "progress", status: verdict.status });
      // The operation succeeded: its result is read at once at the resource.
      this.phase = "result";
      this.waitDue = false;
      return POLL_AGAIN;
    }
    return this.conclude(attempt, answer, verdict);
  }

  /** Ends the run: the cancel request when it was stopped after the backend took the job, then the result. */
  async settle(next: Ending): Promise<RuntimeResult> {
    const { status } = next.outcome;
    const template = this.config.cancelUrlTemplate;
    const stoppedByUs = this.scope.stopReason !== undefined && !this.scope.abandoned && (status === "timed_out" || status === "cancelled");
    if (stoppedByUs && this.accepted && template !== undefined) await this.cancel(template);
    if (this.#mode !== undefined) this.metadata["http.poll_mode"] = this.#mode;
    return this.finish(next.outcome, next);
  }

  /** The backend acknowledged the job without naming it: the run is looked up, the first lookup at once. */
  #startLookingUp(): Next {
    this.phase = "lookup";
    return POLL_AGAIN;
  }

  /** One lookup: once it finds the run, its status URL is known and the run is accepted. */
  async #lookUp(): Promise<Next> {
    const found = await this.lookUp();
    if (typeof found !== "string") return found;
    const config = this.config;
    if (config.pollProtocol !== "status" || config.pollUrlTemplate === undefined) return failedEnding("runner error: a run lookup without a template");
    this.lookup = found;
    // The run found, its first poll follows at once.
    this.waitDue = false;
    return this.accept({ url: expandUrlTemplate(config.pollUrlTemplate, this, config.url), mode: undefined });
  }

  /** Sends the next poll (counted in `http.polls`), or the read of the result, and reads its answer. */
  async #request(phase: "poll" | "result"): Promise<Next> {
    const poll = phase === "poll";
    if (poll) this.polls += 1;
    const request = poll ? { method: "GET", url: this.pollUrl!, headers: this.headers.plain, signal: this.scope.requestSignal } : this.resultRequest();
    let answer: TransportResponse | TransportError;
    try {
      answer = await (poll ? this.send(request, "poll", this.polls) : this.send(request, "final", this.reads));
    } catch (error) {
      answer = toTransportError(error, request.signal);
    }
    return poll ? this.poll(answer) : this.readResult(answer);
  }

}
