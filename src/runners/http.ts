import type { RuntimeInvocation } from "../contracts/invocation.js";
import type { RuntimeResult } from "../contracts/result.js";
import type { HttpRequestConfig } from "../http/metadata/config.js";
import { parseHttpMetadata } from "../http/metadata/parse.js";
import type { HttpRunnerOptions } from "../http/runner-options.js";
import { TransportError, toTransportError } from "../http/transport/transport-error.js";
import type { TransportResponse } from "../http/transport/transport.js";
import { HttpClient } from "./http-client.js";
import { HttpRun, crashedResult } from "./http-run.js";
import type { RunOptions, Runner } from "./runner.js";
import { invocationDeadline } from "./scope/deadline.js";

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
  readonly #client: HttpClient<HttpRequestConfig>;

  constructor(options: HttpRunnerOptions = {}) {
    this.#client = new HttpClient(options, parseHttpMetadata);
  }

  /** Runs one invocation; resolves to a result for every outcome, and never rejects. */
  async run(invocation: RuntimeInvocation, options: RunOptions = {}): Promise<RuntimeResult> {
    let run: HttpRun | undefined;
    try {
      const client = this.#client;
      const startedAtMs = client.options.now();
      const parsed = client.parseMetadata(invocation.metadata);
      if (!parsed.ok) return client.reject(invocation, "invalid http metadata", parsed.issues, startedAtMs);
      const config = parsed.config;
      const shared = client.shared(config);
      const deadlineAtMs = invocationDeadline(invocation, startedAtMs);
      run = new HttpRun(client.context(invocation, options, shared, startedAtMs, deadlineAtMs));
      return await this.#request(run, config, shared.headers.withBody);
    } catch (error) {
      return run === undefined ? crashedResult(invocation, error) : run.crashed(error);
    }
  }

  /** Sends the one request of `run` and ends the run with its answer. */
  async #request(run: HttpRun, config: HttpRequestConfig, headers: Readonly<Record<string, string>>): Promise<RuntimeResult> {
    const what = `${config.method} ${config.url.href}`;
    const doing = `during the request (${what})`;
    if (run.scope.checkStopped()) return run.finish(run.stoppedOutcome(doing));
    const signal = run.scope.requestSignal;
    let answer: TransportResponse | TransportError;
    try {
      answer = await run.send({ method: config.method, url: config.url, headers, body: config.body, signal }, "request");
    } catch (error) {
      answer = toTransportError(error, signal);
    }
    if (run.scope.checkStopped()) return run.finish(run.stoppedOutcome(doing, answer));
    if (answer instanceof TransportError) return run.finish(run.transportFailure(what, answer));
    run.lastHttpStatus = answer.status;
    const ok = answer.status >= 200 && answer.status <= 299;
    return run.finish(ok ? { status: "succeeded" } : run.httpFailure(what, answer), {
      exitCode: answer.status,
      responseBody: answer.body,
    });
  }

  /** Closes the runner's own connection pool; a `dispatcher` given in the options is left open. */
  async close(): Promise<void> {
    await this.#client.close();
  }
}
