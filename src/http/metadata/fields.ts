import type { ExitCodeFormat, FinalStateVia } from "./config.js";

/** The request settings, as typed fields; `httpMetadata` turns them into `http.*` metadata. */
export interface HttpMetadataFields {
  /**
   * The URL to call (`http.url`): absolute, http: or https:, without credentials. `{invocation_id}` in its path,
   * query or fragment is replaced by the invocation's id, URL-encoded (write such a URL as a string: a `URL` object
   * percent-encodes the braces).
   * @example "https://api.example.com/runs"
   */
  url: string | URL;
  /**
   * The request method (`http.method`); any case.
   * @default "POST"
   */
  method?: string;
  /**
   * The request body (`http.body`): any JSON value, stored as JSON text; a string is sent as a JSON string.
   * `{invocation_id}` in a string is replaced by the invocation's id.
   * @default undefined (no body)
   * @example { prompt: "hello", priority: 2 }
   */
  body?: unknown;
  /**
   * How the body is sent (`http.body_format`): `json`, or `form` (a flat object, form-encoded).
   * @default "json"
   */
  bodyFormat?: "json" | "form";
  /**
   * Headers for every request of the invocation (`http.headers`); names are case-insensitive. `{invocation_id}` in a
   * value is replaced by the invocation's id.
   * @default {}
   * @example { Authorization: "Bearer abc123" }
   */
  headers?: Record<string, string>;
}

/** The async job settings both protocols read. */
export interface AsyncHttpCommonFields extends HttpMetadataFields {
  /**
   * Header sent on the kickoff with the invocation id, so a backend can drop a repeated kickoff (`http.idempotency_key_header`).
   * @default undefined (not sent)
   * @example "Idempotency-Key"
   */
  idempotencyKeyHeader?: string;
  /**
   * Dotted path to the run id in the kickoff body, and in poll bodies when the template does not use it (`http.poll_run_id_path`).
   * @default undefined (required when a template uses `{run_id}`)
   * @example "run.id"
   */
  pollRunIdPath?: string;
  /**
   * Seconds before the first poll (`http.poll_initial_delay_seconds`); a Retry-After on the acknowledgement wins.
   * @default 0 (the first poll goes out as soon as the backend has accepted the job)
   * @example 5
   */
  pollInitialDelaySeconds?: number;
  /**
   * Transient kickoff failures (network error, 5xx, 429) retried (`http.kickoff_max_retries`), with the waits of polls.
   * Only where sending the kickoff again is safe: PUT, DELETE, or `idempotencyKeyHeader` set.
   * @default 3 where that is safe, else 0
   * @example 5
   */
  kickoffMaxRetries?: number;
  /**
   * Seconds between polls (`http.poll_interval_seconds`); fractions allowed.
   * @default 2
   * @example 0.5
   */
  pollIntervalSeconds?: number;
  /**
   * Factor by which each wait grows: wait n is interval x backoff^(n-1) (`http.poll_backoff`); at least 1.
   * @default 1
   * @example 2
   */
  pollBackoff?: number;
  /**
   * Longest wait between polls, in seconds (`http.poll_max_interval_seconds`); at least the interval.
   * @default undefined (no cap)
   * @example 30
   */
  pollMaxIntervalSeconds?: number;
  /**
   * Poll HTTP status codes that mean "not ready yet, poll again" (`http.poll_pending_codes`).
   * @default []
   * @example [404]
   */
  pollPendingCodes?: readonly number[];
  /**
   * Network errors, 5xx and 429 answers tolerated in a row while polling (`http.poll_max_consecutive_errors`).
   * @default 0 with protocol `status`; 3 with `lro` (a GET poll is safe to repeat, and the SDK pipelines retry it)
   * @example 5
   */
  pollMaxConsecutiveErrors?: number;
  /**
   * URL of the best-effort cancel sent when an accepted run times out or is aborted (`http.cancel_url_template`); like `pollUrlTemplate`.
   * @default undefined (no cancel request)
   * @example "/runs/{run_id}/cancel"
   */
  cancelUrlTemplate?: string;
  /**
   * Method of the cancel request (`http.cancel_method`).
   * @default "POST"
   * @example "DELETE"
   */
  cancelMethod?: string;
  /**
   * Also send the cancel request when the runner gives up on a job the backend accepted (poll error budget spent,
   * an answer it cannot read, the run's identity lost), not only when the run ends timed out or cancelled
   * (`http.cancel_on_failure`); needs `cancelUrlTemplate`.
   * @default false
   */
  cancelOnFailure?: boolean;
  /**
   * Dotted path into the terminal body whose value is copied, as JSON, to result metadata `http.result` (`http.result_path`).
   * @default undefined (nothing copied)
   * @example "run.output"
   */
  resultPath?: string;
  /**
   * Dotted path into the JSON body of a failed answer (a kickoff or poll answered with a failure code, or a terminal
   * answer that is not success) whose value is quoted in the summary before the body preview, and copied, as JSON,
   * to result metadata `http.error` (`http.error_path`).
   * @default undefined (the summary quotes the body preview only)
   * @example "errors.0.error"
   */
  errorPath?: string;
  /**
   * Dotted path to the job's own exit code in the terminal body, copied to the result's `exit_code`
   * (`http.exit_code_path`).
   * @default undefined (exit code 0 on success, 1 on failure)
   * @example "jobs.0.exit_code"
   */
  exitCodePath?: string;
  /**
   * How the value at `exitCodePath` is read (`http.exit_code_format`): `plain`, the exit code itself, or
   * `wait_status`, a POSIX wait status as Slurm's v0.0.38 reports it (768 is exit 3, a signal n is 128+n); only
   * with `exitCodePath`.
   * @default "plain"
   * @example "wait_status"
   */
  exitCodeFormat?: ExitCodeFormat;
  /**
   * Ownership check (`http.run_owner_path`): dotted path into a poll answer, the run's own record, whose value must
   * contain `runOwnerValue`, so that the run proves the job is its own before it takes the job's status.
   * @default undefined (no ownership check)
   * @example "run.user_message"
   */
  runOwnerPath?: string;
  /**
   * What the value at `runOwnerPath` must contain (`http.run_owner_value`): a template in which `{invocation_id}`
   * is replaced by the invocation's id; not empty, and only with `runOwnerPath`.
   * @default "{invocation_id}"
   * @example "nightly build {invocation_id}"
   */
  runOwnerValue?: string;
}

