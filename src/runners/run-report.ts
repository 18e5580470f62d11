import { join } from "node:path";
import { describeArtifact, type ArtifactDescriptor } from "../contracts/artifact.js";
import type { RuntimeInvocation } from "../contracts/invocation.js";
import { buildResult, identityOf, type ResultIdentity, type ResultOutcome, type RuntimeResult } from "../contracts/result.js";
import { createRedactor, previewBody, type Redact } from "../http/redact.js";

/** How many values resolved for a run's requests its redactor keeps (the latest): enough for every header of a few requests. */
const MAX_RESOLVED_VALUES = 32;
import { writeFileAtomic } from "../util/atomic-write.js";
import { compactMs, fullMs, type CompactMs } from "../util/compact-ms.js";
import { errorMessage } from "../util/error-message.js";
import { createEmitter, type Emit } from "./events.js";
import type { Echo, Echoes } from "./echoes.js";
import { FAILURE_KIND_KEY } from "../contracts/failure-kind.js";
import { BACKEND_JOB_KEY, leftBehind, type BackendJob } from "./backend-job.js";
import { backendErrorOf, describeFailure, failureKindOf, failureStatus, type Failure, type FailureText } from "./failure.js";
import type { RunOptions } from "./runner.js";
import { RESULT_KEYS } from "../http/result-keys.js";

/**
 * The values resolved for a run's requests (secrets, a headers function's values), latest last, and the
 * redactor that removes them besides what the configuration's (`base`) removes. Created on first use, in the
 * report's one redaction field (PERFORMANCE.md, "Fewer fields per run").
 */
interface LearnedSecrets {
  readonly base: Redact;
  readonly values: string[];
  redact: Redact;
}

/** How a run ends: success, or a failure as data; and what the result carries besides. */
export interface Ending {
  /** Undefined for success. */
  readonly failure?: Failure | undefined;
  readonly exitCode?: number | null;
  /** The body saved as `response.json` when `artifact_directory` is set. */
  readonly responseBody?: string;
  /** The value at `http.result_path` of the terminal body, as JSON (`http.result`). */
  readonly result?: string | undefined;
}

/**
 * What an HTTP run tells about itself: its events, the result metadata it
 * collects, the HTTP status of its last answer, and its result, with every
 * summary and metadata value redacted. Both HTTP runners hold one per run.
 */
export class RunReport implements ResultIdentity, FailureText {
  // The invocation's id, name and kind, echoed by the result (PERFORMANCE.md, "The identity, not the
  // invocation"): a waiting run does not hold the invocation's metadata alive. The name and kind are getters.
  readonly invocation_id: string;
  /** The runtime's name and kind, and `timeout_seconds`: one object that consecutive runs of a runner share. */
  readonly #echo: Echo;
  /** When the run started (see `startedAtMs`), as a small integer where it can be one. */
  readonly #startedAt: CompactMs;
  /** Sends an event; undefined when nobody listens. */
  readonly emit: Emit | undefined;
  /** The configuration's redactor, or, once the run resolved a secret, what it learned (see `redact`). */
  #redaction: Redact | LearnedSecrets;
  readonly #artifactDirectory: string | null;
  #metadata: Record<string, string> | undefined;
  #lastHttpStatus: number | undefined;

  constructor(invocation: RuntimeInvocation, runOptions: RunOptions, context: { redact: Redact; now: () => number; startedAtMs: number; echoes: Echoes }) {
    const identity = identityOf(invocation);
    this.invocation_id = identity.invocation_id;
    this.#echo = context.echoes.of(identity, invocation.timeout_seconds);
    this.#artifactDirectory = invocation.artifact_directory;
    this.#startedAt = compactMs(context.startedAtMs);
    this.emit = createEmitter(runOptions.onEvent, context.now, context.startedAtMs);
    this.#redaction = context.redact;
  }

  get runtime_name(): string {
    return this.#echo.runtime_name;
  }

  get runtime_kind(): string {
    return this.#echo.runtime_kind;
  }

