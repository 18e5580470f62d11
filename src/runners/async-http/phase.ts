import type { Ending } from "../run-report.js";
import type { RunLookup } from "./protocol.js";
import type { LroMode } from "./verdict.js";

/** What a run knows of a job the backend has accepted: where its status is read, and how. */
export interface Accepted {
  /** The status URL. */
  readonly pollUrl: URL;
  /** The backend's run id (`http.poll_run_id_path`), once read. */
  readonly runId: string | undefined;
  /** The key a run lookup found (`{lookup}`, `http.lookup`). */
  readonly lookup: string | undefined;
  /** Protocol `lro`: how the status URL's answers are read. */
  readonly mode: LroMode | undefined;
  /** Protocol `lro`, an operation monitor: where the result is read once the operation has succeeded. */
  readonly resultUrl: URL | undefined;
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
  | { readonly name: "start"; readonly lookup: RunLookup }
  | { readonly name: "kickoff"; readonly attempt: number; readonly before: ReadonlySet<string> | undefined }
  | LookupPhase
  | PollPhase
  | FinalPhase
  | SettlePhase;

/** The backend acknowledged the job without naming it: the run is looked up until a key appears that was not there `before` the kickoff. */
export interface LookupPhase {
  readonly name: "lookup";
  readonly lookup: RunLookup;
  readonly before: ReadonlySet<string>;
  /** The run id the kickoff named, if any. */
  readonly runId: string | undefined;
}

/** The backend has the job; its status is read at `pollUrl`. */
export interface PollPhase extends Accepted {
  readonly name: "poll";
}

/** The operation succeeded; its result is read at `resultUrl`. */
export interface FinalPhase extends Accepted {
  readonly name: "final";
  readonly resultUrl: URL;
}

/** The run is over: how it ended, and what it knew of the job. */
export interface SettlePhase {
  readonly name: "settle";
  readonly ending: Ending;
  /** The backend's run id, when one was read, accepted or not. */
  readonly runId: string | undefined;
  /** The job, when the backend had accepted it: a stopped run sends the cancel request then. */
  readonly accepted: Accepted | undefined;
}

/** The phase a run is in before its first request: `start` with a run lookup (which lists the runs before the kickoff), else the kickoff. */
export function firstPhase(lookup: RunLookup | undefined): Phase {
  return lookup === undefined ? { name: "kickoff", attempt: 1, before: undefined } : { name: "start", lookup };
}

/** Polling `accepted`'s status URL. */
export function pollPhase(accepted: Accepted): PollPhase {
  return { name: "poll", pollUrl: accepted.pollUrl, runId: accepted.runId, lookup: accepted.lookup, mode: accepted.mode, resultUrl: accepted.resultUrl };
}

/** The end of a run in `phase`, with what it knew of the job. */
export function settlePhase(phase: Phase, ending: Ending, runId?: string): SettlePhase {
  switch (phase.name) {
    case "poll":
    case "final":
      return { name: "settle", ending, runId: phase.runId, accepted: phase };
    case "lookup":
      return { name: "settle", ending, runId: phase.runId, accepted: undefined };
    case "settle":
      return { name: "settle", ending, runId: phase.runId, accepted: phase.accepted };
    default:
      return { name: "settle", ending, runId, accepted: undefined };
  }
}
