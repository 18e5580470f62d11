/**
 * Where a run goes from each phase, given the verdict on the answer to the
 * phase's request: pure functions of the phase, the verdict, the answer and
 * what the run counted. Whatever the run tells of it (events, metadata) and
 * when it waits are the run's and its pacing's; see `run.ts`.
 */
import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import { TransportError } from "../../http/transport/transport-error.js";
import type { TransportResponse } from "../../http/transport/transport.js";
import type { StopReason } from "../scope/stop-signal.js";
import type { LastError, RequestRef } from "../failure.js";
import type { Answer } from "./answer.js";
import { backendError, exitCodeOf, jsonAt } from "./answer-facts.js";
import { failedEnding, terminalEnding } from "./ending.js";
import type { LookupVerdict } from "./lookup.js";
import { newestNewKey } from "./lookup.js";
import { doingOf, pollPhase, settlePhase, type FinalPhase, type Hooks, type KickoffPhase, type LookupPhase, type Phase, type PollPhase, type RunCounts, type SettlePhase } from "./phase.js";
import type { Protocol } from "./protocol.js";
import { RUN_ID_PLACEHOLDER } from "../../http/placeholders.js";
import { expandUrlTemplate } from "../../http/url-template.js";
import type { Ending } from "../run-report.js";
import { isSuccessCode, type KickoffVerdict, type PollVerdict, type Terminal } from "./verdict.js";

/** What a transition reads besides the phase, the verdict and the answer. */
export interface Context {
  readonly config: AsyncHttpConfig;
  readonly protocol: Protocol;
  /** The request that was answered: what a failure names. */
  readonly request: RequestRef;
  /** Transient failures in a row, this answer's included when it is one (`http.poll_max_consecutive_errors`). */
  readonly errors: number;
  /** The invocation's id, for `{invocation_id}`. */
  readonly invocationId: string;
}

/** A phase that sends requests. */
export type ActivePhase = Exclude<Phase, SettlePhase>;
type StartPhase = Extract<Phase, { name: "start" }>;

/**
 * After the kickoff's answer: again (a transient failure, where sending it
 * again is safe), the lookup of a run the answer did not name, polling, or
 * the end. `runId` is the id the answer named.
 */
export function afterKickoff(phase: KickoffPhase, verdict: KickoffVerdict, answer: Answer, runId: string | undefined, context: Context): Phase {
  const { request } = context;
  switch (verdict.kind) {
    case "transient":
      if (phase.attempt <= context.config.kickoffMaxRetries) return { ...phase, attempt: phase.attempt + 1 };
      return settlePhase(phase, refused(request, answer, context.config));
    case "permanent":
      return settlePhase(phase, refused(request, answer, context.config));
    case "malformed": {
      const body = verdict.showBody === true ? answer.response.body : undefined;
      return settlePhase(phase, unreadable(request, answer, verdict.problem, body), runId);
    }
    case "terminal":
      return settlePhase(phase, ended(verdict, answer, context.config), runId);
    case "accepted": {
      const monitor = verdict.monitor;
      if (monitor !== undefined) {
        const accepted = { pollUrl: monitor.url, runId, lookup: undefined, mode: monitor.mode, resultUrl: monitor.resultUrl };
        return pollPhase(accepted, context.config.runOwnerPath === undefined ? undefined : { hooks: phase.hooks });
      }
      const lookup = context.protocol.lookup;
      if (lookup === undefined) return settlePhase(phase, failedEnding({ kind: "runner_error", error: "a run lookup without its settings" }), runId);
      return { name: "lookup", lookup, before: phase.before ?? new Set(), runId, hooks: phase.hooks };
    }
  }
}

/**
 * After a lookup's answer: before the kickoff, the keys listed are the runs
 * there were, and the kickoff follows; after it, the run is polled once a
 * key appears that was not there before.
 */