  /** When the run started, in epoch milliseconds by the runner's clock. */
  get startedAtMs(): number {
    return fullMs(this.#startedAt);
  }

  /** Removes the run's secrets (its header values, the secrets it resolved, URL userinfo, secret query values) from text. */
  get redact(): Redact {
    const redaction = this.#redaction;
    return typeof redaction === "function" ? redaction : redaction.redact;
  }

  /** Result metadata, filled as the run goes; redacted in `finish`. Created on first use (PERFORMANCE.md, "Created on first use"). */
  get metadata(): Record<string, string> {
    return (this.#metadata ??= {});
  }

  /**
   * Removes `value`, resolved for one of the run's requests, from every text
   * the run writes from now on, as the configuration's own header values are.
   * The latest values are kept: a function that hands out a fresh token per
   * request must not make a long run hold every token it ever had.
   */
  learnSecret(value: string): void {
    let learned = this.#redaction;
    if (typeof learned === "function") learned = this.#redaction = { base: learned, values: [], redact: learned };
    if (learned.values.includes(value)) return;
    learned.values.push(value);
    if (learned.values.length > MAX_RESOLVED_VALUES) learned.values.shift();
    const extra = createRedactor(learned.values);
    const base = learned.base;
    learned.redact = (text) => extra(base(text));
  }

  /** Records the HTTP status of the latest answer about the job (`http.status_code`). */
  answered(status: number): void {
    this.#lastHttpStatus = status;
  }

  /** A body preview for a summary (FailureText). */
  preview(body: string): string {
    return previewBody(body, this.redact);
  }

  /** How long the run was allowed, for a summary (FailureText): `timeout_seconds`, else the deadline it was given. */
  timeout(deadlineAtMs: number | undefined): string {
    const seconds = this.#echo.timeoutSeconds;
    if (seconds !== null) return `${seconds} s (timeout_seconds)`;
    return deadlineAtMs === undefined ? "the deadline" : `the deadline ${new Date(deadlineAtMs).toISOString()}`;
  }

  /**
   * Builds the run's result: summary and metadata redacted, and the response
   * body saved as `response.json` in `artifact_directory` when one is set
   * (the one case that returns a promise); `finishedAtMs` is when the run
   * ended, by the runner's clock; `job`, what became of the backend's job
   * (`http.backend_job`), when the runner knows. The ending is read as it
   * was made, not copied with the job into it (PERFORMANCE.md, "An ending
   * read as it was made").
   */
  finish(ending: Ending, finishedAtMs: number, job?: BackendJob): RuntimeResult | Promise<RuntimeResult> {
    const directory = this.#artifactDirectory;
    const body = ending.responseBody;
    if (directory === null || body === undefined) return this.result(ending, finishedAtMs, [], job);
    return this.withArtifact(join(directory, "response.json"), body).then((artifacts) => this.result(ending, finishedAtMs, artifacts, job));
  }

  /** Writes the response body as `response.json`: its descriptor, or none and `http.artifact_error` saying why. */
  private async withArtifact(path: string, body: string): Promise<ArtifactDescriptor[]> {
    try {
      await writeFileAtomic(path, body);
    } catch (error) {
      this.metadata[RESULT_KEYS.artifactError] = `response.json not written: ${errorMessage(error)}`;
      return [];
    }
    return [describeArtifact({ artifactId: `${this.invocation_id}/response.json`, path, kind: "http_response", description: "body of the final HTTP response" })];
  }

  private result(ending: Ending, finishedAtMs: number, artifacts: ArtifactDescriptor[], job: BackendJob | undefined): RuntimeResult {
    const metadata = this.metadata;
    if (ending.result !== undefined) metadata[RESULT_KEYS.result] = ending.result;
    if (this.#lastHttpStatus !== undefined) metadata[RESULT_KEYS.statusCode] = String(this.#lastHttpStatus);
    const redact = this.redact;
    for (const key of Object.keys(metadata)) metadata[key] = redact(metadata[key]!);
    const failure = ending.failure;
    if (job !== undefined) metadata[BACKEND_JOB_KEY] = job.state;
    let outcome: ResultOutcome = { status: "succeeded" };
    if (failure !== undefined) {
      metadata[FAILURE_KIND_KEY] = failureKindOf(failure);
      // The backend's own error: of the failed answer, else one an earlier answer carried (`http.error` already).
      const error = backendErrorOf(failure);
      const earlier = metadata[RESULT_KEYS.error];
      if (error !== undefined) metadata[RESULT_KEYS.error] = redact(error);
      const said = error === undefined && earlier !== undefined ? `; the backend said ${earlier} when it took the job` : "";
      const summary = describeFailure(failure, this) + said + (job === undefined ? "" : leftBehind(job));
      outcome = { status: failureStatus(failure), summary: redact(summary) };
    }
    return buildResult(this, outcome, {
      startedAtMs: this.startedAtMs,
      finishedAtMs,
      exitCode: ending.exitCode ?? null,
      artifacts,
      metadata,
    });
  }

  /**
   * The result of a run whose own ending failed (a clock that returns no
   * valid time, say): `failed`, timed by the system clock. The HTTP runners
   * never reject, so the runtime need not check their results.
   */
  crashed(error: unknown): RuntimeResult {
    return crashedResult(this, error, this.redact);
  }
}

/**
 * `failed` for a run that broke (see `RunReport.crashed`), timed by the
 * system clock. What became of its job is not known: it may still run.
 */
export function crashedResult(identity: ResultIdentity, error: unknown, redact?: Redact): RuntimeResult {
  const message = errorMessage(error);
  const metadata = { [FAILURE_KIND_KEY]: "runner_error", [BACKEND_JOB_KEY]: "may_still_run" };
  return buildResult(identity, { status: "failed", summary: `runner error: ${redact === undefined ? message : redact(message)}` }, { metadata });
}
