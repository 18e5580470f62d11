import type { RuntimeInvocation } from "../contracts/invocation.js";
import type { RuntimeResult } from "../contracts/result.js";
import { cachedMetadataParser, parseHttpMetadata, type HttpRequestConfig, type MetadataParseResult } from "../http/metadata.js";
import type { HttpRunnerOptions } from "../http/runner-options.js";
import { TransportError } from "../http/transport.js";
import { errorMessage } from "../util/error-message.js";
import { HttpClient, invocationDeadline } from "./http-client.js";
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
  readonly #client: HttpClient;
  readonly #parseMetadata: (metadata: Readonly<Record<string, string>>) => MetadataParseResult<HttpRequestConfig> =
    cachedMetadataParser(parseHttpMetadata);

  constructor(options: HttpRunnerOptions = {}) {
    this.#client = new HttpClient(options);
  }

  /** Runs one invocation; resolves to a result for every outcome, and never rejects. */
  async run(invocation: RuntimeInvocation, options: RunOptions = {}): Promise<RuntimeResult> {
    const client = this.#client;
    const startedAtMs = client.options.now();
    const parsed = this.#parseMetadata(invocation.metadata);
    if (!parsed.ok) return client.reject(invocation, "invalid http metadata", parsed.issues, startedAtMs);
    const config = parsed.config;
    const run = client.open(invocation, options, config, { startedAtMs, deadlineAtMs: invocationDeadline(invocation, startedAtMs) });
    const what = `${config.method} ${config.url.href}`;
    const doing = `during the request (${what})`;
    if (run.scope.checkStopped()) return run.finish(run.stoppedOutcome(doing));
    const headers = client.bodyHeaders(config);
    let response;
    try {
      response = await run.send({ method: config.method, url: config.url, headers, body: config.body, signal: run.scope.requestSignal });
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
    await this.#client.close();
  }
}
