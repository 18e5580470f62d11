import type { Dispatcher } from "undici";
import type { Sleep } from "./timing.js";
import type { FetchFunction } from "./transport/transport.js";

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
   * Headers sent on every request. Their values never appear in summaries,
   * metadata or events.
   * @default {}
   * @example { authorization: `Bearer ${process.env.TOKEN}` }
   */
  readonly headers?: Readonly<Record<string, string>>;
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
  readonly headers: Readonly<Record<string, string>>;
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
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (typeof value !== "string") throw new TypeError(`Expected header \`${name}\` to be a string, got ${typeof value}`);
    headers[name.toLowerCase()] = value;
  }
  return {
    fetch: options.fetch,
    dispatcher: options.dispatcher,
    headers,
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
