import type { Dispatcher } from "undici";
import type { RequestPhase } from "../diagnostics/channels.js";
import type { Sleep } from "./timing.js";
import type { FetchFunction } from "./transport/transport.js";

/**
 * A secret: its value, or a function (sync or async) that returns it, called
 * when each request that uses it is built; `refresh` is true when the value
 * it gave was just refused (a 401 on a poll), for a function that caches a token.
 */
export type Secret = string | ((context: SecretContext) => string | Promise<string>);

/** What a secret function is told. */
export interface SecretContext {
  /** True when the backend refused the value given before (a 401 on a poll): a cached token should be fetched anew. */
  readonly refresh: boolean;
}

/** What a `headers` function is told of the request being built. */
export interface HeaderRequest {
  readonly method: string;
  readonly url: URL;
  /** `kickoff`, `lookup`, `poll`, `final` or `cancel`; `request` for `HttpRunner`'s one request. */
  readonly phase: RequestPhase;
}

/** Headers sent on every request: an object, or a function (sync or async) of the request, called when each is built. */
export type HeadersOption =
  | Readonly<Record<string, string>>
  | ((request: HeaderRequest) => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);

/** Options of `HttpRunner` and `AsyncHttpRunner`. */
export interface HttpRunnerOptions {
  /**
   * A fetch-compatible function. When given, every request goes through it:
   * this is how tests drive the runner with msw or a stub.
   * @default undefined (undici, with one keep-alive Agent per runner)
   * @example { fetch: globalThis.fetch }
   */
  readonly fetch?: FetchFunction;
  /**
   * An undici Dispatcher for every request (a ProxyAgent, an mTLS Agent, a
   * MockAgent). The runner does not close it.
   * @default undefined (an Agent of the runner's own, closed by `close()`)
   */
  readonly dispatcher?: Dispatcher;
  /**
   * Headers sent on every request: an object, or a function of the request
   * (sync or async) called when each request is built, for a token that
   * changes. Their values never appear in summaries, metadata or events, and
   * never go to another origin on a redirect.
   * @default {}
   * @example { authorization: `Bearer ${process.env.TOKEN}` }
   * @example async ({ phase }) => ({ authorization: `Bearer ${await tokens.current()}` })
   */
  readonly headers?: HeadersOption;
  /**
   * Secrets by name, for `{secret:NAME}` in an invocation's `http.headers`
   * values: a string, or a function (sync or async) called when each request
   * that uses it is built, so a short-lived token is fresh on every request.
   * Invocations carry the names only, never the values; an invocation that
   * names an unknown secret is `rejected` before anything is sent. After a
   * 401 on a poll, the secrets are resolved again and the poll repeated once.
   * @default {}
   * @example { SLURM_JWT: () => readFile("/run/secrets/slurm-jwt", "utf8") }
   */
  readonly secrets?: Readonly<Record<string, Secret>>;
  /**
   * Called for every wait, 0 ms waits included; must end early when the
   * signal aborts.
   * @default a timer of the run's own, cleared when the run stops
   */
  readonly sleep?: Sleep;
  /**
   * The clock, in epoch milliseconds: deadlines, Retry-After dates, timestamps.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Largest response body read; past it the connection is dropped and the run fails.
   * @default 8388608 (8 MiB)
   */
  readonly maxResponseBytes?: number;
  /**
   * Redirects followed per request.
   * @default 5
   */
  readonly maxRedirects?: number;
  /**
   * Time allowed for the best-effort cancel request.
   * @default 5000
   */
  readonly cancelTimeoutMs?: number;
  /**
   * Connections per origin of the runner's own Agent. Bounded, because an
   * unbounded pool opens about two sockets per in-flight invocation.
   * @default 64
   */
  readonly connections?: number;
}

/** Runner options with every default applied. */
export interface ResolvedHttpRunnerOptions {
  readonly fetch: FetchFunction | undefined;
  readonly dispatcher: Dispatcher | undefined;
  /** The runner's headers, names lower-cased when given as an object. */
  readonly headers: HeadersOption;
  readonly secrets: Readonly<Record<string, Secret>>;
  /** The caller's sleep; undefined means each run waits on its own scope's timer. */
  readonly sleep: Sleep | undefined;
  readonly now: () => number;
  readonly maxResponseBytes: number;
  readonly maxRedirects: number;
  readonly cancelTimeoutMs: number;
  readonly connections: number;
}

/** Applies defaults and rejects misuse with a TypeError, at construction time. */
export function resolveHttpRunnerOptions(options: HttpRunnerOptions = {}): ResolvedHttpRunnerOptions {
  for (const name of ["fetch", "sleep", "now"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw new TypeError(`Expected \`${name}\` to be a function, got ${typeof options[name]}`);
    }
  }
  let headers: HeadersOption;
  if (typeof options.headers === "function") headers = options.headers;
  else {
    const lowered: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (typeof value !== "string") throw new TypeError(`Expected header \`${name}\` to be a string, got ${typeof value}`);
      lowered[name.toLowerCase()] = value;
    }
    headers = lowered;
  }
  const secrets = options.secrets ?? {};
  for (const [name, secret] of Object.entries(secrets)) {
    if (typeof secret !== "string" && typeof secret !== "function") {
      throw new TypeError(`Expected secret \`${name}\` to be a string or a function, got ${typeof secret}`);
    }
  }
  return {
    fetch: options.fetch,
    dispatcher: options.dispatcher,
    headers,
    secrets,
    sleep: options.sleep,
    now: options.now ?? Date.now,
    maxResponseBytes: count("maxResponseBytes", options.maxResponseBytes, 8 * 1024 * 1024, 1),
    maxRedirects: count("maxRedirects", options.maxRedirects, 5, 0),
    cancelTimeoutMs: count("cancelTimeoutMs", options.cancelTimeoutMs, 5000, 1),
    connections: count("connections", options.connections, 64, 1),
  };
}

function count(name: string, value: number | undefined, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new TypeError(`Expected \`${name}\` to be an integer >= ${minimum}, got ${String(value)}`);
  }
  return value;
}