/** The settings of protocol `status` (the default): the status is read at a path of each body. */
export interface StatusProtocolFields {
  /**
   * How the run's status is read (`http.poll_protocol`): `status`, at `pollStatusPath` in kickoff and poll bodies.
   * @default "status"
   */
  pollProtocol?: "status";
  /**
   * The status URL (`http.poll_url_template`), absolute or relative to `url`; `{run_id}`, `{lookup}` and
   * `{invocation_id}` are replaced, URL-encoded.
   * @default undefined (the kickoff's Operation-Location or Location header)
   * @example "/runs/{run_id}"
   */
  pollUrlTemplate?: string;
  /**
   * For a backend whose acknowledgement names no run: a URL (or a path relative to `url`) read once before the
   * kickoff and polled after it until a value new at `runLookupPath` appears, which fills `{lookup}` in
   * `pollUrlTemplate` (`http.run_lookup_url`). It may use `{invocation_id}`, and no other placeholder.
   * @default undefined (no lookup)
   * @example "/api/conversations/web-123/messages"
   */
  runLookupUrl?: string;
  /**
   * Dotted path of the run's key in the lookup's answer (`http.run_lookup_path`); `*` takes each element of an
   * array, and the path reads on into a string that holds JSON. Of several new values, the last is taken.
   * @example "*.metadata.workflowDispatch.workerConversationId"
   */
  runLookupPath?: string;
  /**
   * Dotted path to the status in kickoff and poll bodies (`http.poll_status_path`); `a.b[0].c` reads as `a.b.0.c`.
   * With `*` (an array job's tasks) every value is read: the run is terminal only when every value is terminal, and
   * its outcome is the worst of them (failed, then timed out, then cancelled, then succeeded).
   * @example "run.status"
   * @example "jobs[*].job_state"
   */
  pollStatusPath: string;
  /**
   * Statuses that end the run (`http.poll_terminal_states`); at least one; matched case-insensitively.
   * @example ["completed", "failed", "cancelled"]
   */
  pollTerminalStates: readonly string[];
  /**
   * Terminal statuses that mean success (`http.poll_success_states`); required when `completed` is not terminal.
   * @default ["completed"]
   */
  pollSuccessStates?: readonly string[];
  /**
   * Terminal statuses that mean the backend cancelled the job (`http.poll_cancelled_states`).
   * @default ["cancelled", "canceled"], keeping those that are terminal states and not success states
   */
  pollCancelledStates?: readonly string[];
  /**
   * Terminal statuses that mean the job hit the backend's own time limit (`http.poll_timed_out_states`): the result
   * is `timed_out`. Not success or cancelled states; with `pollOutcomePath`, outcomes like them.
   * @default [] (none)
   * @example ["timeout", "deadline"]
   */
  pollTimedOutStates?: readonly string[];
  /**
   * For a backend that reports "finished" and "how it went" in two fields (`http.poll_outcome_path`): once the
   * status is terminal, the value here, when present, is matched against the success and cancelled states.
   * @default undefined (the status decides)
   * @example "conclusion"
   */
  pollOutcomePath?: string;
}

/** The settings of protocol `lro`: the standard long-running-operation conventions (see the README). */
export interface LroProtocolFields {
  /**
   * How the run's status is read (`http.poll_protocol`): `lro`, by the kickoff's Operation-Location,
   * Azure-AsyncOperation or Location header, or by polling the resource itself.
   */
  pollProtocol: "lro";
  /**
   * Where the final result is read once the operation succeeded through an operation monitor (`http.final_state_via`).
   * @default by method: PUT and PATCH the request URL, POST and DELETE the kickoff's Location when it had one
   * @example "azure-async-operation"
   */
  finalStateVia?: FinalStateVia;
}

/** The async job settings, as typed fields; `asyncHttpMetadata` turns them into `http.*` metadata. */
export type AsyncHttpMetadataFields = AsyncHttpCommonFields & (StatusProtocolFields | LroProtocolFields);

/** Every field of either protocol: what the keys are checked against. */
export type AllAsyncHttpMetadataFields = AsyncHttpCommonFields &
  Omit<StatusProtocolFields, "pollProtocol"> &
  Omit<LroProtocolFields, "pollProtocol"> & { pollProtocol?: "status" | "lro" };
