import type { Checkpoint } from "../../contracts/checkpoint.js";
import type { RuntimeResult } from "../../contracts/result.js";
import type { RequestPhase } from "../../diagnostics/channels.js";
import { readJsonPath } from "../../http/json-path.js";
import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import { parseRetryAfterMs, untilAborted } from "../../http/timing.js";
import { TransportError, toTransportError } from "../../http/transport/transport-error.js";
import type { TransportRequest, TransportResponse } from "../../http/transport/transport.js";
import { errorMessage } from "../../util/error-message.js";
import { failureStatus, type Doing, type RequestRef } from "../failure.js";
import type { HttpClient, RequestHeaders } from "../http-client.js";
import type { Ending, RunReport } from "../run-report.js";
import type { RunOptions } from "../runner.js";
import type { RunScope } from "../scope/run-scope.js";
import { Answer } from "./answer.js";
import { sendCancel } from "./cancel.js";
import { failedEnding, terminalEnding } from "./ending.js";
import { classifyLookup, newestNewKey } from "./lookup.js";
import type { Pacing } from "./pacing.js";
import { firstPhase, pollPhase, settlePhase, type Accepted, type FinalPhase, type LookupPhase, type Phase, type PollPhase, type SettlePhase } from "./phase.js";
import type { Protocol } from "./protocol.js";
import { expandUrlTemplate, readRunId } from "./status-url.js";
import { isSuccessCode, type Terminal } from "./verdict.js";

/** The parts a run is made of. */
export interface AsyncRunParts {
  readonly config: AsyncHttpConfig;
  readonly headers: RequestHeaders;
  readonly protocol: Protocol;
  readonly scope: RunScope;
  readonly report: RunReport;
  readonly pacing: Pacing;
  /** The runner's client: its options and its one send path. */
  readonly client: HttpClient<AsyncHttpConfig>;
  readonly runOptions: RunOptions;
}

/** A phase in which the run sends requests. */
type ActivePhase = Exclude<Phase, SettlePhase>;

/**
 * One asynchronous run, read as DESIGN's flow: its state is a `Phase`; its
 * loop waits, checks for a stop, sends the phase's request, classifies the
 * answer (by its `protocol`) and applies the verdict, until the run settles,
 * sending the cancel request when it was stopped after the backend took the
 * job. Its waits are its `pacing`'s; its events, metadata and result, its `report`'s.
 */
export class AsyncRun {
  readonly #parts: AsyncRunParts;
  #phase: Phase;
  /** Requests sent, by phase: `http.polls`, `http.lookups` (the one before the kickoff included), reads of the result. */
  #polls = 0;
  #lookups = 0;
  #reads = 0;
  /** Transient failures in a row (`http.poll_max_consecutive_errors`). */
  #errors = 0;
  /** The latest status the backend reported (`http.last_status`). */
  #lastStatus: string | undefined;

  constructor(parts: AsyncRunParts, resume?: Checkpoint) {
    this.#parts = parts;
    this.#phase = resume === undefined ? firstPhase(parts.protocol.lookup) : resumedPhase(resume);
  }

  /** Where the run is. */
  get phase(): Phase {
    return this.#phase;
  }

  /**
   * The whole run, to its result: while the run waits, this is its one
   * suspended frame (PERFORMANCE.md, "One frame per run"). Each request goes
   * out from `step`, so this frame never holds an answer.
   */
  async run(): Promise<RuntimeResult> {
    const { scope, pacing } = this.#parts;
    const sleep = this.#parts.client.options.sleep;
    let phase = this.#phase;
    try {
      while (phase.name !== "settle") {
        const delayMs = pacing.next(scope.remainingMs());
        if (delayMs !== undefined) {
          this.#parts.report.emit?.({ type: "wait", delayMs, source: pacing.source });
          const pause = scope.pause(delayMs, sleep);
          if (pause !== undefined) await pause;
        }
        phase = this.#phase = scope.checkStopped() ? this.#stopped(phase) : await this.step(phase);
      }
    } catch (error) {
      phase = this.#phase = settlePhase(this.#phase, failedEnding({ kind: "runner_error", error: errorMessage(error) }));
    }
    return this.#settle(phase);
  }