export function afterLookup(phase: StartPhase | LookupPhase, verdict: LookupVerdict, answer: Answer, context: Context): Phase {
  const { request } = context;
  let keys: readonly string[];
  switch (verdict.kind) {
    case "pending":
      keys = [];
      break;
    case "keys":
      keys = verdict.keys;
      break;
    case "transient":
      return transient(phase, context, transientAnswer(answer, context.config));
    case "permanent":
      return settlePhase(phase, refused(request, answer, context.config));
    case "malformed":
      return settlePhase(phase, unreadable(request, answer, verdict.problem, answer.response.body));
  }
  if (phase.name === "start") return { name: "kickoff", attempt: 1, before: new Set(keys), unanswered: false, hooks: phase.hooks };
  const found = newestNewKey(keys, phase.before);
  if (found === undefined) return phase;
  const { runId } = phase;
  const pollUrl = expandUrlTemplate(phase.lookup.template, { runId, lookup: found, invocationId: context.invocationId }, context.config.url);
  // With an owner check, the run found is a candidate until its status proves it the invocation's.
  const unproven = context.config.runOwnerPath === undefined ? undefined : { hooks: phase.hooks, lookup: phase, stopped: phase.stopped };
  return pollPhase({ pollUrl, runId, lookup: found, mode: undefined, resultUrl: undefined }, unproven);
}

/**
 * After a poll's answer: the same phase (the run id it names and a moved
 * status URL taken in), the read of a succeeded operation's result, or the end.
 */
export function afterPoll(phase: PollPhase, verdict: PollVerdict, answer: Answer, context: Context): Phase {
  switch (verdict.kind) {
    case "pending":
      return phase;
    case "transient":
      return transient(phase, context, transientAnswer(answer, context.config));
    case "permanent":
      return settlePhase(phase, refused(context.request, answer, context.config));
    default:
      break;
  }
  // A 2xx, about the run's own job (see `claimRun`). The status URL moved: a Location, or the monitor's own header, on a poll answer.
  const moveTo = verdict.kind === "progress" ? verdict.moveTo : undefined;
  const next = moveTo === undefined ? phase : pollPhase({ ...phase, pollUrl: moveTo }, phase.unproven);
  switch (verdict.kind) {
    case "malformed": {
      return settlePhase(next, unreadable(context.request, answer, verdict.problem, answer.response.body));
    }
    case "progress":
      return next;
    case "terminal":
      // The operation succeeded: its result is read at the resource.
      if (verdict.outcome === "succeeded" && next.resultUrl !== undefined) return { ...next, name: "final", resultUrl: next.resultUrl };
      return settlePhase(next, ended(verdict, answer, context.config));
  }
}

/** After the answer to the read of a succeeded operation's result: the result, the read again, or the end. */
export function afterFinal(phase: FinalPhase, verdict: PollVerdict, answer: Answer, context: Context): Phase {
  switch (verdict.kind) {
    case "terminal":
      return settlePhase(phase, ended(verdict, answer, context.config));
    case "transient":
      return transient(phase, context, transientAnswer(answer, context.config));
    case "permanent":
      return settlePhase(phase, refused(context.request, answer, context.config));
    case "malformed": {
      return settlePhase(phase, unreadable(context.request, answer, verdict.problem, answer.response.body));
    }
    default:
      return phase;
  }
}

/**
 * After a request that got no answer: a network error is transient (the
 * kickoff is sent again only where that is safe); anything else ends the run.
 */
export function afterNoAnswer(phase: ActivePhase, error: TransportError, context: Context): Phase {
  if (error.kind === "network") {
    if (phase.name !== "kickoff") return transient(phase, context, { error: error.message });
    if (phase.attempt <= context.config.kickoffMaxRetries) {
      return { ...phase, attempt: phase.attempt + 1, unanswered: phase.unanswered || error.mayHaveReached };
    }
  }
  const failure = { kind: "transport", request: context.request, error: error.message, mayHaveReached: error.mayHaveReached } as const;
  return settlePhase(phase, failedEnding(failure));
}

/** A transient failure: the same phase again while the consecutive-error budget lasts, else the end. */
function transient(phase: ActivePhase, context: Context, last: LastError): Phase {
  const budget = context.config.pollMaxConsecutiveErrors;
  if (context.errors <= budget) return phase;
  return settlePhase(phase, failedEnding({ kind: "errors", request: context.request, times: context.errors, budget, last }));
}

/** A request the backend answered with a code the run cannot go on from, with the backend's own error. */
function refused(request: RequestRef, answer: Answer, config: AsyncHttpConfig): ReturnType<typeof failedEnding> {
  return failedEnding({ kind: "refused", request: answered(request, answer), code: answer.code, body: answer.response.body, error: backendError(answer, config) });
}

/** A transient answer (5xx, 429), with the backend's own error. */
export function transientAnswer(answer: Answer, config: AsyncHttpConfig): LastError {
  return { code: answer.code, body: answer.response.body, backendError: backendError(answer, config) };
}

