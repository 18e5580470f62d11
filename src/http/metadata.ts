import { issuesFromZod, type ValidationIssue } from "../contracts/issues.js";
import type { JsonPath } from "./json-path.js";
import { ASYNC_SHAPE, AsyncHttpMetadataSchema, HttpMetadataSchema, REQUEST_SHAPE, encodeFields } from "./metadata-schema.js";

/** What HttpRunner reads from `http.*` metadata, and what AsyncHttpRunner sends as its kickoff. */
export interface HttpRequestConfig {
  /** `http.url`: an absolute http: or https: URL without credentials. */
  readonly url: URL;
  /** `http.method`, upper-cased. */
  readonly method: string;
  /** `http.body` as sent: the JSON text as given, or form-encoded when `http.body_format` is `form`. */
  readonly body: string | undefined;
  /** `application/json` or `application/x-www-form-urlencoded` when there is a body. */
  readonly contentType: string | undefined;
  /** `http.headers`, names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
}

/** What AsyncHttpRunner reads from `http.*` metadata, defaults filled in. */
export interface AsyncHttpConfig extends HttpRequestConfig {
  /** `http.idempotency_key_header`, lower-cased. */
  readonly idempotencyKeyHeader: string | undefined;
  /** `http.poll_url_template` as written; may be relative to `url`. */
  readonly pollUrlTemplate: string | undefined;
  /** `http.poll_run_id_path`. */
  readonly pollRunIdPath: JsonPath | undefined;
  /** `http.poll_status_path`. */
  readonly pollStatusPath: JsonPath;
  /** `http.poll_terminal_states`, never empty. */
  readonly terminalStates: ReadonlySet<string>;
  /** `http.poll_success_states`: a subset of `terminalStates`. */
  readonly successStates: ReadonlySet<string>;
  /** `http.poll_cancelled_states`: a subset of `terminalStates`, disjoint from `successStates`. */
  readonly cancelledStates: ReadonlySet<string>;
  /** `http.poll_interval_seconds` in whole milliseconds. */
  readonly pollIntervalMs: number;
  /** `http.poll_backoff`: at least 1. */
  readonly pollBackoff: number;
  /** `http.poll_max_interval_seconds` in whole milliseconds (at least 1). */
  readonly pollMaxIntervalMs: number | undefined;
  /** `http.poll_pending_codes`. */
  readonly pendingCodes: ReadonlySet<number>;
  /** `http.poll_max_consecutive_errors`. */
  readonly maxConsecutiveErrors: number;
  /** `http.cancel_url_template` as written; may be relative to `url`. */
  readonly cancelUrlTemplate: string | undefined;
  /** `http.cancel_method`, upper-cased. */
  readonly cancelMethod: string;
  /** `http.result_path`. */
  readonly resultPath: JsonPath | undefined;
}

/** The outcome of parsing metadata: the config, or every problem found. */
export type MetadataParseResult<T> =
  | { readonly ok: true; readonly config: T }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** Every key `parseHttpMetadata` knows. */
export const HTTP_METADATA_KEYS: readonly string[] = Object.keys(REQUEST_SHAPE);

/** Every key `parseAsyncHttpMetadata` knows. */
export const ASYNC_HTTP_METADATA_KEYS: readonly string[] = Object.keys(ASYNC_SHAPE);

/**
 * Reads HttpRunner's request from an invocation's metadata and reports every
 * problem at once. Unknown `http.*` keys are problems; other keys are ignored.
 */
export function parseHttpMetadata(metadata: Readonly<Record<string, string>>): MetadataParseResult<HttpRequestConfig> {
  const parsed = HttpMetadataSchema.safeParse({ metadata }, { reportInput: true });
  return parsed.success ? { ok: true, config: parsed.data.metadata } : { ok: false, issues: issuesFromZod(parsed.error) };
}

/**
 * Reads AsyncHttpRunner's settings from an invocation's metadata and reports
 * every problem at once. Unknown `http.*` keys are problems; other keys are ignored.
 */
export function parseAsyncHttpMetadata(metadata: Readonly<Record<string, string>>): MetadataParseResult<AsyncHttpConfig> {
  const parsed = AsyncHttpMetadataSchema.safeParse({ metadata }, { reportInput: true });
  return parsed.success ? { ok: true, config: parsed.data.metadata } : { ok: false, issues: issuesFromZod(parsed.error) };
}

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

/**
 * Builds HttpRunner's `http.*` metadata from typed fields, encoded by the
 * schema `parseHttpMetadata` reads; fields left out are left to the defaults.
 * @example httpMetadata({ url: "https://api.example.com/hooks", body: { event: "done" } })
 */
export function httpMetadata(fields: HttpMetadataFields): Record<string, string> {
  return encodeFields(REQUEST_SHAPE, fields);
}

/**
 * Builds AsyncHttpRunner's `http.*` metadata from typed fields, encoded by the
 * schema `parseAsyncHttpMetadata` reads; fields left out are left to the defaults.
 * @example
 * asyncHttpMetadata({
 *   url: "https://api.example.com/runs",
 *   pollUrlTemplate: "/runs/{run_id}",
 *   pollRunIdPath: "id",
 *   pollStatusPath: "status",
 *   pollTerminalStates: ["completed", "failed"],
 * })
 */
export function asyncHttpMetadata(fields: AsyncHttpMetadataFields): Record<string, string> {
  return encodeFields(ASYNC_SHAPE, fields);
}

/** How many distinct metadata maps a runner keeps parsed. */
const CONFIG_CACHE_SIZE = 256;

/**
 * Wraps a metadata parser with a small cache keyed by the `http.*` entries
 * (other namespaces never change the config),
 * for a runner that sees the same settings on many invocations: parsing is
 * then done once per distinct settings, not once per run, and the runs share
 * one config object. Only successful parses are kept (a config is never
 * mutated); the oldest entry goes when the cache is full.
 */
export function cachedMetadataParser<T>(
  parse: (metadata: Readonly<Record<string, string>>) => MetadataParseResult<T>,
): (metadata: Readonly<Record<string, string>>) => MetadataParseResult<T> {
  const cache = new Map<string, MetadataParseResult<T>>();
  return (metadata) => {
    // Length-prefixed, so no value can make two different maps share a key.
    let key = "";
    for (const name in metadata) {
      if (!name.startsWith("http.") || !Object.hasOwn(metadata, name)) continue;
      const value = metadata[name]!;
      key += `${name.length}:${name}${value.length}:${value}`;
    }
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const parsed = parse(metadata);
    if (!parsed.ok) return parsed;
    if (cache.size >= CONFIG_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(key, parsed);
    return parsed;
  };
}
