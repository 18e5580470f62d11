import type { RuntimeInvocation } from "../contracts/invocation.js";
import type { RuntimeResult } from "../contracts/result.js";
import type { HttpRequestConfig } from "../http/metadata/config.js";
import { parseHttpMetadata } from "../http/metadata/parse.js";
import type { HttpRunnerOptions } from "../http/runner-options.js";
import { TransportError, notSentError, toTransportError } from "../http/transport/transport-error.js";
import type { TransportResponse } from "../http/transport/transport.js";
import type { BackendJob } from "./backend-job.js";
import type { RequestRef } from "./failure.js";
import { HttpClient, type ConfigShared } from "./http-client.js";
import { untilAborted } from "../http/timing.js";
import { RunReport, crashedResult, type Ending } from "./run-report.js";
import type { RunOptions, Runner } from "./runner.js";
import { invocationDeadline } from "./scope/deadline.js";
import { RunScope } from "./scope/run-scope.js";

const NOT_STARTED: BackendJob = { state: "not_started" };
const FINISHED: BackendJob = { state: "finished" };

/** How a run of the runner ends, and what became of the backend's job. */
interface Ended {
  readonly ending: Ending;
  readonly job: BackendJob;
}

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
    let report: RunReport | undefined;
    let scope: RunScope | undefined;
    try {
      const client = this.#client;
      const now = client.options.now;
      const startedAtMs = now();
      const settings = client.settingsOf(invocation, "http", startedAtMs);
      if ("rejected" in settings) return settings.rejected;
      const { config, shared } = settings;
      const deadlineAtMs = invocationDeadline(invocation, startedAtMs);
      scope = new RunScope({ signal: options.signal, abandon: options.abandon, deadlineAtMs, now });
      report = new RunReport(invocation, options, { redact: shared.redact, now, startedAtMs, echoes: client.echoes });
      const { ending, job } = await this.#request(scope, report, config, shared);
      scope.dispose();
      return await report.finish(ending, now(), job);
    } catch (error) {
      scope?.dispose();
      return report === undefined ? crashedResult(invocation, error) : report.crashed(error);
    }
  }

  /** Sends the one request of a run and reads its answer: how the run ends, and what became of the backend's job. */
  async #request(scope: RunScope, report: RunReport, config: HttpRequestConfig, shared: ConfigShared): Promise<Ended> {
    const { method, url } = config;
    const href = url.href;
    const request: RequestRef = { phase: "request", method, url: href, attempt: 1 };
    const doing = { phase: "request", method, url: href } as const;
    const deadlineAtMs = scope.deadlineAtMs;
    if (scope.checkStopped()) return { ending: { failure: { kind: "stopped", reason: scope.stopCause ?? "cancelled", doing, deadlineAtMs } }, job: NOT_STARTED };
    const signal = scope.requestSignal;
    let answer: TransportResponse | TransportError;
    let headers = shared.headers.withBody;
    try {
      if (shared.resolve !== undefined) headers = await untilAborted(shared.resolve({ method, url, phase: "request" }, true, (value) => report.learnSecret(value)), signal);
      try {
        answer = await this.#client.send({ method, url: href, headers, body: config.body, signal }, report, "request");
      } catch (error) {
        answer = toTransportError(error, signal);
      }
    } catch (error) {
      answer = notSentError(error, signal);
    }
    // A request that may have reached the backend and got no answer leaves its outcome unknown.
    const unknown = answer instanceof TransportError && answer.mayHaveReached;
    const job: BackendJob = unknown ? { state: "may_still_run", runId: undefined, kickoffUnknown: true } : NOT_STARTED;
    if (scope.checkStopped()) {
      const stage = answer instanceof TransportError ? (answer.stage ?? "none") : undefined;
      return { ending: { failure: { kind: "stopped", reason: scope.stopCause ?? "cancelled", doing, stage, deadlineAtMs } }, job };
    }
    if (answer instanceof TransportError) return { ending: { failure: { kind: "transport", request, error: answer.message, mayHaveReached: answer.mayHaveReached } }, job };
    report.answered(answer.status);
    const ok = answer.status >= 200 && answer.status <= 299;
    // Any other code is the backend's refusal: it holds no job.
    if (!ok) return { ending: { failure: { kind: "refused", request, code: answer.status, body: answer.body }, exitCode: answer.status, responseBody: answer.body }, job };
    return { ending: { exitCode: answer.status, responseBody: answer.body }, job: FINISHED };
  }

  /** Closes the runner's own connection pool; a `dispatcher` given in the options is left open. */
  async close(): Promise<void> {
    await this.#client.close();
  }
}
