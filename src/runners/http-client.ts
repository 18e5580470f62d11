import type { RuntimeInvocation } from "../contracts/invocation.js";
import { summarizeIssues, type ValidationIssue } from "../contracts/issues.js";
import { buildResult, type RuntimeResult } from "../contracts/result.js";
import { cachedMetadataParser } from "../http/metadata/cache.js";
import type { HttpRequestConfig } from "../http/metadata/config.js";
import type { MetadataParseResult } from "../http/metadata/parse.js";
import { createRedactor, type Redact } from "../http/redact.js";
import { resolveHttpRunnerOptions, type HttpRunnerOptions, type ResolvedHttpRunnerOptions } from "../http/runner-options.js";
import { createTransport } from "../http/transport/create-transport.js";
import type { Receiver, Transport, TransportRequest, TransportResponse } from "../http/transport/transport.js";
import { answerWhenSettled } from "../http/transport/delivery.js";
import { channels, type RequestPhase } from "../diagnostics/channels.js";
import { traceRequest } from "../diagnostics/trace-request.js";
import { FAILURE_KIND_KEY } from "../contracts/failure-kind.js";
import { configForInvocation, invocationIdProblem } from "../http/metadata/for-invocation.js";
import { BACKEND_JOB_KEY } from "./backend-job.js";
import { headerResolver, secretsOf, staticHeaders, type HeaderResolver, type RequestHeaders } from "./request-headers.js";
import type { RunReport } from "./run-report.js";
import { Echoes } from "./echoes.js";

export type { RequestHeaders };

/** What every run of one configuration shares. */
export interface ConfigShared {
  /** The headers of every request, when they do not change per request (`resolve` undefined). */
  readonly headers: RequestHeaders;
  /** Builds each request's headers when they change per request: a headers function, or secrets. */
  readonly resolve: HeaderResolver | undefined;
  /** Removes the values of the static headers (the secrets of a run), URL userinfo and secret query values. */
  readonly redact: Redact;
  /** The problem of `http.headers` naming a secret the runner does not have; undefined when it has every one. */
  readonly unknownSecrets: ValidationIssue | undefined;
}

/**
 * The settings of one run: `config`, the parsed `http.*` metadata with the invocation's id in place of
 * `{invocation_id}`; `parsed`, the configuration it is a copy of (the same object when nothing uses the id); and
 * the headers and redactor of its requests.
 */
export interface RunSettings<Config> {
  readonly config: Config;
  readonly parsed: Config;
  readonly shared: ConfigShared;
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
  /** What the runs' results echo of their invocations, shared by consecutive runs that echo the same. */
  readonly echoes = new Echoes();

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
    const label = { invocationId: report.invocation_id, phase, url: report.redact(request.url), attempt };
    return traceRequest(this.#transport, request, label);
  }

  /**
   * The settings of one run (`RunSettings`), or the `rejected` result of
   * settings that do not validate or cannot take the invocation's id.
   */
  settingsOf(invocation: RuntimeInvocation, kind: string, startedAtMs: number): RunSettings<Config> | { readonly rejected: RuntimeResult } {
    const parsed = this.#parseMetadata(invocation.metadata);
    const subject = `invalid ${kind} metadata`;
    if (!parsed.ok) return { rejected: this.reject(invocation, subject, parsed.issues, startedAtMs) };
    const problem = invocationIdProblem(parsed.config, invocation.invocation_id);
    if (problem !== undefined) return { rejected: this.reject(invocation, subject, [{ path: "invocation_id", message: problem }], startedAtMs) };
    // Checked once per configuration, with what the runs of it share.
    const shared = this.shared(parsed.config);
    if (shared.unknownSecrets !== undefined) return { rejected: this.reject(invocation, subject, [shared.unknownSecrets], startedAtMs) };
    const config = configForInvocation(parsed.config, invocation.invocation_id);
    return { config, parsed: parsed.config, shared: config.headers === parsed.config.headers ? shared : this.#sharedOfRun(shared, config) };
  }

  /** The problem of `http.headers` naming a secret the runner does not have; undefined when it has every one. */
  #unknownSecrets(config: HttpRequestConfig): ValidationIssue | undefined {
    const secrets = this.options.secrets;
    const unknown = secretsOf(config).filter((name) => !Object.hasOwn(secrets, name));
    if (unknown.length === 0) return undefined;
    const known = Object.keys(secrets);
    const names = unknown.map((name) => `{secret:${name}}`).join(", ");
    const has = known.length === 0 ? "it was given none" : `it has ${known.join(", ")}`;
    return { path: 'metadata["http.headers"]', message: `uses ${names}, which the runner does not have: ${has}` };
  }

  /** The `rejected` result of input that did not validate; nothing was sent. */
  reject(invocation: RuntimeInvocation, subject: string, issues: readonly ValidationIssue[], startedAtMs: number): RuntimeResult {
    const summary = summarizeIssues(subject, issues);
    const metadata = { [FAILURE_KIND_KEY]: "invalid_input", [BACKEND_JOB_KEY]: "not_started" };
    return buildResult(invocation, { status: "rejected", summary }, { startedAtMs, finishedAtMs: startedAtMs, metadata });
  }

  /**
   * Sends a request of a run as `send` does, and hands its answer, or why
   * there is none, to `receiver` later (`Transport.deliver`);
   * never throws.
   */
  deliver(request: TransportRequest, report: RunReport, phase: RequestPhase, attempt: number | undefined, receiver: Receiver): void {
    if (!channels.request.hasSubscribers) return this.#transport.deliver(request, receiver);
    answerWhenSettled(this.send(request, report, phase, attempt), receiver, request.signal);
  }

  /** The headers and redactor that every run of `config` shares (configs are parsed once and shared). */
  shared(config: HttpRequestConfig): ConfigShared {
    let shared = this.#shared.get(config);
    if (shared === undefined) {
      const headers = staticHeaders(this.options, config);
      const runner = typeof this.options.headers === "function" ? {} : this.options.headers;
      const redact = createRedactor([...Object.values(runner), ...Object.values(config.headers)]);
      shared = { headers, resolve: headerResolver(this.options, config), redact, unknownSecrets: this.#unknownSecrets(config) };
      this.#shared.set(config, shared);
    }
    return shared;
  }

  /**
   * What a run shares of its configuration's `shared` when its copy of the settings, `config`, filled
   * `{invocation_id}` into its headers: its headers are made for the run and not kept (PERFORMANCE.md, "One plan
   * per configuration"); the redactor stays the configuration's, made from the values as written, since the
   * invocation's id is no secret.
   */
  #sharedOfRun(shared: ConfigShared, config: HttpRequestConfig): ConfigShared {
    return { ...shared, headers: staticHeaders(this.options, config), resolve: headerResolver(this.options, config) };
  }

  /** Closes the transport's own connection pool; a caller's `dispatcher` is left open. */
  close(): Promise<void> {
    return this.#transport.close();
  }
}
