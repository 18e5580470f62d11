import type { RuntimeInvocation } from "../contracts/invocation.js";
import { summarizeIssues, type ValidationIssue } from "../contracts/issues.js";
import { buildResult, type RuntimeResult } from "../contracts/result.js";
import type { HttpRequestConfig } from "../http/metadata.js";
import { resolveHttpRunnerOptions, type HttpRunnerOptions, type ResolvedHttpRunnerOptions } from "../http/runner-options.js";
import { createTransport, type Transport } from "../http/transport.js";
import { HttpRun } from "./http-run.js";
import type { RunOptions } from "./runner.js";

/** What an HTTP runner keeps across its runs: the resolved options and one transport. */
export class HttpClient {
  readonly options: ResolvedHttpRunnerOptions;
  readonly #transport: Transport;

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
    return new HttpRun(invocation, runOptions, this.options, this.#transport, {
      ...times,
      secrets: [...Object.values(this.options.headers), ...Object.values(config.headers)],
    });
  }

  /** The headers every request of a run carries: accept, the runner's headers, then `http.headers`. */
  headers(config: HttpRequestConfig): Record<string, string> {
    return { accept: "application/json", ...this.options.headers, ...config.headers };
  }

  /** Closes the transport's own connection pool; a caller's `dispatcher` is left open. */
  close(): Promise<void> {
    return this.#transport.close();
  }
}
