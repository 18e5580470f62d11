import { FAILURE_KIND_KEY } from "../contracts/failure-kind.js";
import type { RuntimeResult } from "../contracts/result.js";
import { RESULT_KEYS } from "../http/result-keys.js";
import { BACKEND_JOB_KEY } from "../runners/backend-job.js";
import type { RunEvent } from "../runners/runner.js";

/** What the progress output says about a run before it starts. */
export interface RunStart {
  readonly invocationId: string;
  readonly runtimeName: string;
  readonly runtimeKind: string;
  /** What is sent first, e.g. `POST https://api.example.com/runs`, redacted; absent when unknown. */
  readonly target?: string;
  /** Where the run is looked up (`http.run_lookup_url`, read before the kickoff and after it), redacted; absent without a lookup. */
  readonly lookup?: string;
}

/**
 * Where a run stands, for the words of its events: `lookup` while it looks
 * its job up (a run with `http.run_lookup_url` lists the runs before its
 * kickoff, and looks for the new one after an acknowledgement that named
 * none), `kickoff` while it sends the kickoff (again, after a transient
 * failure where that is safe), `poll` once the backend took the job.
 */
export type RunPhase = "lookup" | "kickoff" | "poll";

/** What an event's words depend on besides the event. */
export interface EventContext {
  /** The phase of the request the event is about. */
  readonly phase: RunPhase;
  /** The phase of the next request, after this event. */
  readonly next: RunPhase;
  /** The redacted lookup URL, when the run has one. */
  readonly lookup: string | undefined;
  /** The HTTP status of the latest answer about the job (the kickoff's, a poll's or a lookup's), once there is one. */
  readonly httpStatus: number | undefined;
}

/** The context of an event when nothing is known of its run. */
const NO_CONTEXT: EventContext = { phase: "poll", next: "poll", lookup: undefined, httpStatus: undefined };

/**
 * Whether a backend status is the HTTP code of the answer it was read from:
 * protocol `lro` reports the code of a `Location` monitor (202 running, 200
 * or 204 done) as the status. Only three digits equal to that code count, so
 * a backend's own status that happens to be a number still reads as a status.
 */
export function isHttpCodeStatus(status: string, httpStatus: number | string | undefined): boolean {
  return /^\d{3}$/.test(status) && httpStatus !== undefined && status === String(httpStatus);
}

/**
 * Tracks a run's phase from its start and its events. One case stays
 * ambiguous: after the lookup before the kickoff found what it lists (an
 * answer with no event), a kickoff that got no answer and is sent again
 * tells only a `retry`, which reads as the lookup's.
 */
export class PhaseTracker {
  #lookup: string | undefined;
  #phase: RunPhase = "kickoff";
  #kickedOff = false;
  #httpStatus: number | undefined;

  /** The run starts; `run.lookup` says whether it will be looked up, which it does first. */
  start(run: RunStart): void {
    this.#lookup = run.lookup;
    this.#phase = run.lookup === undefined ? "kickoff" : "lookup";
    this.#kickedOff = false;
    this.#httpStatus = undefined;
  }

