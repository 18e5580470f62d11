import type { JsonPath } from "../json-path.js";

/**
 * What HttpRunner reads from `http.*` metadata, and what AsyncHttpRunner
 * sends as its kickoff. Each field is named after its key (`http.body_format`
 * -> `bodyFormat`), as in the builders' fields.
 */
export interface HttpRequestConfig {
  /**
   * `http.url`: an absolute http: or https: URL without credentials. When it uses `{invocation_id}`, this is the text
   * parsed as written, and each run's copy from `configForInvocation` has the id filled in.
   */
  readonly url: URL;
  /** `http.method`, upper-cased. */
  readonly method: string;
  /** `http.body` as sent: the JSON text as given, or form-encoded when `bodyFormat` is `form`. */
  readonly body: string | undefined;
  /** `http.body_format`. */
  readonly bodyFormat: "json" | "form";
  /** `http.headers`, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * `http.url` as written, when it uses `{invocation_id}` (parsing it percent-encodes the placeholder's braces in a
   * path); undefined otherwise.
   */
  readonly urlTemplate: string | undefined;
  /**
   * True when `http.url`, `http.body`, an `http.headers` value or (protocol `status`) `http.run_lookup_url` uses
   * `{invocation_id}`: each run then needs its own copy, made by `configForInvocation`. The templates
   * (`cancelUrlTemplate`, `pollUrlTemplate`, `runOwnerValue`) keep the placeholder either way: they are expanded
   * when each request is built.
   */
  readonly usesInvocationId: boolean;
}

/** What AsyncHttpRunner reads from `http.*` metadata, defaults filled in; each field is named after its key. */
export type AsyncHttpConfig = AsyncHttpCommonConfig & (StatusProtocolConfig | LroProtocolConfig);

/** The settings of both protocols. */
export interface AsyncHttpCommonConfig extends HttpRequestConfig {
  /** `http.idempotency_key_header`, lower-cased. */
  readonly idempotencyKeyHeader: string | undefined;
  /** `http.kickoff_max_retries`: 0 where sending the kickoff again is not safe. */
  readonly kickoffMaxRetries: number;
  /** `http.poll_run_id_path`. */
  readonly pollRunIdPath: JsonPath | undefined;
  /** `http.poll_initial_delay_seconds`: 0 or more. */
  readonly pollInitialDelaySeconds: number;
  /** `http.poll_interval_seconds`: 0 or more. */
  readonly pollIntervalSeconds: number;
  /** `http.poll_backoff`: at least 1. */
  readonly pollBackoff: number;
  /** `http.poll_max_interval_seconds`: greater than 0, and at least `pollIntervalSeconds`. */
  readonly pollMaxIntervalSeconds: number | undefined;
  /** `http.poll_pending_codes`. */
  readonly pollPendingCodes: ReadonlySet<number>;
  /** `http.poll_max_consecutive_errors`: by default 0 with protocol `status`, 3 with `lro`. */
  readonly pollMaxConsecutiveErrors: number;
  /** `http.cancel_url_template` as written; may be relative to `url`. */
  readonly cancelUrlTemplate: string | undefined;
  /** `http.cancel_method`, upper-cased. */
  readonly cancelMethod: string;
  /** `http.cancel_on_failure`: true only with `cancelUrlTemplate`. */
  readonly cancelOnFailure: boolean;
  /** `http.result_path`. */
  readonly resultPath: JsonPath | undefined;
  /**
   * `http.error_path`: where a failed answer's body (a kickoff or poll answered with a failure code, or a terminal
   * answer that is not success) names the error, quoted in the summary and copied to result metadata `http.error`.
   */
  readonly errorPath: JsonPath | undefined;
  /** `http.exit_code_path`: where the terminal body holds the job's own exit code, copied to the result's `exit_code`. */
  readonly exitCodePath: JsonPath | undefined;
  /** `http.exit_code_format`: how the value at `exitCodePath` is read; set only with `exitCodePath`. */
  readonly exitCodeFormat: ExitCodeFormat;
  /** `http.run_owner_path`: where a poll answer names its job's owner; undefined for no ownership check. */
  readonly runOwnerPath: JsonPath | undefined;
  /** `http.run_owner_value` as written, never empty: what the value at `runOwnerPath` must contain, once `expandInvocationId` has filled it. */
  readonly runOwnerValue: string;
}

/** The settings of protocol `status`: the status is read at a path of each body. */
export interface StatusProtocolConfig {
  /** `http.poll_protocol`. */
  readonly pollProtocol: "status";
  /** `http.poll_url_template` as written; may be relative to `url`. */
  readonly pollUrlTemplate: string | undefined;
  /** `http.run_lookup_url`, resolved against `url`; like `url`, filled in for each run by `configForInvocation`. */
  readonly runLookupUrl: URL | undefined;
  /**
   * `http.run_lookup_url` as written, when a run's lookup URL depends on its invocation id (`{invocation_id}` in it,
   * or in the `http.url` it is resolved against); undefined otherwise.
   */
  readonly runLookupUrlTemplate: string | undefined;
  /** `http.run_lookup_path`: set when `runLookupUrl` is. */
  readonly runLookupPath: JsonPath | undefined;
  /** `http.poll_status_path`; with `each`, every value it finds is a status (an array job's tasks). */
  readonly pollStatusPath: JsonPath;
  /** `http.poll_terminal_states`, lower-cased, never empty. */
  readonly pollTerminalStates: ReadonlySet<string>;
  /** `http.poll_success_states`, lower-cased: a subset of `pollTerminalStates` (with an outcome path, the outcomes that mean success). */
  readonly pollSuccessStates: ReadonlySet<string>;
  /** `http.poll_cancelled_states`, lower-cased: a subset of `pollTerminalStates` (of the outcomes, with an outcome path), disjoint from `pollSuccessStates`. */
  readonly pollCancelledStates: ReadonlySet<string>;
  /**
   * `http.poll_timed_out_states`, lower-cased: terminal states (outcomes, with an outcome path) that mean the job hit
   * the backend's own time limit; disjoint from `pollSuccessStates` and `pollCancelledStates`. Empty by default.
   */
  readonly pollTimedOutStates: ReadonlySet<string>;
  /** `http.poll_outcome_path`. */
  readonly pollOutcomePath: JsonPath | undefined;
}

/** The settings of protocol `lro`: the standard long-running-operation conventions. */
export interface LroProtocolConfig {
  /** `http.poll_protocol`. */
  readonly pollProtocol: "lro";
  /** `http.final_state_via`. */
  readonly finalStateVia: FinalStateVia | undefined;
}

/** The values of `http.final_state_via`. */
export const FINAL_STATE_VIA = ["location", "original-uri", "operation-location", "azure-async-operation"] as const;
/** Where protocol `lro` reads a succeeded operation's result (`http.final_state_via`). */
export type FinalStateVia = (typeof FINAL_STATE_VIA)[number];

/** The values of `http.exit_code_format`. */
export const EXIT_CODE_FORMATS = ["plain", "wait_status"] as const;
/**
 * How the job's exit code is written at `http.exit_code_path`: `plain`, the code itself; `wait_status`, a POSIX wait
 * status, as Slurm's v0.0.38 reports it (768 is exit 3; a signal n is 128+n).
 */
export type ExitCodeFormat = (typeof EXIT_CODE_FORMATS)[number];

/** The content type of each `http.body_format`. */
export const BODY_CONTENT_TYPES = { json: "application/json", form: "application/x-www-form-urlencoded" } as const;
