import type { z } from "zod";
import { EXIT_CODE_FORMATS, FINAL_STATE_VIA, type ExitCodeFormat } from "./config.js";
import type { AllAsyncHttpMetadataFields, HttpMetadataFields } from "./fields.js";
import {
  decimal,
  flag,
  headerMap,
  headerName,
  httpMethod,
  jsonPath,
  jsonText,
  oneOf,
  stateList,
  statusCodeList,
} from "./codecs.js";
import { httpUrl, textTemplate, urlTemplate } from "./template-codecs.js";
import { INVOCATION_ID_PLACEHOLDER } from "../placeholders.js";

/** `pollTerminalStates` -> `poll_terminal_states`. */
type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

/**
 * One codec per builder field, keyed `http.<field in snake_case>`: the
 * compiler keeps keys and fields in step, so a setting has one name from its
 * key to its builder field and its config field.
 */
type MetadataShape<Fields> = {
  readonly [Field in keyof Fields & string as `http.${SnakeCase<Field>}`]-?: z.ZodType<unknown, string | undefined>;
};

/** Every key HttpRunner reads (AsyncHttpRunner's kickoff too), with its codec and default. */
export const REQUEST_SHAPE = {
  "http.url": httpUrl(),
  "http.method": httpMethod().default("POST"),
  "http.body": jsonText().optional(),
  "http.body_format": oneOf(["json", "form"]).default("json"),
  "http.headers": headerMap().default({}),
} satisfies MetadataShape<HttpMetadataFields>;

/** Success states when `http.poll_success_states` is absent (and `completed` is terminal). */
export const DEFAULT_SUCCESS_STATES: readonly string[] = ["completed"];
/** Cancelled states when `http.poll_cancelled_states` is absent, keeping those that are terminal and not success states. */
export const DEFAULT_CANCELLED_STATES: readonly string[] = ["cancelled", "canceled"];

/** Kickoff retries where sending the kickoff again is safe, when `http.kickoff_max_retries` is absent. */
export const DEFAULT_KICKOFF_MAX_RETRIES = 3;

/**
 * Poll errors tolerated in a row when `http.poll_max_consecutive_errors` is absent, by protocol: none with `status`
 * (the Python original's), 3 with `lro` (a GET poll is safe to repeat, and the SDK pipelines retry it).
 */
/**
 * The idempotency key header of a protocol `lro` kickoff when
 * `http.idempotency_key_header` is absent: the Azure REST API guidelines'
 * repeatability header, so that a kickoff answered 5xx is sent again as the
 * SDK pipelines send it, and the backend can tell it is the same request.
 */
export const DEFAULT_LRO_IDEMPOTENCY_KEY_HEADER = "repeatability-request-id";

export const DEFAULT_POLL_MAX_CONSECUTIVE_ERRORS = { status: 0, lro: 3 } as const satisfies Record<"status" | "lro", number>;

/** How the value at `http.exit_code_path` is read when `http.exit_code_format` is absent. */
export const DEFAULT_EXIT_CODE_FORMAT: ExitCodeFormat = "plain";

/** What the value at `http.run_owner_path` must contain when `http.run_owner_value` is absent: the invocation's own id. */
export const DEFAULT_RUN_OWNER_VALUE = INVOCATION_ID_PLACEHOLDER;

/** Every key AsyncHttpRunner reads, with its codec and default. */
export const ASYNC_SHAPE = {
  ...REQUEST_SHAPE,
  "http.idempotency_key_header": headerName().optional(),
  "http.kickoff_max_retries": decimal({ expected: "a whole number", min: 0, integer: true }).optional(), // DEFAULT_KICKOFF_MAX_RETRIES where safe
  "http.poll_protocol": oneOf(["status", "lro"]).default("status"),
  "http.poll_url_template": urlTemplate().optional(),
  "http.poll_run_id_path": jsonPath().optional(),
  "http.run_lookup_url": urlTemplate([INVOCATION_ID_PLACEHOLDER], "it is read before the kickoff, when only the invocation is known").optional(), // or a path relative to http.url
  "http.run_lookup_path": jsonPath().optional(),
  "http.run_owner_path": jsonPath().optional(),
  "http.run_owner_value": textTemplate([INVOCATION_ID_PLACEHOLDER]).optional(), // DEFAULT_RUN_OWNER_VALUE; absent, so that setting it alone is caught
  "http.poll_status_path": jsonPath().optional(), // required with protocol status
  "http.poll_terminal_states": stateList({ required: true }).optional(), // required with protocol status
  "http.poll_success_states": stateList({ required: true }).optional(), // DEFAULT_SUCCESS_STATES: depends on the terminal states
  "http.poll_cancelled_states": stateList({ required: false }).optional(), // DEFAULT_CANCELLED_STATES: depends on the terminal states
  "http.poll_timed_out_states": stateList({ required: false }).optional(), // none; absent, so that protocol lro can refuse it
  "http.poll_outcome_path": jsonPath().optional(),
  "http.poll_initial_delay_seconds": decimal({ expected: "a number of seconds", min: 0 }).default(0),
  "http.poll_interval_seconds": decimal({ expected: "a number of seconds", min: 0 }).default(2),
  "http.poll_backoff": decimal({ expected: "a number", min: 1 }).default(1),
  "http.poll_max_interval_seconds": decimal({ expected: "a number of seconds", min: 0, exclusive: true }).optional(),
  "http.poll_pending_codes": statusCodeList().default([]),
  "http.poll_max_consecutive_errors": decimal({ expected: "a whole number", min: 0, integer: true }).optional(), // DEFAULT_POLL_MAX_CONSECUTIVE_ERRORS: by protocol
  "http.cancel_url_template": urlTemplate().optional(),
  "http.cancel_method": httpMethod().default("POST"),
  "http.cancel_on_failure": flag().default(false),
  "http.result_path": jsonPath().optional(),
  "http.error_path": jsonPath().optional(),
  "http.exit_code_path": jsonPath().optional(),
  "http.exit_code_format": oneOf(EXIT_CODE_FORMATS).optional(), // DEFAULT_EXIT_CODE_FORMAT; absent, so that setting it alone is caught
  "http.final_state_via": oneOf(FINAL_STATE_VIA).optional(),
} satisfies MetadataShape<AllAsyncHttpMetadataFields>;

/** The request keys, decoded (defaults filled). */
export type RequestMetadata = z.output<z.ZodObject<typeof REQUEST_SHAPE>>;
/** Every async key, decoded (defaults filled). */
export type AsyncMetadata = z.output<z.ZodObject<typeof ASYNC_SHAPE>>;
/** A key AsyncHttpRunner knows. */
export type AsyncKey = keyof typeof ASYNC_SHAPE;