  /** The context of `event`; the run moves on to its next phase. */
  next(event: RunEvent): EventContext {
    let phase = this.#phase;
    let next = phase;
    if (event.type === "kickoff" || event.type === "poll" || event.type === "pending") this.#httpStatus = event.httpStatus;
    switch (event.type) {
      case "kickoff": {
        // Only an acknowledgement is followed by lookups or polls; after a refusal the kickoff may be sent again.
        const acknowledged = event.httpStatus >= 200 && event.httpStatus < 300;
        phase = "kickoff";
        next = !acknowledged ? "kickoff" : this.#lookup === undefined ? "poll" : "lookup";
        this.#kickedOff = true;
        break;
      }
      case "pending":
        // A pending answer to the lookup before the kickoff lists no run: the kickoff follows.
        if (phase === "lookup" && !this.#kickedOff) next = "kickoff";
        break;
      case "accepted":
        next = "poll";
        break;
      case "poll":
        phase = next = "poll";
        break;
      default:
        break;
    }
    this.#phase = next;
    return { phase, next, lookup: this.#lookup, httpStatus: this.#httpStatus };
  }
}

/** Removes secrets from text shown to people or shipped to logs. */
export type Redact = (text: string) => string;

/** `0.42s`, `12.3s`, `2m05s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 10) return `${seconds.toFixed(2)}s`;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, "0")}s`;
}

/** The first line of a run: `archon-demo-1 (http_async, archon): POST http://...`. */
export function describeStart(run: RunStart): string {
  const what = `${run.invocationId} (${run.runtimeKind}, ${run.runtimeName})`;
  return run.target === undefined ? `run ${what}` : `run ${what}: ${run.target}`;
}

/** How a progress line names a request of each phase: `poll 3`, `lookup 1`, `kickoff attempt 2`. */
export const REQUEST_NAMES = { poll: "poll", lookup: "lookup", kickoff: "kickoff attempt" } as const satisfies Record<RunPhase, string>;

/**
 * One event as a phrase, for a plain progress line, in its `context` (see
 * `PhaseTracker`): pending answers and retries are named by the phase of
 * their request, and the kickoff line of a run that is looked up next says
 * where.
 */
export function describeEvent(event: RunEvent, redact: Redact, context: EventContext = NO_CONTEXT): string {
  const request = REQUEST_NAMES[context.phase];
  switch (event.type) {
    case "kickoff":
      return context.next === "lookup" && context.lookup !== undefined
        ? `kickoff answered HTTP ${event.httpStatus}, naming no run: looking it up at ${redact(context.lookup)}`
        : `kickoff answered HTTP ${event.httpStatus}`;
    case "accepted": {
      const { checkpoint } = event;
      const found = checkpoint.lookup === undefined ? "" : `, run found by lookup: ${redact(checkpoint.lookup)}`;
      const runId = checkpoint.runId === undefined ? "" : `, run id ${checkpoint.runId}`;
      return `accepted${found}${runId}; status URL ${redact(checkpoint.pollUrl)}`;
    }
    case "poll":
      return event.status === undefined || isHttpCodeStatus(event.status, event.httpStatus)
        ? `poll ${event.attempt} answered HTTP ${event.httpStatus}`
        : `poll ${event.attempt} answered HTTP ${event.httpStatus}, status ${JSON.stringify(event.status)}`;
    case "pending":
      return `${request} ${event.attempt}: HTTP ${event.httpStatus} means not ready yet (http.poll_pending_codes)`;
    case "retry":
      return `${request} ${event.attempt} failed, will retry: ${redact(event.error)}`;
    case "wait":
      return event.source === "retry-after"
        ? `waiting ${formatDuration(event.delayMs)} (the backend's Retry-After)`
        : `waiting ${formatDuration(event.delayMs)}`;
    case "terminal":
      return isHttpCodeStatus(event.status, context.httpStatus)
        ? `backend answered HTTP ${event.status}: ${event.outcome}`
        : `backend status ${JSON.stringify(event.status)} is terminal: ${event.outcome}`;
    case "cancel":
      return event.httpStatus === undefined
        ? `cancel request failed: ${redact(event.error ?? "unknown error")}`
        : `cancel request answered HTTP ${event.httpStatus}`;
  }
}

/**
 * The outcome of a run in one line: `succeeded in 1.42s (6 polls, last status "completed", HTTP 200)`;
 * a run that did not succeed names its `failure_kind` first, and one that leaves its
 * backend job behind or cancelled it says so last:
 * `timed_out in 30.0s (failure_kind deadline, 12 polls, last status "running", HTTP 200, cancel request HTTP 500, backend job cancel_failed): ...`.
 */
export function describeOutcome(result: RuntimeResult, elapsedMs: number, redact: Redact): string {
  const facts = outcomeFacts(result);
  const details = facts.length === 0 ? "" : ` (${facts.join(", ")})`;
  const summary = result.error_summary === null ? "" : `: ${redact(result.error_summary)}`;
  return `${result.status} in ${formatDuration(elapsedMs)}${details}${summary}`;
}

/** What became of a backend job that the outcome line leaves unsaid: the status says it. */
const IMPLIED_BACKEND_JOBS: ReadonlySet<string> = new Set(["finished", "not_started"]);

function outcomeFacts(result: RuntimeResult): string[] {
  const metadata = result.metadata;
  const facts: string[] = [];
  const failureKind = metadata[FAILURE_KIND_KEY];
  if (failureKind !== undefined) facts.push(`failure_kind ${failureKind}`);
  const lookups = metadata[RESULT_KEYS.lookups];
  if (lookups !== undefined) facts.push(lookups === "1" ? "1 lookup" : `${lookups} lookups`);
  const polls = metadata[RESULT_KEYS.polls];
  if (polls !== undefined && polls !== "0") facts.push(polls === "1" ? "1 poll" : `${polls} polls`);
  const lastStatus = metadata[RESULT_KEYS.lastStatus];
  const httpStatus = metadata[RESULT_KEYS.statusCode];
  if (lastStatus !== undefined && !isHttpCodeStatus(lastStatus, httpStatus)) facts.push(`last status ${JSON.stringify(lastStatus)}`);
  if (httpStatus !== undefined) facts.push(`HTTP ${httpStatus}`);
  else if (result.exit_code !== null && result.runtime_kind === "subprocess") facts.push(`exit code ${result.exit_code}`);
  const cancelStatus = metadata[RESULT_KEYS.cancelStatus];
  if (cancelStatus !== undefined) {
    facts.push(/^\d+$/.test(cancelStatus) ? `cancel request HTTP ${cancelStatus}` : `cancel request ${cancelStatus}`);
  }
  const backendJob = metadata[BACKEND_JOB_KEY];
  if (backendJob !== undefined && !IMPLIED_BACKEND_JOBS.has(backendJob)) facts.push(`backend job ${backendJob}`);
  return facts;
}
