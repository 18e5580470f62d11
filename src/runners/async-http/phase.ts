import type { Checkpoint } from "../../contracts/checkpoint.js";
import type { HttpRequestConfig } from "../../http/metadata/config.js";
import type { BackendJob } from "../backend-job.js";
import type { Doing, RequestRef } from "../failure.js";
import type { Ending } from "../run-report.js";
import type { RunOptions } from "../runner.js";
import type { RunLookup } from "./protocol.js";
import type { LroMode } from "./verdict.js";
import { RESULT_KEYS } from "../../http/result-keys.js";

/**
 * What a run knows of a job the backend has accepted: where its status is
 * read, and how. Its URLs are held as their href, and parsed for each
 * request (PERFORMANCE.md, "URLs held as text").
 */
export interface Accepted {
  /** The status URL. */
  readonly pollUrl: string;
  /** The backend's run id (`http.poll_run_id_path`), once read. */
  readonly runId: string | undefined;
  /** The key a run lookup found (`{lookup}`, `http.lookup`). */
  readonly lookup?: string | undefined;
  /** Protocol `lro`: how the status URL's answers are read. */
  readonly mode?: LroMode | undefined;
  /** Protocol `lro`, an operation monitor: where the result is read once the operation has succeeded. */
  readonly resultUrl?: string | undefined;
}

/**
 * Where a run is, with the data that exists there: DESIGN's flow as a type.
 * `start` lists the runs the lookup URL shows before the kickoff (only with
 * `http.run_lookup_url`); `kickoff` sends it (again, after a transient
 * failure where that is safe); `lookup` looks for the run an acknowledgement
 * did not name; `poll` reads the job's status; `final` reads the result of
 * a succeeded operation (protocol `lro`); `settle` ends the run.
 */
export type Phase =
  | { readonly name: "start"; readonly lookup: RunLookup; readonly hooks: Hooks }
  | KickoffPhase
  | LookupPhase
  | PollPhase
  | FinalPhase
  | SettlePhase;

/** The kickoff, sent again (`attempt` > 1) after a transient failure where that is safe. */
export interface KickoffPhase {
  readonly name: "kickoff";
  readonly attempt: number;
  /** The keys the run lookup listed before the kickoff, with one. */
  readonly before: ReadonlySet<string> | undefined;
  /** Whether an earlier attempt may have reached the backend and got no answer. */
  readonly unanswered: boolean;
  readonly hooks: Hooks;
}

/** The caller's functions a run calls until the backend has accepted its job: before the kickoff, and with its checkpoint. */
export type Hooks = Pick<RunOptions, "beforeKickoff" | "saveCheckpoint">;

/** The backend acknowledged the job without naming it: the run is looked up until a key appears that was not there `before` the kickoff. */
export interface LookupPhase {
  readonly name: "lookup";
  readonly hooks: Hooks;
  readonly lookup: RunLookup;
  readonly before: ReadonlySet<string>;
  /** The run id the kickoff named, if any. */
  readonly runId: string | undefined;
  /**
   * How the run ended, when it was stopped while looking: it looks on,
   * within the cancel budget, to find its job and cancel it.
   */
  readonly stopped?: Ending | undefined;
}

/** The backend has the job; its status is read at `pollUrl`. */
export interface PollPhase extends Accepted {
  readonly name: "poll";
  /** Set until the run is proven the invocation's own (`http.run_owner_path`); undefined once it is, or with no owner check. */
  readonly unproven?: Unproven | undefined;
}

/**
 * A run not yet proven the invocation's own: its checkpoint waits for the
 * proof, and no cancel request goes to it.
 */
export interface Unproven {
  /** The caller's functions, for the checkpoint once the run is proven. */
  readonly hooks: Hooks;
  /** For a run a lookup found: the lookup to go on with, this key excluded, when the run is not ours. */
  readonly lookup?: LookupPhase | undefined;
  /** How the run ended, when it was stopped before the proof: see `LookupPhase.stopped`. */
  readonly stopped?: Ending | undefined;
}

