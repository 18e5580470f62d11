/** The request settings, as typed fields; `httpMetadata` turns them into `http.*` metadata. */
export interface HttpMetadataFields {
  /**
   * The URL to call (`http.url`): absolute, http: or https:, without credentials.
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
   * Headers for every request of the invocation (`http.headers`); names are case-insensitive.
   * @default {}
   * @example { Authorization: "Bearer abc123" }
   */
  headers?: Record<string, string>;
}

/** The async job settings, as typed fields; `asyncHttpMetadata` turns them into `http.*` metadata. */
export interface AsyncHttpMetadataFields extends HttpMetadataFields {
  /**
   * Header sent on the kickoff with the invocation id, so a backend can drop a repeated kickoff (`http.idempotency_key_header`).
   * @default undefined (not sent)
   * @example "Idempotency-Key"
   */
  idempotencyKeyHeader?: string;
  /**
   * The status URL (`http.poll_url_template`), absolute or relative to `url`; `{run_id}` is replaced, URL-encoded.
   * @default undefined (the kickoff's Location or Operation-Location header)
   * @example "/runs/{run_id}"
   */
  pollUrlTemplate?: string;
  /**
   * Dotted path to the run id in the kickoff body, and in poll bodies when the template does not use it (`http.poll_run_id_path`).
   * @default undefined (required when a template uses `{run_id}`)
   * @example "run.id"
   */
  pollRunIdPath?: string;
  /**
   * Dotted path to the status in kickoff and poll bodies (`http.poll_status_path`).
   * @example "run.status"
   */
  pollStatusPath: string;
  /**
   * Statuses that end the run (`http.poll_terminal_states`); at least one.
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
   * @default 0
   * @example 3
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
   * Dotted path into the terminal body whose value is copied, as JSON, to result metadata `http.result` (`http.result_path`).
   * @default undefined (nothing copied)
   * @example "run.output"
   */
  resultPath?: string;
}
