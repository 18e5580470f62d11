import { join } from "node:path";
import { describeArtifact, type ArtifactDescriptor } from "../contracts/artifact.js";
import type { RuntimeInvocation } from "../contracts/invocation.js";
import { buildResult, identityOf, type ResultIdentity, type ResultOutcome, type RuntimeResult } from "../contracts/result.js";
import { previewBody, type Redact } from "../http/redact.js";
import type { ResolvedHttpRunnerOptions } from "../http/runner-options.js";
import { TransportError, type RequestStage } from "../http/transport/transport-error.js";
import type { Transport, TransportRequest, TransportResponse } from "../http/transport/transport.js";
import { channels, type RequestPhase } from "../diagnostics/channels.js";
import { traceRequest } from "../diagnostics/trace-request.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { errorMessage } from "../util/error-message.js";
import { createEmitter, type Emit } from "./events.js";
import type { RunOptions } from "./runner.js";
import { RunScope } from "./scope/run-scope.js";

/** What a stopped run's summary adds about the request it cut off. */
const STOPPED_WHILE: Readonly<Record<RequestStage | "none", string>> = {
  headers: "; no response headers had arrived",
  body: "; the response body was still arriving",
  none: "",
};

/** What a run is opened with. */
export interface HttpRunContext {
  readonly invocation: RuntimeInvocation;
  readonly runOptions: RunOptions;
  readonly options: ResolvedHttpRunnerOptions;
  readonly transport: Transport;
  /** The redactor of the run's configuration: the values of every header of the run are secrets. */
  readonly redact: Redact;
  readonly startedAtMs: number;
  readonly deadlineAtMs: number | undefined;
}

/**
 * One run of an HTTP runner: its scope (deadline and abort), its redactor,
 * its events and the result metadata it collects. Both HTTP runners build
 * their results through `finish`.
 */
export class HttpRun {
  /**
   * The invocation's id, name and kind (PERFORMANCE.md, "The identity, not the
   * invocation"). A run keeps these, not the whole
   * invocation, so that a waiting run does not hold its metadata alive.
   */
  readonly identity: ResultIdentity;
  readonly options: ResolvedHttpRunnerOptions;
  readonly scope: RunScope;
  readonly emit: Emit | undefined;
  readonly startedAtMs: number;
  /** The HTTP status of the last response about the job (`http.status_code`). */
  lastHttpStatus: number | undefined;
  /** Removes the run's secrets (its header values, URL userinfo, secret query values) from text. */
  readonly redact: Redact;
  readonly #transport: Transport;
  readonly #artifactDirectory: string | null;
  readonly #timeoutSeconds: number | null;
  #metadata: Record<string, string> | undefined;

  constructor(context: HttpRunContext) {
    const { invocation, options } = context;
    this.identity = identityOf(invocation);
    this.#artifactDirectory = invocation.artifact_directory;
    this.#timeoutSeconds = invocation.timeout_seconds;
    this.options = options;
    this.#transport = context.transport;
    this.startedAtMs = context.startedAtMs;
    const { signal, abandon } = context.runOptions;
    this.scope = new RunScope({ signal, abandon, deadlineAtMs: context.deadlineAtMs, now: options.now });
    this.emit = createEmitter(context.runOptions.onEvent, options.now, context.startedAtMs);
    this.redact = context.redact;
  }