/** The operation succeeded; its result is read at `resultUrl`. */
export interface FinalPhase extends Accepted {
  readonly name: "final";
  readonly resultUrl: string;
}

/**
 * What a run knew of the backend's job when it ended: no kickoff reached the
 * backend (or it refused it), a kickoff may have reached it with no answer,
 * the backend accepted it, or reported it terminal.
 */
export type JobKnown = "not_started" | "kickoff_unknown" | "accepted" | "finished";

/** The run is over: how it ended, and what it knew of the job. */
export interface SettlePhase {
  readonly name: "settle";
  readonly ending: Ending;
  readonly job: JobKnown;
  /** The backend's run id, when one was read, accepted or not. */
  readonly runId: string | undefined;
  /** The job, when the backend had accepted it: a stopped run sends the cancel request then, if it was proven the invocation's. */
  readonly accepted: PollPhase | FinalPhase | undefined;
}

/** The phase a run is in before its first request: `start` with a run lookup (which lists the runs before the kickoff), else the kickoff. */
export function firstPhase(lookup: RunLookup | undefined, hooks: Hooks): Phase {
  return lookup === undefined ? { name: "kickoff", attempt: 1, before: undefined, unanswered: false, hooks } : { name: "start", lookup, hooks };
}

/** Whether `phase` calls the `beforeKickoff` hook before its request: the first kickoff, when there is one. */
export function callsBeforeKickoff(phase: Phase): phase is KickoffPhase {
  return phase.name === "kickoff" && phase.attempt === 1 && phase.hooks.beforeKickoff !== undefined;
}

/** Polling `accepted`'s status URL; `unproven` until the run is proven the invocation's own. */
export function pollPhase(accepted: Accepted, unproven?: Unproven): PollPhase {
  const { pollUrl, runId, lookup, mode, resultUrl } = accepted;
  // A plain status poll holds no empty fields (PERFORMANCE.md, "A poll phase without empty fields").
  if (lookup === undefined && mode === undefined && resultUrl === undefined && unproven === undefined) return { name: "poll", pollUrl, runId };
  return { name: "poll", pollUrl, runId, lookup, mode, resultUrl, unproven };
}

/**
 * The end of a run in `phase`, with what it knew of the job; `runId` is one a
 * kickoff's answer named, `job` what a stopped kickoff knows of its request.
 */
export function settlePhase(phase: Phase, ending: Ending, runId?: string, job?: JobKnown): SettlePhase {
  const known = job ?? jobOf(phase, ending);
  switch (phase.name) {
    case "poll":
    case "final":
      return { name: "settle", ending, job: known, runId: phase.runId, accepted: phase };
    case "lookup":
      return { name: "settle", ending, job: known, runId: phase.runId, accepted: undefined };
    case "settle":
      return { name: "settle", ending, job: known, runId: phase.runId, accepted: phase.accepted };
    default:
      return { name: "settle", ending, job: known, runId, accepted: undefined };
  }
}

/** What a run that ends in `phase` with `ending` knew of the backend's job. */
function jobOf(phase: Phase, ending: Ending): JobKnown {
  const failure = ending.failure;
  if (failure === undefined || failure.kind === "backend_ended") return "finished";
  switch (phase.name) {
    case "start":
      return "not_started";
    case "kickoff": {
      // A 2xx it could not read: the backend took the job.
      if (failure.kind === "malformed_answer") return "accepted";
      const reached = (failure.kind === "transport" && failure.mayHaveReached) || failure.kind === "runner_error";
      return reached || phase.unanswered ? "kickoff_unknown" : "not_started";
    }
    case "settle":
      return phase.job;
    case "final":
      // The operation reported success; only the read of its result failed.
      return "finished";
    default:
      return "accepted";
  }
}

/** What became of the job of a run settled without a cancel request. */
export function backendJobOf(phase: SettlePhase): BackendJob {
  switch (phase.job) {
    case "not_started":
    case "finished":
      return { state: phase.job };
    case "kickoff_unknown":
      return { state: "may_still_run", runId: phase.runId, kickoffUnknown: true };
    case "accepted":
      return { state: "may_still_run", runId: phase.runId };
  }
}