  /** One request of `phase`: sends it, classifies its answer and returns the phase that follows. */
  async step(phase: ActivePhase): Promise<Phase> {
    const { config, headers, scope, client, report } = this.#parts;
    const signal = scope.requestSignal;
    if (phase.name === "kickoff" && phase.attempt === 1) {
      const notSent = await this.#beforeKickoff(phase);
      if (notSent !== undefined) return notSent;
    }
    let request: TransportRequest;
    let label: RequestPhase;
    let attempt: number;
    switch (phase.name) {
      case "start":
      case "lookup":
        request = { method: "GET", url: phase.lookup.url, headers: headers.plain, signal };
        label = "lookup";
        attempt = ++this.#lookups;
        break;
      case "kickoff":
        request = { method: config.method, url: config.url, headers: headers.withBody, body: config.body, signal };
        label = "kickoff";
        attempt = phase.attempt;
        break;
      case "poll":
        request = { method: "GET", url: phase.pollUrl, headers: headers.plain, signal };
        label = "poll";
        attempt = ++this.#polls;
        break;
      case "final":
        report.metadata["http.final_url"] = phase.resultUrl.href;
        request = { method: "GET", url: phase.resultUrl, headers: headers.plain, signal };
        label = "final";
        attempt = ++this.#reads;
        break;
    }
    let answer: TransportResponse | TransportError;
    try {
      answer = await client.send(request, report, label, attempt);
    } catch (error) {
      answer = toTransportError(error, signal);
    }
    switch (phase.name) {
      case "start":
      case "lookup":
        return this.#afterLookup(phase, answer);
      case "kickoff":
        return this.#afterKickoff(phase, answer);
      case "poll":
        return this.#afterPoll(phase, answer);
      case "final":
        return this.#afterFinal(phase, answer);
    }
  }

