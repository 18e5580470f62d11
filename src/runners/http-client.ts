import type { RuntimeInvocation } from "../contracts/invocation.js";
import { summarizeIssues, type ValidationIssue } from "../contracts/issues.js";
import { buildResult, type RuntimeResult } from "../contracts/result.js";
import { cachedMetadataParser } from "../http/metadata/cache.js";
import { BODY_CONTENT_TYPES, type HttpRequestConfig } from "../http/metadata/config.js";
import type { MetadataParseResult } from "../http/metadata/parse.js";
import { createRedactor, type Redact } from "../http/redact.js";
import { resolveHttpRunnerOptions, type HttpRunnerOptions, type ResolvedHttpRunnerOptions } from "../http/runner-options.js";
import { createTransport } from "../http/transport/create-transport.js";
import type { Transport, TransportRequest, TransportResponse } from "../http/transport/transport.js";
import { channels, type RequestPhase } from "../diagnostics/channels.js";
import { traceRequest } from "../diagnostics/trace-request.js";
import { FAILURE_KIND_KEY } from "../contracts/failure-kind.js";
import { configForInvocation, invocationIdProblem } from "../http/metadata/for-invocation.js";
import { BACKEND_JOB_KEY } from "./backend-job.js";
import type { RunReport } from "./run-report.js";

/** The headers of a run's requests. Shared by the runs of one configuration: copy to change. */
export interface RequestHeaders {
  /** Accept, the runner's headers, then `http.headers`: for requests without a body (polls, lookups, cancels). */
  readonly plain: Readonly<Record<string, string>>;
  /** `plain` with the body's content type, when there is a body: for the request that sends it. */
  readonly withBody: Readonly<Record<string, string>>;
}

/** What every run of one configuration shares. */
export interface ConfigShared {
  readonly headers: RequestHeaders;
  /** Removes the values of those headers (the secrets of a run), URL userinfo and secret query values. */
  readonly redact: Redact;
}

/** Parses the `http.*` metadata of a run into the runner's configuration. */
export type MetadataParser<Config> = (metadata: Readonly<Record<string, string>>) => MetadataParseResult<Config>;

/**
 * What an HTTP runner keeps across its runs: the resolved options, one
 * transport, its metadata parser, and the headers and redactor of each
 * configuration.
 */
export class HttpClient<Config extends HttpRequestConfig> {
  readonly options: ResolvedHttpRunnerOptions;
  /** The one transport of the runner. */
  readonly #transport: Transport;
  /** Parses each distinct `http.*` map once (PERFORMANCE.md, "Settings parsed once per configuration"). */
  readonly #parseMetadata: MetadataParser<Config>;
  readonly #shared = new WeakMap<HttpRequestConfig, ConfigShared>();

  constructor(options: HttpRunnerOptions, parse: MetadataParser<Config>) {
    this.options = resolveHttpRunnerOptions(options);
    this.#transport = createTransport(this.options);
    this.#parseMetadata = cachedMetadataParser(parse);
  }

  /**
   * Sends a request of a run: the one send path of both HTTP runners. It
   * rejects with a TransportError only (see `Transport.send`); the request is
   * published on the request channel, named by `report`'s invocation, when
   * that channel has subscribers.
   */
  send(request: TransportRequest, report: RunReport, phase: RequestPhase, attempt?: number): Promise<TransportResponse> {
    if (!channels.request.hasSubscribers) return this.#transport.send(request);
    const label = { invocationId: report.invocation_id, phase, url: report.redact(request.url.href), attempt };
    return traceRequest(this.#transport, request, label);
  }

  /**
   * The settings of one run: the parsed `http.*` metadata with the
   * invocation's id in place of `{invocation_id}` (the same object when
   * nothing uses it), or the `rejected` result of settings that do not
   * validate or cannot take the invocation's id.
   */
  settingsOf(invocation: RuntimeInvocation, kind: string, startedAtMs: number): { readonly config: Config } | { readonly rejected: RuntimeResult } {
    const parsed = this.#parseMetadata(invocation.metadata);
    const subject = `invalid ${kind} metadata`;
    if (!parsed.ok) return { rejected: this.reject(invocation, subject, parsed.issues, startedAtMs) };
    const problem = invocationIdProblem(parsed.config, invocation.invocation_id);
    if (problem !== undefined) return { rejected: this.reject(invocation, subject, [{ path: "invocation_id", message: problem }], startedAtMs) };
    return { config: configForInvocation(parsed.config, invocation.invocation_id) };
  }

  /** The `rejected` result of input that did not validate; nothing was sent. */
  reject(invocation: RuntimeInvocation, subject: string, issues: readonly ValidationIssue[], startedAtMs: number): RuntimeResult {
    const summary = summarizeIssues(subject, issues);
    const metadata = { [FAILURE_KIND_KEY]: "invalid_input", [BACKEND_JOB_KEY]: "not_started" };
    return buildResult(invocation, { status: "rejected", summary }, { startedAtMs, finishedAtMs: startedAtMs, metadata });
  }

  /** The headers and redactor that every run of `config` shares (configs are parsed once and shared). */
  shared(config: HttpRequestConfig): ConfigShared {
    let shared = this.#shared.get(config);
    if (shared === undefined) {
      const runner = this.options.headers;
      const plain = { accept: "application/json", ...runner, ...config.headers };
      shared = {
        headers: { plain, withBody: config.body === undefined ? plain : { ...plain, "content-type": BODY_CONTENT_TYPES[config.bodyFormat] } },
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
