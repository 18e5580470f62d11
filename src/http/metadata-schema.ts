import { z } from "zod";
import type { AsyncHttpConfig, AsyncHttpMetadataFields, HttpMetadataFields, HttpRequestConfig } from "./metadata.js";
import {
  decimal,
  headerMap,
  headerName,
  httpMethod,
  httpUrl,
  jsonPath,
  jsonText,
  oneOf,
  stateList,
  statusCodeList,
  urlTemplate,
} from "./metadata-codecs.js";
import { DEFAULT_CANCELLED_STATES, DEFAULT_SUCCESS_STATES, checkAsync, checkBody, crossKeyCheck } from "./metadata-rules.js";

/** `pollTerminalStates` -> `poll_terminal_states`. */
type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`}${SnakeCase<Tail>}`
  : S;

/** One codec per builder field, keyed `http.<field in snake_case>`: the compiler keeps keys and fields in step. */
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

/** Every key AsyncHttpRunner reads, with its codec and default. */
export const ASYNC_SHAPE = {
  ...REQUEST_SHAPE,
  "http.idempotency_key_header": headerName().optional(),
  "http.poll_url_template": urlTemplate().optional(),
  "http.poll_run_id_path": jsonPath().optional(),
  "http.poll_status_path": jsonPath(),
  "http.poll_terminal_states": stateList({ required: true }),
  "http.poll_success_states": stateList({ required: true }).optional(), // DEFAULT_SUCCESS_STATES: depends on the terminal states
  "http.poll_cancelled_states": stateList({ required: false }).optional(), // DEFAULT_CANCELLED_STATES: depends on the terminal states
  "http.poll_interval_seconds": decimal({ expected: "a number of seconds", min: 0 }).default(2),
  "http.poll_backoff": decimal({ expected: "a number", min: 1 }).default(1),
  "http.poll_max_interval_seconds": decimal({ expected: "a number of seconds", min: 0, exclusive: true }).optional(),
  "http.poll_pending_codes": statusCodeList().default([]),
  "http.poll_max_consecutive_errors": decimal({ expected: "a whole number", min: 0, integer: true }).default(0),
  "http.cancel_url_template": urlTemplate().optional(),
  "http.cancel_method": httpMethod().default("POST"),
  "http.result_path": jsonPath().optional(),
} satisfies MetadataShape<AsyncHttpMetadataFields>;

const RequestObject = z.looseObject(REQUEST_SHAPE);
const AsyncObject = z.looseObject(ASYNC_SHAPE);
/** The request keys, decoded (defaults filled). */
export type RequestMetadata = z.output<typeof RequestObject>;
/** Every async key, decoded (defaults filled). */
export type AsyncMetadata = z.output<typeof AsyncObject>;
/** A key AsyncHttpRunner knows. */
export type AsyncKey = keyof typeof ASYNC_SHAPE;

/** Runs the cross-key check whatever keys failed, as long as the metadata is an object at all. */
const ALWAYS = { when: (payload: { value: unknown }) => typeof payload.value === "object" && payload.value !== null && !Array.isArray(payload.value) };

const CONTENT_TYPES = { json: "application/json", form: "application/x-www-form-urlencoded" } as const;

/** A flat object as application/x-www-form-urlencoded (checked by formProblem first). */
function formEncode(fields: Record<string, string | number | boolean>): string {
  return new URLSearchParams(Object.entries(fields).map(([name, value]): [string, string] => [name, String(value)])).toString();
}

/** The decoded request keys as HttpRequestConfig: the body encoded for the wire. */
function toRequestConfig(metadata: RequestMetadata): HttpRequestConfig {
  const body = metadata["http.body"];
  const format = metadata["http.body_format"];
  let wire: string | undefined;
  if (body !== undefined) {
    wire = format === "json" ? body.text : formEncode(body.value as Record<string, string | number | boolean>);
  }
  return {
    url: metadata["http.url"],
    method: metadata["http.method"],
    body: wire,
    contentType: body === undefined ? undefined : CONTENT_TYPES[format],
    headers: metadata["http.headers"],
  };
}

/** Seconds to whole milliseconds, as timers count them. */
function toMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

/** The decoded keys as AsyncHttpConfig: state defaults applied, seconds in milliseconds. */
function toAsyncConfig(metadata: AsyncMetadata): AsyncHttpConfig {
  const terminal: ReadonlySet<string> = new Set(metadata["http.poll_terminal_states"]);
  const success: ReadonlySet<string> = new Set(metadata["http.poll_success_states"] ?? DEFAULT_SUCCESS_STATES);
  const cancelled =
    metadata["http.poll_cancelled_states"] ??
    DEFAULT_CANCELLED_STATES.filter((state) => terminal.has(state) && !success.has(state));
  const cap = metadata["http.poll_max_interval_seconds"];
  return {
    ...toRequestConfig(metadata),
    idempotencyKeyHeader: metadata["http.idempotency_key_header"],
    pollUrlTemplate: metadata["http.poll_url_template"],
    pollRunIdPath: metadata["http.poll_run_id_path"],
    pollStatusPath: metadata["http.poll_status_path"],
    terminalStates: terminal,
    successStates: success,
    cancelledStates: new Set(cancelled),
    pollIntervalMs: toMs(metadata["http.poll_interval_seconds"]),
    pollBackoff: metadata["http.poll_backoff"],
    // At least 1 ms: a cap that rounds to 0 would poll in a hot loop.
    pollMaxIntervalMs: cap === undefined ? undefined : Math.max(1, toMs(cap)),
    pendingCodes: new Set(metadata["http.poll_pending_codes"]),
    maxConsecutiveErrors: metadata["http.poll_max_consecutive_errors"],
    cancelUrlTemplate: metadata["http.cancel_url_template"],
    cancelMethod: metadata["http.cancel_method"],
    resultPath: metadata["http.result_path"],
  };
}

/** The invocation's `metadata` -> HttpRequestConfig; issue paths read `metadata["http.url"]`. */
export const HttpMetadataSchema = z.object({
  metadata: RequestObject.superRefine(crossKeyCheck(REQUEST_SHAPE, checkBody, Object.keys(ASYNC_SHAPE)), ALWAYS).transform(toRequestConfig),
});

/** The invocation's `metadata` -> AsyncHttpConfig; issue paths read `metadata["http.poll_url_template"]`. */
export const AsyncHttpMetadataSchema = z.object({
  metadata: AsyncObject.superRefine(crossKeyCheck(ASYNC_SHAPE, checkAsync), ALWAYS).transform(toAsyncConfig),
});

/** `http.poll_terminal_states` -> `pollTerminalStates`: the builder field of a key. */
function fieldName(key: string): string {
  return key.slice("http.".length).replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** Encodes builder fields into the string metadata map, through the same codecs that parse it. */
export function encodeFields(shape: Readonly<Record<string, z.ZodType<unknown, string | undefined>>>, fields: object): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, codec] of Object.entries(shape)) {
    const value: unknown = (fields as Record<string, unknown>)[fieldName(key)];
    if (value === undefined) continue;
    const text = z.encode(codec, value);
    if (text !== undefined) metadata[key] = text;
  }
  return metadata;
}