  /** Awaits `beforeKickoff`; the phase that follows when the kickoff must not be sent. */
  async #beforeKickoff(phase: ActivePhase): Promise<Phase | undefined> {
    const hook = this.#parts.runOptions.beforeKickoff;
    if (hook === undefined) return undefined;
    const scope = this.#parts.scope;
    try {
      await untilAborted(hook(), scope.requestSignal);
    } catch (error) {
      if (scope.checkStopped()) return this.#stopped(phase);
      return settlePhase(phase, failedEnding({ kind: "kickoff_not_sent", error: errorMessage(error) }));
    }
    return scope.checkStopped() ? this.#stopped(phase) : undefined;
  }

  #afterKickoff(phase: Extract<Phase, { name: "kickoff" }>, response: TransportResponse | TransportError): Phase | Promise<Phase> {
    const { config, pacing, protocol, report } = this.#parts;
    const { now } = this.#parts.client.options;
    const retries = config.kickoffMaxRetries;
    const request: RequestRef = { phase: "kickoff", method: config.method, url: config.url, attempt: phase.attempt, retries };
    if (this.#parts.scope.checkStopped()) return this.#stopped(phase, response);
    if (response instanceof TransportError) {
      pacing.failed();
      if (response.kind === "network" && phase.attempt <= retries) return this.#kickoffAgain(phase, response.message);
      return settlePhase(phase, failedEnding({ kind: "transport", request, error: response.message }));
    }
    report.answered(response.status);
    report.emit?.({ type: "kickoff", httpStatus: response.status });
    pacing.answered(parseRetryAfterMs(response.header("retry-after"), now));
    const answer = new Answer(response);
    const path = config.pollRunIdPath;
    const runId = path !== undefined && isSuccessCode(answer.code) ? readRunId(answer.json, path) : undefined;
    const verdict = protocol.kickoff(answer, runId);
    switch (verdict.kind) {
      case "transient":
        if (phase.attempt <= retries) return this.#kickoffAgain(phase, `HTTP ${answer.code}: ${report.preview(response.body)}`);
        return settlePhase(phase, failedEnding({ kind: "refused", request, code: answer.code, body: response.body }));
      case "permanent":
        return settlePhase(phase, failedEnding({ kind: "refused", request, code: answer.code, body: response.body }));
      case "malformed": {
        const body = verdict.showBody === true ? response.body : undefined;
        return settlePhase(phase, failedEnding({ kind: "malformed_answer", request, code: answer.code, problem: verdict.problem, body }), runId);
      }
      case "terminal":
        return settlePhase(phase, this.#terminal(verdict, answer), runId);
      case "accepted": {
        if (verdict.status !== undefined) this.#lastStatus = verdict.status;
        pacing.accepted();
        const monitor = verdict.monitor;
        if (monitor !== undefined) return this.#accept({ pollUrl: monitor.url, runId, lookup: undefined, mode: monitor.mode, resultUrl: monitor.resultUrl });
        const lookup = protocol.lookup;
        if (lookup === undefined) return settlePhase(phase, failedEnding({ kind: "runner_error", error: "a run lookup without its settings" }), runId);
        return { name: "lookup", lookup, before: phase.before ?? new Set(), runId };
      }
    }
  }

  #kickoffAgain(phase: Extract<Phase, { name: "kickoff" }>, error: string): Phase {
    this.#parts.report.emit?.({ type: "retry", attempt: phase.attempt, error: this.#parts.report.redact(error) });
    return { name: "kickoff", attempt: phase.attempt + 1, before: phase.before };
  }

  /** A lookup's answer: before the kickoff, the keys there are; after it, the run once a new key appears. */
  #afterLookup(phase: Extract<Phase, { name: "start" }> | LookupPhase, response: TransportResponse | TransportError): Phase | Promise<Phase> {
    const { config, report, pacing } = this.#parts;
    const request: RequestRef = { phase: "lookup", method: "GET", url: phase.lookup.url, attempt: this.#lookups };
    const answer = this.#received(phase, request, response);
    if (!(answer instanceof Answer)) return answer;
    const verdict = classifyLookup(answer, phase.lookup.path, config.pollPendingCodes);
    let keys: readonly string[];
    switch (verdict.kind) {
      case "pending":
        report.emit?.({ type: "pending", attempt: request.attempt, httpStatus: answer.code });
        keys = [];
        break;
      case "keys":
        keys = verdict.keys;
        break;
      case "transient":
        return this.#transient(phase, request, `HTTP ${answer.code}: ${report.preview(answer.response.body)}`);
      case "permanent":
        return settlePhase(phase, failedEnding({ kind: "refused", request, code: answer.code, body: answer.response.body }));
      case "malformed":
        return settlePhase(phase, failedEnding({ kind: "malformed_answer", request, code: answer.code, problem: verdict.problem, body: answer.response.body }));
    }
    this.#errors = 0;
    if (phase.name === "start") {
      // The runs there were before: the kickoff goes out at once.
      pacing.restart();
      return { name: "kickoff", attempt: 1, before: new Set(keys) };
    }
    const found = newestNewKey(keys, phase.before);
    if (found === undefined) return phase;
    // The run found, its first poll follows at once.
    pacing.skipWait();
    const values = { runId: phase.runId, lookup: found };
    return this.#accept({ pollUrl: expandUrlTemplate(phase.lookup.template, values, config.url), ...values, mode: undefined, resultUrl: undefined });
  }

  #afterPoll(phase: PollPhase, response: TransportResponse | TransportError): Phase {
    const { report, protocol, pacing } = this.#parts;
    const request: RequestRef = { phase: "poll", method: "GET", url: phase.pollUrl, attempt: this.#polls };
    const answer = this.#received(phase, request, response);
    if (!(answer instanceof Answer)) return answer;
    const verdict = protocol.poll(answer, phase.mode);
    const httpStatus = answer.code;
    const attempt = request.attempt;
    switch (verdict.kind) {
      case "pending":
        this.#errors = 0;
        report.emit?.({ type: "poll", attempt, httpStatus });
        report.emit?.({ type: "pending", attempt, httpStatus });
        return phase;
      case "transient":
        report.emit?.({ type: "poll", attempt, httpStatus });
        return this.#transient(phase, request, `HTTP ${httpStatus}: ${report.preview(answer.response.body)}`);
      case "permanent":
        report.emit?.({ type: "poll", attempt, httpStatus });
        return settlePhase(phase, failedEnding({ kind: "refused", request, code: httpStatus, body: answer.response.body }));
      default:
        break;
    }
    // A 2xx: the latest run id in a poll body wins, unless the status URL is built from it.
    const path = protocol.runIdInPolls;
    const runId = (path === undefined ? undefined : readRunId(answer.json, path)) ?? phase.runId;
    // The status URL moved: a Location, or the monitor's own header, on a poll answer.
    const moveTo = verdict.kind === "progress" ? verdict.moveTo : undefined;
    const next = runId === phase.runId && moveTo === undefined ? phase : pollPhase({ ...phase, runId, pollUrl: moveTo ?? phase.pollUrl });
    if (verdict.kind === "malformed") {
      report.emit?.({ type: "poll", attempt, httpStatus });
      return settlePhase(next, failedEnding({ kind: "malformed_answer", request, code: httpStatus, problem: verdict.problem, body: answer.response.body }));
    }
    report.emit?.({ type: "poll", attempt, httpStatus, status: verdict.status });
    this.#errors = 0;
    this.#lastStatus = verdict.status;
    if (verdict.kind === "progress") return next;
    if (verdict.outcome === "succeeded" && next.resultUrl !== undefined) {
      // The operation succeeded: its result is read at once at the resource.
      pacing.skipWait();
      return { ...next, name: "final", resultUrl: next.resultUrl };
    }
    return settlePhase(next, this.#terminal(verdict, answer));
  }

  #afterFinal(phase: FinalPhase, response: TransportResponse | TransportError): Phase {
    const { report, protocol } = this.#parts;
    const request: RequestRef = { phase: "final", method: "GET", url: phase.resultUrl, attempt: this.#reads };
    const answer = this.#received(phase, request, response);
    if (!(answer instanceof Answer)) return answer;
    const verdict = protocol.final(answer, this.#lastStatus ?? String(answer.code));
    switch (verdict.kind) {
      case "terminal":
        return settlePhase(phase, this.#terminal(verdict, answer));
      case "transient":
        return this.#transient(phase, request, `HTTP ${answer.code}: ${report.preview(answer.response.body)}`);
      case "permanent":
        return settlePhase(phase, failedEnding({ kind: "refused", request, code: answer.code, body: answer.response.body }));
      case "malformed":
        return settlePhase(phase, failedEnding({ kind: "malformed_answer", request, code: answer.code, problem: verdict.problem }));
      default:
        return phase;
    }
  }

  /**
   * What every answer after the kickoff tells the run first: its HTTP
   * status, whether the run was stopped meanwhile, and, for a request that
   * got no answer, the run's next phase. Otherwise the answer, to read on.
   */
  #received(phase: ActivePhase, request: RequestRef, response: TransportResponse | TransportError): Answer | Phase {
    const { pacing, report, scope, client } = this.#parts;
    if (response instanceof TransportError) pacing.failed();
    else report.answered(response.status);
    if (scope.checkStopped()) return this.#stopped(phase, response);
    if (response instanceof TransportError) {
      if (response.kind === "network") return this.#transient(phase, request, response.message);
      return settlePhase(phase, failedEnding({ kind: "transport", request, error: response.message }));
    }
    pacing.answered(parseRetryAfterMs(response.header("retry-after"), client.options.now));
    return new Answer(response);
  }

  /** A transient failure: the same phase again while the consecutive-error budget lasts, else the end. */
  #transient(phase: ActivePhase, request: RequestRef, error: string): Phase {
    const { config, report } = this.#parts;
    const budget = config.pollMaxConsecutiveErrors;
    this.#errors += 1;
    if (this.#errors > budget) return settlePhase(phase, failedEnding({ kind: "errors", request, times: this.#errors, budget, lastError: error }));
    report.emit?.({ type: "retry", attempt: request.attempt, error: report.redact(error) });
    return phase;
  }

  /** The ending for a terminal status, with its event and `http.result`. */
  #terminal(verdict: Terminal, answer: Answer): Ending {
    const { config, report } = this.#parts;
    this.#lastStatus = verdict.status;
    report.emit?.({ type: "terminal", status: verdict.status, outcome: verdict.outcome });
    const value = config.resultPath === undefined ? undefined : readJsonPath(answer.json, config.resultPath);
    const result = value === undefined ? undefined : JSON.stringify(value);
    if (result !== undefined) report.metadata["http.result"] = result;
    if (verdict.outcome === "succeeded") return terminalEnding(verdict, answer.response.body, undefined);
    // A run that did not succeed says why, as far as the backend told: its error, its outcome, its result.
    const told = [verdict.detail, result === undefined ? undefined : `http.result ${result}`].filter((part) => part !== undefined);
    return terminalEnding(verdict, answer.response.body, told.length === 0 ? undefined : report.preview(told.join("; ")));
  }

  /** The backend has the job: its checkpoint goes to the `accepted` event and `saveCheckpoint`; polling follows. */
  async #accept(accepted: Accepted): Promise<Phase> {
    const { report, scope, client, runOptions } = this.#parts;
    const phase = pollPhase(accepted);
    const save = runOptions.saveCheckpoint;
    if (report.emit === undefined && save === undefined) return phase;
    const checkpoint: Checkpoint = { version: 1, pollUrl: accepted.pollUrl.href, acceptedAt: new Date(client.options.now()).toISOString() };
    if (accepted.runId !== undefined) checkpoint.runId = accepted.runId;
    if (scope.deadlineAtMs !== undefined) checkpoint.deadlineAt = new Date(scope.deadlineAtMs).toISOString();
    if (accepted.mode !== undefined) checkpoint.pollMode = accepted.mode;
    if (accepted.resultUrl !== undefined) checkpoint.resultUrl = accepted.resultUrl.href;
    if (accepted.lookup !== undefined) checkpoint.lookup = accepted.lookup;
    report.emit?.({ type: "accepted", checkpoint });
    if (save === undefined) return phase;
    try {
      await untilAborted(save(checkpoint), scope.requestSignal);
    } catch (error) {
      if (scope.checkStopped()) return this.#stopped(phase);
      report.metadata["http.checkpoint_error"] = `checkpoint not saved: ${errorMessage(error)}`;
    }
    return phase;
  }

  /** The end of a run the deadline or the caller stopped in `phase`; `interrupted` is the answer of the request it cut off. */
  #stopped(phase: ActivePhase, interrupted?: TransportResponse | TransportError): SettlePhase {
    const reason = this.#parts.scope.stopCause ?? "cancelled";
    const stage = interrupted instanceof TransportError ? (interrupted.stage ?? "none") : undefined;
    return settlePhase(phase, failedEnding({ kind: "stopped", reason, doing: this.#doing(phase), stage }));
  }

  /** What the run was doing in `phase`, for a stopped run's summary. */
  #doing(phase: ActivePhase): Doing {
    switch (phase.name) {
      case "poll":
      case "final":
        return { phase: "poll", url: phase.pollUrl, polls: this.#polls, lastStatus: this.#lastStatus };
      case "lookup":
        return { phase: "lookup", url: phase.lookup.url, lookups: this.#lookups };
      default:
        return { phase: "kickoff", method: this.#parts.config.method, url: this.#parts.config.url };
    }
  }

  /** Ends the run: the cancel request when it was stopped after the backend took the job, then the result. */
  async #settle(phase: SettlePhase): Promise<RuntimeResult> {
    const { config, scope, report } = this.#parts;
    try {
      const { ending, accepted } = phase;
      const status = ending.failure === undefined ? "succeeded" : failureStatus(ending.failure);
      const stoppedByUs = scope.stopReason !== undefined && !scope.abandoned && (status === "timed_out" || status === "cancelled");
      const template = config.cancelUrlTemplate;
      if (stoppedByUs && accepted !== undefined && template !== undefined) await this.#cancel(template, accepted);
      const metadata = report.metadata;
      if (accepted?.mode !== undefined) metadata["http.poll_mode"] = accepted.mode;
      if (this.#lookups > 0) metadata["http.lookups"] = String(this.#lookups);
      if (accepted?.lookup !== undefined) metadata["http.lookup"] = accepted.lookup;
      metadata["http.polls"] = String(this.#polls);
      if (phase.runId !== undefined) metadata["http.run_id"] = phase.runId;
      if (accepted !== undefined) metadata["http.poll_url"] = accepted.pollUrl.href;
      if (this.#lastStatus !== undefined) metadata["http.last_status"] = this.#lastStatus;
      scope.dispose();
      return await report.finish(ending);
    } catch (error) {
      scope.dispose();
      return report.crashed(error);
    }
  }

  /** The best-effort cancel request, bounded by `cancelTimeoutMs`; its answer goes to `http.cancel_status`. */
  async #cancel(template: string, accepted: Accepted): Promise<void> {
    const { config, headers, report, client } = this.#parts;
    const answer =
      template.includes("{run_id}") && accepted.runId === undefined
        ? { error: "no run id to cancel" }
        : await sendCancel(
            (request) => client.send(request, report, "cancel"),
            { method: config.cancelMethod, url: expandUrlTemplate(template, accepted, config.url), headers: headers.plain },
            client.options.cancelTimeoutMs,
          );
    if (answer.error === undefined) {
      report.metadata["http.cancel_status"] = String(answer.httpStatus);
      report.emit?.({ type: "cancel", httpStatus: answer.httpStatus });
    } else {
      report.metadata["http.cancel_status"] = `error: ${answer.error}`;
      report.emit?.({ type: "cancel", error: report.redact(answer.error) });
    }
  }
}

/** An accepted run picked up from its checkpoint: polling, the first poll at once. */
function resumedPhase(checkpoint: Checkpoint): Phase {
  return pollPhase({
    pollUrl: new URL(checkpoint.pollUrl),
    runId: checkpoint.runId,
    lookup: checkpoint.lookup,
    mode: checkpoint.pollMode,
    resultUrl: checkpoint.resultUrl === undefined ? undefined : new URL(checkpoint.resultUrl),
  });
}
