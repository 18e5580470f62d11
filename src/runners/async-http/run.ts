import type { Checkpoint } from "../../contracts/checkpoint.js";
import type { RuntimeResult } from "../../contracts/result.js";
import { parseRetryAfterMs } from "../../http/timing.js";
import { TransportError } from "../../http/transport/transport-error.js";
import type { Receiver, TransportResponse } from "../../http/transport/transport.js";
import { errorMessage } from "../../util/error-message.js";
import { lastErrorText, type LastError, type RequestRef } from "../failure.js";
import type { RunReport } from "../run-report.js";
import { RunScope } from "../scope/run-scope.js";
import type { Timed } from "../scope/timer-queue.js";
import { Answer } from "./answer.js";
import { beforeKickoff, saveCheckpoint } from "./hooks.js";
import { settleRun } from "./settle.js";
import { failedEnding } from "./ending.js";
import { classifyLookup, type LookupVerdict } from "./lookup.js";
import { FIRST_PACING, nextWaitMs, paceAnswer, paceMove, paceNoAnswer, waitSource, waited, type Pacing } from "./pacing.js";
import { callsBeforeKickoff, checkpointOf, firstPhase, requestOf, resumedPhase, settlePhase, type Hooks, type Phase, type PollPhase, type RunCounts } from "./phase.js";
import type { RunParts, RunPlan } from "./plan.js";
import { deliverRequest, sendRequest, type Answered } from "./send.js";
import { claimRun } from "./identity.js";
import { backendError, runIdOf } from "./answer-facts.js";
import { afterFinal, afterKickoff, afterLookup, afterNoAnswer, afterPoll, afterStop, afterStoppedLooking, checkpointHooks, stoppedEnding, transientAnswer, type ActivePhase, type Context } from "./transitions.js";
import { PENDING, isSuccessCode, type KickoffVerdict, type PollVerdict } from "./verdict.js";
import { RESULT_KEYS } from "../../http/result-keys.js";

/** Any verdict on an answer. */
type Verdict = KickoffVerdict | LookupVerdict | PollVerdict;

/**
 * One asynchronous run, read as DESIGN's flow. Its state is a `Phase`; it waits (as its `pacing` says), checks
 * for a stop, sends the phase's request, classifies the answer (by its `protocol`) and applies the verdict
 * (`transitions.ts`), until it settles, sending the cancel request when it was stopped after the backend took
 * the job. What it tells (events, metadata, the result) goes through its `report`.
 */
export class AsyncRun implements Timed, Receiver {
  /** The run waits on the process's timer queue itself (Timed), with no promise of its own. */
  queueIndex = -1;
  readonly #plan: RunPlan;
  /** The run's lifetime; once it was stopped while looking its job up, the cancel budget's (see `stopped`). */
  #scope: RunScope;
  readonly #report: RunReport;
  #phase: Phase;
  /** When the run waits (`pacing.ts`): a value, moved as the run tells what happened. */
  #pacing: Pacing = FIRST_PACING;
  /** Requests sent, by phase: `http.polls`, `http.lookups` (the ones before the kickoff included), reads of the result. */
  #polls = 0;
  #lookups = 0;
  #reads = 0;
  /** Transient failures in a row (`http.poll_max_consecutive_errors`). */
  #errors = 0;
  /** The latest status the backend reported (`http.last_status`). */
  #lastStatus: string | undefined;
  /** Settles the promise `run` returned. */
  #resolve: ((result: RuntimeResult | Promise<RuntimeResult>) => void) | undefined;
  /** The latest request, which the answer that comes is to; dropped for a wait, so a waiting run holds none (PERFORMANCE.md, "URLs held as text"). */
  #last: RequestRef | undefined;

  constructor(plan: RunPlan, parts: RunParts, hooks: Hooks, resume?: Checkpoint) {
    this.#plan = plan;
    this.#scope = parts.scope;
    this.#report = parts.report;
    this.#phase = resume === undefined ? firstPhase(plan.protocol.lookup, hooks) : resumedPhase(resume);
  }

