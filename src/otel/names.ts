/**
 * The names `ExecutorRuntimeInstrumentation` gives its spans, attributes,
 * events and metrics: stable, documented in the README, and exported so that
 * a query or a dashboard can be written against them. The library's own
 * attributes live under `executor_runtime.`; HTTP requests use the semantic
 * conventions' names (`http.request.method`, `url.full`, ...).
 */

/** Attributes of the run span and of the run metrics. */
export const RUN_ATTRIBUTES = {
  /** The invocation's `invocation_id` (spans only: an id has no place on a metric). */
  invocationId: "executor_runtime.invocation.id",
  /** The invocation's `runtime_name`: which backend or service ran it. */
  runtimeName: "executor_runtime.runtime.name",
  /** The invocation's `runtime_kind` (`http_async`, `http`, ...). */
  runtimeKind: "executor_runtime.runtime.kind",
  /** Whether the run resumed from a checkpoint instead of starting the job. */
  resumed: "executor_runtime.resumed",
  /** The result's status: succeeded, failed, timed_out, cancelled or rejected. */
  outcome: "executor_runtime.outcome",
  /** How many polls the run sent (`http.polls`). */
  polls: "executor_runtime.polls",
  /** The backend's id of the run (`http.run_id`). */
  backendRunId: "executor_runtime.backend.run_id",
  /** The last status the backend reported (`http.last_status`). */
  backendStatus: "executor_runtime.backend.status",
  /** How the run was polled (`http.poll_mode`). */
  pollMode: "executor_runtime.poll_mode",
  /** The HTTP status of the answer that settled the run (`http.status_code`). */
  httpStatusCode: "executor_runtime.http.status_code",
  /** The result's `exit_code`, when it has one. */
  exitCode: "executor_runtime.exit_code",
  /** The outcome of a run that did not succeed, as the semantic conventions' `error.type`. */
  errorType: "error.type",
} as const;

/** Attributes of a request span besides the HTTP semantic conventions'. */
export const REQUEST_ATTRIBUTES = {
  /** What the request is for: kickoff, lookup, poll, final, cancel, or request (`HttpRunner`). */
  phase: "executor_runtime.request.phase",
  /** For a poll, its number in the run; for a kickoff, its attempt. */
  attempt: "executor_runtime.request.attempt",
} as const;

/** The events on a run span, one per run event of that type. */
export const RUN_EVENTS = {
  /** The run waits: `executor_runtime.wait.delay_ms`, `executor_runtime.wait.source` (interval or retry-after). */
  wait: "executor_runtime.wait",
  /** A poll got one of `http.poll_pending_codes`: `executor_runtime.poll.attempt`, `http.response.status_code`. */
  pending: "executor_runtime.pending",
  /** A request failed transiently and will be retried: `executor_runtime.poll.attempt`, `executor_runtime.retry.error`. */
  retry: "executor_runtime.retry",
  /** The best-effort cancel request was answered (`http.response.status_code`) or failed (`executor_runtime.cancel.error`). */
  cancel: "executor_runtime.cancel",
} as const;

/** The attributes of the run span's events. */
export const EVENT_ATTRIBUTES = {
  delayMs: "executor_runtime.wait.delay_ms",
  source: "executor_runtime.wait.source",
  attempt: "executor_runtime.poll.attempt",
  retryError: "executor_runtime.retry.error",
  cancelError: "executor_runtime.cancel.error",
  statusCode: "http.response.status_code",
} as const;

/** The metrics, each with `executor_runtime.runtime.kind` and `executor_runtime.runtime.name`. */
export const METRICS = {
  /** Counter of finished runs, by `executor_runtime.outcome` too. */
  runs: "executor_runtime.runs",
  /** Histogram of run durations in seconds, by `executor_runtime.outcome` too. */
  runDuration: "executor_runtime.run.duration",
  /** Counter of answered polls. */
  polls: "executor_runtime.polls",
  /** Counter of waits between requests, by `executor_runtime.wait.source` too. */
  waits: "executor_runtime.waits",
  /** Up-down counter of runs in progress. */
  activeRuns: "executor_runtime.runs.active",
} as const;
