import type { FailureKind } from "../contracts/failure-kind.js";
import type { RequestPhase } from "../diagnostics/channels.js";
import type { RequestStage } from "../http/transport/transport-error.js";
import type { StopReason } from "./scope/stop-signal.js";

/** A request of a run, as a failure names it. */
export interface RequestRef {
  readonly phase: RequestPhase;
  readonly method: string;
  /** The request's URL, as `URL.href` writes it. */
  readonly url: string;
  /** Which request of its phase (1, 2, ...). */
  readonly attempt: number;
  /** For a kickoff sent again: `http.kickoff_max_retries`. */
  readonly retries?: number;
}

/** What the run was doing when it was stopped. */
export type Doing =
  | { readonly phase: "request" | "kickoff"; readonly method: string; readonly url: string }
  | { readonly phase: "lookup"; readonly url: string; readonly lookups: number }
  | { readonly phase: "poll"; readonly url: string; readonly polls: number; readonly lastStatus: string | undefined };

/**
 * Why a run did not succeed, as data: what failed, where, and the facts.
 * `describeFailure` turns it into the result's summary, in one place.
 */
export type Failure =
  /** A request answered with a code the run cannot go on from; `error` is the value at `http.error_path` (JSON). */
  | { readonly kind: "refused"; readonly request: RequestRef; readonly code: number; readonly body: string; readonly error?: string | undefined }
  /** A request that got no usable answer (the transport's error message); `mayHaveReached`: whether the backend may have received it. */
  | { readonly kind: "transport"; readonly request: RequestRef; readonly error: string; readonly mayHaveReached: boolean }
  /** Transient failures past `http.poll_max_consecutive_errors`; `last` is the last of them. */
  | { readonly kind: "errors"; readonly request: RequestRef; readonly times: number; readonly budget: number; readonly last: LastError }
  /** An answer the protocol cannot read; `body`, when set, is previewed after the problem. */
  | { readonly kind: "malformed_answer"; readonly request: RequestRef; readonly code: number; readonly problem: string; readonly body?: string | undefined }
  /** The backend reported a terminal state that is not success; `detail` is what it said about it, `result` the value at `http.result_path` (JSON). */
  | {
      readonly kind: "backend_ended";
      readonly status: string;
      readonly outcome: "failed" | "cancelled" | "timed_out";
      readonly detail?: string | undefined;
      readonly result?: string | undefined;
      /** The value at `http.error_path` (JSON). */
      readonly error?: string | undefined;
    }
  /** The caller or the deadline (`deadlineAtMs`) stopped the run; `stage` is what the request it cut off was waiting for. */
  | {
      readonly kind: "stopped";
      readonly reason: StopReason | "abandoned";
      readonly doing: Doing;
      readonly stage?: RequestStage | "none" | undefined;
      readonly deadlineAtMs?: number | undefined;
    }
  /**
   * The status URL shows another run than the invocation's own (`runId`):
   * one that names another id at `http.poll_run_id_path`, or, for a run
   * the kickoff named, one without the invocation's mark at `http.run_owner_path`.
   */
  | {
      readonly kind: "lost_sight";
      readonly request: RequestRef;
      readonly runId: string | undefined;
      readonly seen: { readonly runId: string } | { readonly ownerPath: string; readonly ownerValue: string };
    }
  /** `beforeKickoff` rejected: nothing was sent. */
  | { readonly kind: "kickoff_not_sent"; readonly error: string }
  /** The run itself broke. */
  | { readonly kind: "runner_error"; readonly error: string };

/** A transient failure: an answer (5xx, 429, its value at `http.error_path` as JSON) or a request that got none. */
export type LastError = { readonly code: number; readonly body: string; readonly backendError?: string | undefined } | { readonly error: string };

/** What `describeFailure` needs besides the failure. */
export interface FailureText {
  /** A body preview for a summary. */
  readonly preview: (body: string) => string;
  /** How long the run was allowed: "30 s (timeout_seconds)", else the deadline. */
  readonly timeout: (deadlineAtMs: number | undefined) => string;
}

/** The RxP status of a run that ended with `failure`. */
export function failureStatus(failure: Failure): "failed" | "timed_out" | "cancelled" {
  switch (failure.kind) {
    case "backend_ended":
      return failure.outcome;
    case "stopped":
      return failure.reason === "timed_out" ? "timed_out" : "cancelled";
    default:
      return "failed";
  }
}

/** What `failure_kind` says of a failure. */
export function failureKindOf(failure: Failure): FailureKind {
  switch (failure.kind) {
    case "refused":
      if (failure.code >= 500 || failure.code === 429) return "transport";
      return failure.request.phase === "kickoff" || failure.request.phase === "request" ? "kickoff_refused" : "poll_refused";
    case "transport":
    case "errors":
      return "transport";
    case "malformed_answer":
    case "lost_sight":
      return failure.kind;
    case "backend_ended":
      return failure.outcome === "cancelled" ? "cancelled" : failure.outcome === "timed_out" ? "backend_timed_out" : "backend_failed";
    case "stopped":
      return failure.reason === "timed_out" ? "deadline" : "cancelled";
    case "kickoff_not_sent":
    case "runner_error":
      return "runner_error";
  }
}

