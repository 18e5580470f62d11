import type { RuntimeInvocation } from "../contracts/invocation.js";
import { summarizeIssues } from "../contracts/issues.js";
import { buildResult, type RuntimeResult } from "../contracts/result.js";
import { parseHttpMetadata } from "../http/metadata.js";
import { resolveHttpRunnerOptions, type HttpRunnerOptions, type ResolvedHttpRunnerOptions } from "../http/runner-options.js";
import { createTransport, TransportError, type Transport } from "../http/transport.js";
import { errorMessage } from "../util/error-message.js";
import { HttpRun } from "./http-run.js";
import type { RunOptions, Runner } from "./runner.js";

/**
 * Sends one HTTP request per invocation: `succeeded` for a 2xx answer,
 * `failed` otherwise, with `exit_code` set to the HTTP status. Reads
 * `http.url`, `http.method`, `http.body`, `http.body_format` and
 * `http.headers` (see `httpMetadata`).
 *
 * @example
 * const runtime = new ExecutorRuntime().register("http", new HttpRunner());
 */
export class HttpRunner implements Runner {
  readonly #options: ResolvedHttpRunnerOptions;
  readonly #transport: Transport;

  constructor(options: HttpRunnerOptions = {}) {
    this.#options = resolveHttpRunnerOptions(options);
    this.#transport = createTransport(this.#options);
  }

  /** Runs one invocation; resolves to a result for every outcome, and never rejects. */
  async run(invocation: RuntimeInvocation, options: RunOptions = {}): Promise<RuntimeResult> {
    const startedAtMs = this.#options.now();
    const parsed = parseHttpMetadata(invocation.metadata);
    if (!parsed.ok) {
      const summary = summarizeIssues("invalid http metadata", parsed.issues);
      return buildResult(invocation, { status: "rejected", summary }, { startedAtMs, finishedAtMs: startedAtMs });
    }
    const config = parsed.config;
    const run = new HttpRun(invocation, options, this.#options, this.#transport, {
      deadlineAtMs: invocation.timeout_seconds === null ? undefined : startedAtMs + invocation.timeout_seconds * 1000,
      secrets: [...Object.values(this.#options.headers), ...Object.values(config.headers)],
      startedAtMs,
    });
    const what = `${config.method} ${config.url.href}`;
    const doing = `during the request (${what})`;
    if (run.scope.checkStopped()) return run.finish(run.stoppedOutcome(doing));
    const headers: Record<string, string> = { accept: "application/json", ...this.#options.headers, ...config.headers };
    if (config.contentType !== undefined) headers["content-type"] = config.contentType;
    let response;
    try {
      response = await run.send({ method: config.method, url: config.url, headers, body: config.body, signal: run.scope.signal });
    } catch (error) {
      return run.finish({ status: "failed", summary: `runner error: ${errorMessage(error)}` });
    }
    if (run.scope.checkStopped()) return run.finish(run.stoppedOutcome(doing, response));
    if (response instanceof TransportError) return run.finish(run.transportFailure(what, response));
    const ok = response.status >= 200 && response.status <= 299;
    return run.finish(ok ? { status: "succeeded" } : run.httpFailure(what, response), {
      exitCode: response.status,
      responseBody: response.body,
    });
  }

  /** Closes the runner's own connection pool; a `dispatcher` given in the options is left open. */
  async close(): Promise<void> {
    await this.#transport.close();
  }
}