  /** Result metadata, filled as the run goes; redacted in `finish`. Created on first use (PERFORMANCE.md, "Created on first use"). */
  get metadata(): Record<string, string> {
    return (this.#metadata ??= {});
  }

  /**
   * Sends a request of the run: the one send path of both HTTP runners. It
   * rejects with a TransportError only (see `Transport.send`); the request is
   * published on the request channel when that has subscribers.
   */
  send(request: TransportRequest, phase: RequestPhase, attempt?: number): Promise<TransportResponse> {
    if (!channels.request.hasSubscribers) return this.#transport.send(request);
    const label = { invocationId: this.identity.invocation_id, phase, url: this.redact(request.url.href), attempt };
    return traceRequest(this.#transport, request, label);
  }

  /**
   * The outcome of a run the deadline or the caller stopped, naming what it
   * was doing and, when a request was cut off, what that request was waiting for.
   */
  stoppedOutcome(doing: string, interrupted?: TransportResponse | TransportError): ResultOutcome {
    const waiting = interrupted instanceof TransportError ? STOPPED_WHILE[interrupted.stage ?? "none"] : "";
    if (this.scope.abandoned) return { status: "cancelled", summary: `abandoned by the caller ${doing}${waiting}; no cancel request was sent` };
    if (this.scope.stopReason === "cancelled") return { status: "cancelled", summary: `cancelled by the caller ${doing}${waiting}` };
    return { status: "timed_out", summary: `timed out after ${this.#timeoutText()} ${doing}${waiting}` };
  }

  /** `failed` for a request that produced no usable response. */
  transportFailure(what: string, error: TransportError): ResultOutcome {
    return { status: "failed", summary: `${what} failed: ${error.message}` };
  }

  /** `failed` for an HTTP answer the run cannot use, with the code and a body preview. */
  httpFailure(what: string, response: TransportResponse): ResultOutcome {
    return { status: "failed", summary: `${what} answered HTTP ${response.status}: ${previewBody(response.body, this.redact)}` };
  }

  /** A body preview for a summary. */
  preview(body: string): string {
    return previewBody(body, this.redact);
  }

  /**
   * Builds the run's result: summary and metadata redacted, and the response
   * body saved as `response.json` in `artifact_directory` when one is set.
   */
  async finish(outcome: ResultOutcome, details: { exitCode?: number | null; responseBody?: string } = {}): Promise<RuntimeResult> {
    this.scope.dispose();
    const artifacts: ArtifactDescriptor[] = [];
    const directory = this.#artifactDirectory;
    if (directory !== null && details.responseBody !== undefined) {
      const path = join(directory, "response.json");
      try {
        await writeFileAtomic(path, details.responseBody);
        artifacts.push(
          describeArtifact({
            artifactId: `${this.identity.invocation_id}/response.json`,
            path,
            kind: "http_response",
            description: "body of the final HTTP response",
          }),
        );
      } catch (error) {
        this.metadata["http.artifact_error"] = `response.json not written: ${errorMessage(error)}`;
      }
    }
    if (this.lastHttpStatus !== undefined) this.metadata["http.status_code"] = String(this.lastHttpStatus);
    for (const key of Object.keys(this.metadata)) this.metadata[key] = this.redact(this.metadata[key]!);
    const redacted: ResultOutcome =
      outcome.status === "succeeded" ? outcome : { status: outcome.status, summary: this.redact(outcome.summary) };
    return buildResult(this.identity, redacted, {
      startedAtMs: this.startedAtMs,
      finishedAtMs: this.options.now(),
      exitCode: details.exitCode ?? null,
      artifacts,
      metadata: this.metadata,
    });
  }

  /**
   * The result of a run whose own ending failed (a clock that returns no
   * valid time, say): `failed`, timed by the system clock. The HTTP runners
   * never reject, so the runtime need not check their results.
   */
  crashed(error: unknown): RuntimeResult {
    this.scope.dispose();
    return crashedResult(this.identity, error, this.redact);
  }

  #timeoutText(): string {
    const seconds = this.#timeoutSeconds;
    if (seconds !== null) return `${seconds} s (timeout_seconds)`;
    const deadline = this.scope.deadlineAtMs;
    return deadline === undefined ? "the deadline" : `the deadline ${new Date(deadline).toISOString()}`;
  }
}

/** `failed` for a run that broke (see `HttpRun.crashed`), timed by the system clock. */
export function crashedResult(identity: ResultIdentity, error: unknown, redact?: Redact): RuntimeResult {
  const message = errorMessage(error);
  return buildResult(identity, { status: "failed", summary: `runner error: ${redact === undefined ? message : redact(message)}` });
}