/** An answer the protocol cannot read: `problem`, then a preview of `body` when given. */
function unreadable(request: RequestRef, answer: Answer, problem: string, body: string | undefined): ReturnType<typeof failedEnding> {
  return failedEnding({ kind: "malformed_answer", request: answered(request, answer), code: answer.code, problem, body });
}

/** `request` as a failure names it: at the URL that answered, after redirects. */
function answered(request: RequestRef, answer: Answer): RequestRef {
  const url = answer.response.url;
  return url === request.url ? request : { ...request, url };
}

/**
 * The ending for a terminal status, with the value at `http.result_path`; a
 * run that did not succeed says why, as far as the backend told: its error,
 * its outcome, its result.
 */
function ended(verdict: Terminal, answer: Answer, config: AsyncHttpConfig): ReturnType<typeof terminalEnding> {
  const error = verdict.outcome === "succeeded" ? undefined : backendError(answer, config);
  return terminalEnding(verdict, answer.response.body, { result: jsonAt(answer, config.resultPath), error, exitCode: exitCodeOf(answer, config) });
}

/** How a run stopped while looking its job up (or proving it its own) ended: see `LookupPhase.stopped`. */
export function stoppedEnding(phase: ActivePhase): Ending | undefined {
  return phase.name === "lookup" ? phase.stopped : phase.name === "poll" ? phase.unproven?.stopped : undefined;
}

/**
 * Where a run the deadline or the caller stopped in `phase` goes: the end,
 * or, stopped while looking its job up (with a cancel URL, and not
 * abandoned), the lookup on, to find the job and cancel it (`lookingOn`).
 * `interrupted` is the answer of the request the stop cut off.
 */
export function afterStop(
  phase: ActivePhase,
  stop: { readonly reason: StopReason | "abandoned"; readonly deadlineAtMs: number | undefined },
  config: AsyncHttpConfig,
  counts: RunCounts,
  interrupted?: TransportResponse | TransportError,
): Phase {
  const stopped = stoppedEnding(phase);
  if (stopped !== undefined) return settlePhase(phase, stopped);
  const stage = interrupted instanceof TransportError ? (interrupted.stage ?? "none") : undefined;
  const failure = { kind: "stopped", reason: stop.reason, doing: doingOf(phase, config, counts), stage, deadlineAtMs: stop.deadlineAtMs } as const;
  const looking = failure.reason !== "abandoned" && config.cancelUrlTemplate !== undefined ? lookingOn(phase, failedEnding(failure)) : undefined;
  if (looking !== undefined) return looking;
  // A kickoff cut off in flight, or answered as the run stopped, may have given the backend the job.
  const cutOff = interrupted instanceof TransportError ? interrupted.mayHaveReached : interrupted !== undefined && isSuccessCode(interrupted.status);
  return settlePhase(phase, failedEnding(failure), undefined, phase.name === "kickoff" && cutOff ? "kickoff_unknown" : undefined);
}

/** A run stopped while looking its job up (or proving it its own) looks on, to end as `stopped` once it found it; undefined for any other phase. */
export function lookingOn(phase: ActivePhase, stopped: Ending): Phase | undefined {
  if (phase.name === "lookup") return { ...phase, stopped };
  if (phase.name === "poll" && phase.unproven !== undefined) return { ...phase, unproven: { ...phase.unproven, stopped } };
  return undefined;
}

/**
 * Where a run stopped while looking its job up goes from `next`: it ends as
 * it was stopped, cancelling the job once it found it (and proved it its
 * own); undefined while it looks on.
 */
export function afterStoppedLooking(stopped: Ending, next: Phase, config: Pick<AsyncHttpConfig, "cancelUrlTemplate">): Phase | undefined {
  if (next.name === "settle") return settlePhase(next, stopped);
  if (next.name !== "poll" || next.unproven !== undefined) return undefined;
  // The cancel request names the run by its id, which only a poll of the run found can tell.
  if (next.runId === undefined && config.cancelUrlTemplate?.includes(RUN_ID_PLACEHOLDER) === true) return { ...next, unproven: { hooks: {}, stopped } };
  return settlePhase(next, stopped);
}

/** The caller's functions for the checkpoint, when the run goes from `phase` to polling a job found (or proven) its own. */
export function checkpointHooks(phase: ActivePhase, next: Phase): Hooks | undefined {
  if (next.name !== "poll" || next.unproven !== undefined) return undefined;
  if (phase.name === "kickoff" || phase.name === "lookup") return phase.hooks;
  return phase.name === "poll" ? phase.unproven?.hooks : undefined;
}