  /** Where the run is. */
  get phase(): Phase {
    return this.#phase;
  }

  /** The whole run, to its result; driven by callbacks: a waiting run holds no frame and no promise but this one (PERFORMANCE.md, "No frame while waiting"). */
  run(): Promise<RuntimeResult> {
    return new Promise<RuntimeResult>((resolve) => {
      this.#resolve = resolve;
      this.continue(false);
    });
  }

  /**
   * Goes on from the run's phase: the wait its pacing asks for (unless it has just `waited`), a check for a stop,
   * then the phase's request, whose answer calls this again; at the end, the run settles.
   */
  private continue(waited: boolean): void {
    let phase = this.#phase;
    try {
      while (phase.name !== "settle") {
        if (!waited && this.wait()) return;
        waited = false;
        if (!this.#scope.checkStopped()) return this.send(phase);
        phase = this.#phase = this.stopped(phase);
      }
    } catch (error) {
      phase = this.#phase = settlePhase(this.#phase, failedEnding({ kind: "runner_error", error: errorMessage(error) }));
    }
    this.#resolve?.(settleRun(this.#plan, this.#scope, this.#report, phase, this.counts()));
  }

  /** Sends the request of `phase`: one whose headers are known and that calls no hook first answers to the run itself, with no promise (PERFORMANCE.md, "Answers without promises"). */
  private send(phase: ActivePhase): void {
    if (this.#plan.resolve === undefined && !callsBeforeKickoff(phase)) return deliverRequest(this.#plan, this.#report, this.#scope.requestSignal, phase, this.next(phase), this);
    this.go(this.step(phase));
  }

  /** The answer to the request in flight (Receiver: `#last`, of the run's phase): the run goes on from the phase it leads to. */
  answered(answer: TransportResponse | TransportError): void {
    const phase = this.#phase;
    const request = this.#last;
    let next: Phase | Promise<Phase>;
    try {
      if (phase.name === "settle" || request === undefined) throw new Error("an answer came with no request in flight");
      next = this.read(phase, request, answer);
    } catch (error) {
      this.crashed(error);
      return;
    }
    this.go(next);
  }

  private go(next: Phase | Promise<Phase>): void {
    if (next instanceof Promise) next.then((phase) => this.moveTo(phase), (error: unknown) => this.crashed(error));
    else this.moveTo(next);
  }

  private moveTo(phase: Phase): void {
    this.#phase = phase;
    this.continue(false);
  }

  /** The run broke (a hook or a clock threw): it settles as a runner error in the phase it was in. */
  private crashed(error: unknown): void {
    this.moveTo(settlePhase(this.#phase, failedEnding({ kind: "runner_error", error: errorMessage(error) })));
  }

  /** The wait is over (Timed): the timer queue calls this when it is due, the run's scope when the run stops. */
  fire(): void {
    this.continue(true);
  }

  /** Starts the wait its pacing asks for: the caller's `sleep`, else the run itself on the timer queue; false when none is due (or it is 0 ms). */
  private wait(): boolean {
    const { config, client } = this.#plan;
    const pacing = this.#pacing;
    const delayMs = nextWaitMs(pacing, config, this.#scope);
    if (delayMs === undefined) return false;
    this.#pacing = waited(pacing);
    if (delayMs > 0) this.#last = undefined;
    this.#report.emit?.({ type: "wait", delayMs, source: waitSource(pacing) });
    const sleep = client.options.sleep;
    if (sleep === undefined) return this.#scope.wait(delayMs, this);
    this.#scope.pause(delayMs, sleep).then(() => this.continue(true), (error: unknown) => this.crashed(error));
    return true;
  }

  /** One request of `phase`: sends it, classifies its answer and returns the phase that follows. Not async (see `continue`). */
  step(phase: ActivePhase): Promise<Phase> {
    const read: Answered<Phase> = (request, answer) => this.read(phase, request, answer);
    const send = (): Promise<Phase> => sendRequest(this.#plan, this.#report, this.#scope.requestSignal, phase, () => this.next(phase), read);
    if (!callsBeforeKickoff(phase)) return send();
    return beforeKickoff(phase.hooks, this.#scope).then((called) => {
      if (called === "stopped") return this.stopped(phase);
      if (called !== "done") return settlePhase(phase, failedEnding({ kind: "kickoff_not_sent", error: called.error }));
      return send();
    });
  }

  /** The request of `phase`, counted; the run keeps it as its latest (`#last`). */
  private next(phase: ActivePhase): RequestRef {
    if (phase.name === "final") this.#report.metadata[RESULT_KEYS.finalUrl] = phase.resultUrl;
    return (this.#last = requestOf(phase, this.#plan.config, this.count(phase)));
  }

  /** Counts the request `phase` sends (`http.polls`, `http.lookups`); returns its number in the phase. */
  private count(phase: ActivePhase): number {
    if (phase.name === "kickoff") return phase.attempt;
    return phase.name === "poll" ? ++this.#polls : phase.name === "final" ? ++this.#reads : ++this.#lookups;
  }

  /** What the answer to `request` (or its failure) means: the phase that follows, with its events told. */
  private read(phase: ActivePhase, request: RequestRef, response: TransportResponse | TransportError): Phase | Promise<Phase> {
    const { config, protocol, client } = this.#plan;
    const report = this.#report;
    const kickoff = phase.name === "kickoff";
    if (response instanceof TransportError) this.#pacing = paceNoAnswer(this.#pacing);
    else if (!kickoff) report.answered(response.status);
    if (this.#scope.checkStopped()) return this.stopped(phase, response);
    if (response instanceof TransportError) {
      const network = response.kind === "network";
      if (network && !kickoff) this.#errors += 1;
      return this.moved(phase, request, afterNoAnswer(phase, response, this.context(request)), network ? { error: response.message } : undefined);
    }
    if (kickoff) {
      report.answered(response.status);
      report.emit?.({ type: "kickoff", httpStatus: response.status });
    }
    this.#pacing = paceAnswer(this.#pacing, parseRetryAfterMs(response.header("retry-after"), client.options.now));
    const answer = new Answer(response);
    let verdict: Verdict;
    let next: Phase;
    switch (phase.name) {
      case "kickoff": {
        // An acknowledgement may carry the backend's error too (a Slurm job held at submit): a failure later quotes it.
        const said = isSuccessCode(answer.code) ? backendError(answer, config) : undefined;
        if (said !== undefined) report.metadata[RESULT_KEYS.error] = said;
        const runId = runIdOf(answer, config);
        verdict = protocol.kickoff(answer, runId, report.invocation_id);
        next = afterKickoff(phase, verdict, answer, runId, this.context(request));
        break;
      }
      case "start":
      case "lookup":
        verdict = classifyLookup(answer, phase.lookup.path, config.pollPendingCodes);
        next = afterLookup(phase, verdict, answer, this.tell(phase, request, verdict, answer));
        break;
      case "poll": {
        const claimed = claimRun(phase, answer, this.context(request));
        if (claimed?.name !== "poll") {
          // Not the run's own answer: pending while the run is not proven, else the end (or the lookup again).
          this.tell(phase, request, claimed === undefined ? PENDING : undefined, answer);
          return this.moved(phase, request, claimed ?? phase, undefined);
        }
        verdict = protocol.poll(answer, claimed.mode);
        next = afterPoll(claimed, verdict, answer, this.tell(phase, request, verdict, answer));
        break;
      }
      case "final":
        verdict = protocol.final(answer, this.#lastStatus ?? String(answer.code));
        next = afterFinal(phase, verdict, answer, this.tell(phase, request, verdict, answer));
        break;
    }
    if (verdict.kind === "accepted" && verdict.status !== undefined) this.#lastStatus = verdict.status;
    if (verdict.kind === "terminal" && next.name === "settle") {
      this.#lastStatus = verdict.status;
      report.emit?.({ type: "terminal", status: verdict.status, outcome: verdict.outcome });
    }
    return this.moved(phase, request, next, verdict.kind === "transient" ? transientAnswer(answer, config) : undefined);
  }

  /** Counts an answer after the kickoff (transient failures in a row, the status reported), tells its `poll` and `pending` events; the context its transition reads. */
  private tell(phase: ActivePhase, request: RequestRef, verdict: Verdict | undefined, answer: Answer): Context {
    this.#errors = verdict?.kind === "transient" ? this.#errors + 1 : 0;
    const emit = this.#report.emit;
    const { attempt } = request;
    const httpStatus = answer.code;
    if (phase.name === "poll") {
      const status = verdict?.kind === "progress" || verdict?.kind === "terminal" ? verdict.status : undefined;
      if (status !== undefined) this.#lastStatus = status;
      emit?.(status === undefined ? { type: "poll", attempt, httpStatus } : { type: "poll", attempt, httpStatus, status });
    }
    if (verdict?.kind === "pending" && phase.name !== "final") emit?.({ type: "pending", attempt, httpStatus });
    return this.context(request);
  }

  private context(request: RequestRef): Context {
    return { config: this.#plan.config, protocol: this.#plan.protocol, request, errors: this.#errors, invocationId: this.#report.invocation_id };
  }

  /** From `phase` to `next`: a `retry` event when a transient failure (`last`) is tried again, the pacing told of a new phase, the checkpoint once the backend has the job. */
  private moved(phase: ActivePhase, request: RequestRef, next: Phase, last: LastError | undefined): Phase | Promise<Phase> {
    const report = this.#report;
    const stopped = stoppedEnding(phase);
    const ended = stopped === undefined ? undefined : afterStoppedLooking(stopped, next, this.#plan.config);
    if (ended !== undefined) return ended;
    if (last !== undefined && next.name !== "settle") report.emit?.({ type: "retry", attempt: request.attempt, error: report.redact(lastErrorText(last, report)) });
    if (next.name !== phase.name) this.#pacing = paceMove(this.#pacing, this.#plan.config, phase.name, next.name);
    const hooks = checkpointHooks(phase, next);
    return hooks !== undefined && next.name === "poll" ? this.accept(next, hooks) : next;
  }

  /** What the run counted, for its summary and metadata. */
  private counts(): RunCounts {
    return { polls: this.#polls, lookups: this.#lookups, lastStatus: this.#lastStatus };
  }

  /** The backend has the job: its checkpoint goes to the `accepted` event and `saveCheckpoint`; polling follows, at once when nobody listens or saves. */
  private accept(phase: PollPhase, hooks: Hooks): Phase | Promise<Phase> {
    const report = this.#report;
    if (report.emit === undefined && hooks.saveCheckpoint === undefined) return phase;
    const checkpoint = checkpointOf(phase, this.#plan.client.options.now(), this.#scope.deadlineAtMs);
    report.emit?.({ type: "accepted", checkpoint });
    return saveCheckpoint(hooks, checkpoint, this.#scope).then((saved) => {
      if (saved === "stopped") return this.stopped(phase);
      if (saved !== "done") report.metadata[RESULT_KEYS.checkpointError] = `checkpoint not saved: ${saved.error}`;
      return phase;
    });
  }

  /**
   * The end of a run the deadline or the caller stopped in `phase` (`afterStop`); `interrupted` is the answer of the
   * request it cut off. A run stopped while looking its job up looks on, within the cancel budget (`cancelTimeoutMs`).
   */
  private stopped(phase: ActivePhase, interrupted?: TransportResponse | TransportError): Phase {
    const { stopCause, deadlineAtMs } = this.#scope;
    const next = afterStop(phase, { reason: stopCause ?? "cancelled", deadlineAtMs }, this.#plan.config, this.counts(), interrupted);
    if (next.name !== "settle") {
      const { now, cancelTimeoutMs } = this.#plan.client.options;
      this.#scope = new RunScope({ deadlineAtMs: now() + cancelTimeoutMs, now });
    }
    return next;
  }
}