/** The backend's own error (the value at `http.error_path`, JSON) a failure quotes, if any (`http.error`). */
export function backendErrorOf(failure: Failure): string | undefined {
  switch (failure.kind) {
    case "refused":
    case "backend_ended":
      return failure.error;
    case "errors":
      return "code" in failure.last ? failure.last.backendError : undefined;
    default:
      return undefined;
  }
}

/** What a stopped run's summary adds about the request it cut off. */
const STOPPED_WHILE: Readonly<Record<RequestStage | "none", string>> = {
  headers: "; no response headers had arrived",
  body: "; the response body was still arriving",
  none: "",
};

/** The one sentence a person reads about a failure (unredacted: the result's builder redacts it). */
export function describeFailure(failure: Failure, text: FailureText): string {
  switch (failure.kind) {
    case "refused":
      return `${requestName(failure.request)} answered ${answerText(failure.code, failure.error, failure.body, text)}`;
    case "transport":
      return `${requestName(failure.request)} failed: ${failure.error}`;
    case "errors": {
      const times = failure.times === 1 ? "once" : `${failure.times} times in a row`;
      const what = failure.request.phase === "final" ? requestName(failure.request) : `${failure.request.phase} of ${failure.request.url}`;
      return `${what} failed ${times} (http.poll_max_consecutive_errors is ${failure.budget}); last error: ${lastErrorText(failure.last, text)}`;
    }
    case "malformed_answer":
      return malformedText(failure, text);
    case "backend_ended": {
      // It says why, as far as the backend told: its error, its outcome, its result.
      const { detail, error, result } = failure;
      const told = [detail, error === undefined ? undefined : `error ${error}`, result === undefined ? undefined : `http.result ${result}`].filter((part) => part !== undefined);
      return `backend reported terminal status: ${failure.status}${told.length === 0 ? "" : ` (${text.preview(told.join("; "))})`}`;
    }
    case "stopped": {
      const doing = `${doingText(failure.doing)}${STOPPED_WHILE[failure.stage ?? "none"]}`;
      if (failure.reason === "abandoned") return `abandoned by the caller ${doing}`;
      if (failure.reason === "cancelled") return `cancelled by the caller ${doing}`;
      return `timed out after ${text.timeout(failure.deadlineAtMs)} ${doing}`;
    }
    case "lost_sight": {
      const { seen } = failure;
      const shown = "runId" in seen ? `run ${seen.runId}` : `a run whose '${seen.ownerPath}' (http.run_owner_path) does not contain '${seen.ownerValue}'`;
      const own = failure.runId === undefined ? "" : ` ${failure.runId}`;
      return `${requestName(failure.request)} shows ${shown}, not this invocation's run${own}: the status URL now shows another run`;
    }
    case "kickoff_not_sent":
      return `kickoff not sent: ${failure.error}`;
    case "runner_error":
      return `runner error: ${failure.error}`;
  }
}

/** A transient failure as a summary or a `retry` event says it: "HTTP 503: <preview>", or the transport's message. */
export function lastErrorText(last: LastError, text: Pick<FailureText, "preview">): string {
  return "code" in last ? answerText(last.code, last.backendError, last.body, text) : last.error;
}

/** An answer as a summary says it: "HTTP 500 with error "<the backend's own words>": <preview>". */
function answerText(code: number, error: string | undefined, body: string, text: Pick<FailureText, "preview">): string {
  const said = error === undefined ? "" : ` with error ${error}`;
  return `HTTP ${code}${said}: ${text.preview(body)}`;
}

/** A request as summaries name it: "kickoff POST https://…", "poll 3 of https://…". */
export function requestName(request: RequestRef): string {
  const url = request.url;
  switch (request.phase) {
    case "kickoff": {
      const base = `kickoff ${request.method} ${url}`;
      return request.attempt === 1 ? base : `${base} (attempt ${request.attempt}; http.kickoff_max_retries is ${request.retries ?? 0})`;
    }
    case "final":
      return `final GET of ${url}`;
    case "request":
    case "cancel":
      return `${request.method} ${url}`;
    default:
      return `${request.phase} ${request.attempt} of ${url}`;
  }
}

function malformedText(failure: Extract<Failure, { kind: "malformed_answer" }>, text: FailureText): string {
  const { request, problem, body } = failure;
  const shown = body === undefined ? "" : `: ${text.preview(body)}`;
  switch (request.phase) {
    case "poll":
      return `poll ${request.attempt} response from ${request.url} ${problem}${shown}`;
    case "lookup":
    case "final":
      return `${requestName(request)} answered HTTP ${failure.code} with a body that ${problem}${shown}`;
    default:
      return `${problem}${shown}`;
  }
}

function doingText(doing: Doing): string {
  switch (doing.phase) {
    case "request":
      return `during the request (${doing.method} ${doing.url})`;
    case "kickoff":
      return `during the kickoff (${doing.method} ${doing.url})`;
    case "lookup":
      return `while looking up the run at ${doing.url} (${doing.lookups} lookups)`;
    case "poll": {
      const last = doing.lastStatus === undefined ? "" : `, last status '${doing.lastStatus}'`;
      return `while polling ${doing.url} (${doing.polls} polls${last})`;
    }
  }
}