/** An accepted run picked up from its checkpoint: polling. */
export function resumedPhase(checkpoint: Checkpoint): PollPhase {
  return pollPhase({
    pollUrl: new URL(checkpoint.pollUrl).href,
    runId: checkpoint.runId,
    lookup: checkpoint.lookup,
    mode: checkpoint.pollMode,
    resultUrl: checkpoint.resultUrl === undefined ? undefined : new URL(checkpoint.resultUrl).href,
  });
}

/** The checkpoint of an accepted job: what `resumedPhase` picks it up from, with no secret but its URLs. */
export function checkpointOf(job: Accepted, acceptedAtMs: number, deadlineAtMs: number | undefined): Checkpoint {
  const checkpoint: Checkpoint = { version: 1, pollUrl: job.pollUrl, acceptedAt: new Date(acceptedAtMs).toISOString() };
  if (job.runId !== undefined) checkpoint.runId = job.runId;
  if (deadlineAtMs !== undefined) checkpoint.deadlineAt = new Date(deadlineAtMs).toISOString();
  if (job.mode !== undefined) checkpoint.pollMode = job.mode;
  if (job.resultUrl !== undefined) checkpoint.resultUrl = job.resultUrl;
  if (job.lookup !== undefined) checkpoint.lookup = job.lookup;
  return checkpoint;
}

/**
 * The request a run sends in `phase`, the `attempt`-th of the phase, as a
 * failure names it; its URL is the phase's text, sent as it is
 * (PERFORMANCE.md, "URLs held as text").
 */
export function requestOf(phase: Exclude<Phase, SettlePhase>, config: HttpRequestConfig & { readonly kickoffMaxRetries: number }, attempt: number): RequestRef {
  switch (phase.name) {
    case "kickoff":
      return { phase: "kickoff", method: config.method, url: config.url.href, attempt, retries: config.kickoffMaxRetries };
    case "poll":
      return { phase: "poll", method: "GET", url: phase.pollUrl, attempt };
    case "final":
      return { phase: "final", method: "GET", url: phase.resultUrl, attempt };
    default:
      return { phase: "lookup", method: "GET", url: phase.lookup.url.href, attempt };
  }
}

/** What a run in `phase` was doing, for the summary of a stopped run. */
export function doingOf(phase: Exclude<Phase, SettlePhase>, config: HttpRequestConfig, counts: RunCounts): Doing {
  switch (phase.name) {
    case "poll":
    case "final":
      return { phase: "poll", url: phase.pollUrl, polls: counts.polls, lastStatus: counts.lastStatus };
    case "lookup":
      return { phase: "lookup", url: phase.lookup.url.href, lookups: counts.lookups };
    default:
      return { phase: "kickoff", method: config.method, url: config.url.href };
  }
}

/** What a run counted: requests by phase, and the last status its backend reported. */
export interface RunCounts {
  readonly polls: number;
  readonly lookups: number;
  readonly lastStatus: string | undefined;
}

/** Writes what a settled run knew of its job to the result metadata: its monitor, lookup, polls, run id, status URL and last status. */
export function jobMetadata(
  metadata: Record<string, string>,
  phase: SettlePhase,
  counts: RunCounts,
): void {
  const accepted = phase.accepted;
  if (accepted?.mode !== undefined) metadata[RESULT_KEYS.pollMode] = accepted.mode;
  if (counts.lookups > 0) metadata[RESULT_KEYS.lookups] = String(counts.lookups);
  if (accepted?.lookup !== undefined) metadata[RESULT_KEYS.lookup] = accepted.lookup;
  metadata[RESULT_KEYS.polls] = String(counts.polls);
  if (phase.runId !== undefined) metadata[RESULT_KEYS.runId] = phase.runId;
  if (accepted !== undefined) metadata[RESULT_KEYS.pollUrl] = accepted.pollUrl;
  if (counts.lastStatus !== undefined) metadata[RESULT_KEYS.lastStatus] = counts.lastStatus;
}
