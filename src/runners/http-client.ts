import type { RuntimeInvocation } from "../contracts/invocation.js";
import { summarizeIssues, type ValidationIssue } from "../contracts/issues.js";
import { buildResult, type RuntimeResult } from "../contracts/result.js";
import type { HttpRequestConfig } from "../http/metadata.js";
import { resolveHttpRunnerOptions, type HttpRunnerOptions, type ResolvedHttpRunnerOptions } from "../http/runner-options.js";
import { createRedactor, type Redact } from "../http/redact.js";
import { createTransport, type Transport } from "../http/transport.js";
import { HttpRun } from "./http-run.js";
import type { RunOptions } from "./runner.js";

/** What every run of one configuration shares. */
interface ConfigShared {
  /** The headers every request of a run carries: accept, the runner's headers, then `http.headers`. */
  readonly headers: Readonly<Record<string, string>>;
  /** `headers` with the body's content type, when the configuration has one: for the request that sends the body. */
  readonly bodyHeaders: Readonly<Record<string, string>>;
  /** Removes the values of those headers (the secrets of a run), URL userinfo and secret query values. */
  readonly redact: Redact;
}

/**
 * What an HTTP runner keeps across its runs: the resolved options, one
 * transport, and the headers and redactor of each configuration (configs are
 * parsed once and shared by the runs that use them).
 */
export class HttpClient {
  readonly options: ResolvedHttpRunnerOptions;
  readonly #transport: Transport;
  readonly #shared = new WeakMap<HttpRequestConfig, ConfigShared>();

  constructor(options: HttpRunnerOptions) {
    this.options = resolveHttpRunnerOptions(options);
    this.#transport = createTransport(this.options);
  }

  /** The `rejected` result of input that did not validate; nothing was sent. */
  reject(invocation: RuntimeInvocation, subject: string, issues: readonly ValidationIssue[], startedAtMs: number): RuntimeResult {
    const summary = summarizeIssues(subject, issues);
    return buildResult(invocation, { status: "rejected", summary }, { startedAtMs, finishedAtMs: startedAtMs });
  }

  /** Opens one run: its scope, events and redactor (the values of every header of the run are secrets). */
  open(
    invocation: RuntimeInvocation,
    runOptions: RunOptions,
    config: HttpRequestConfig,
    times: { readonly startedAtMs: number; readonly deadlineAtMs: number | undefined },
  ): HttpRun {
    return new HttpRun(invocation, runOptions, this.options, this.#transport, times, this.#sharedBy(config).redact);
  }

  /** The headers every request of a run carries: accept, the runner's headers, then `http.headers`. Shared: copy to change. */
  headers(config: HttpRequestConfig): Readonly<Record<string, string>> {
    return this.#sharedBy(config).headers;
  }

  /** `headers` plus the body's content type, for the request that sends `config.body`. Shared: copy to change. */
  bodyHeaders(config: HttpRequestConfig): Readonly<Record<string, string>> {
    return this.#sharedBy(config).bodyHeaders;
  }

  #sharedBy(config: HttpRequestConfig): ConfigShared {
    let shared = this.#shared.get(config);
    if (shared === undefined) {
      const runner = this.options.headers;
      const headers = { accept: "application/json", ...runner, ...config.headers };
      shared = {
        headers,
        bodyHeaders: config.contentType === undefined ? headers : { ...headers, "content-type": config.contentType },
        redact: createRedactor([...Object.values(runner), ...Object.values(config.headers)]),
      };
      this.#shared.set(config, shared);
    }
    return shared;
  }

  /** Closes the transport's own connection pool; a caller's `dispatcher` is left open. */
  close(): Promise<void> {
    return this.#transport.close();
  }
}

/** A run's deadline from its invocation: `timeout_seconds` after the start, or none. */
export function invocationDeadline(invocation: RuntimeInvocation, startedAtMs: number): number | undefined {
  return invocation.timeout_seconds === null ? undefined : startedAtMs + invocation.timeout_seconds * 1000;
}
