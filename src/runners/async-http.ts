import { CheckpointSchema } from "../contracts/checkpoint.js";
import type { RuntimeInvocation } from "../contracts/invocation.js";
import { issuesFromZod } from "../contracts/issues.js";
import type { RuntimeResult } from "../contracts/result.js";
import { cachedMetadataParser, parseAsyncHttpMetadata, type AsyncHttpConfig, type MetadataParseResult } from "../http/metadata.js";
import type { HttpRunnerOptions } from "../http/runner-options.js";
import { parseRetryAfterMs, untilAborted } from "../http/timing.js";
import { toTransportError } from "../http/transport-error.js";
import { TransportError, type TransportRequest, type TransportResponse } from "../http/transport.js";
import { errorMessage } from "../util/error-message.js";
import { pollRequest, readPollAnswer, reachTerminal, stopped, wait, type AsyncRunState } from "./async-http-poll.js";
import { expandUrlTemplate, parseJsonBody, readRunId, readStatus, type Ending } from "./async-http-status.js";
import { HttpClient, invocationDeadline } from "./http-client.js";
import type { HttpRun } from "./http-run.js";
import type { Checkpoint, RunOptions, Runner } from "./runner.js";

/**
 * Runs a job on an asynchronous HTTP backend: sends the kickoff, then polls a
 * status URL until the backend reports a terminal status. A 2xx kickoff that
 * already carries a terminal status is the final answer. Every setting comes
 * from the invocation's `http.*` metadata (see `asyncHttpMetadata`).
 *
 * @example
 * const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner());
 */
export class AsyncHttpRunner implements Runner {
  readonly #client: HttpClient;
  readonly #parseMetadata: (metadata: Readonly<Record<string, string>>) => MetadataParseResult<AsyncHttpConfig> =
    cachedMetadataParser(parseAsyncHttpMetadata);

  constructor(options: HttpRunnerOptions = {}) {
    this.#client = new HttpClient(options);
  }

  /**
   * Runs one invocation; resolves to a result for every outcome, and never rejects.
   * (Not an async function: while a run waits, `runToEnd` is its one suspended frame.)
   */
  run(invocation: RuntimeInvocation, options: RunOptions = {}): Promise<RuntimeResult> {
    const client = this.#client;
    const startedAtMs = client.options.now();
    const parsed = this.#parseMetadata(invocation.metadata);
    if (!parsed.ok) return Promise.resolve(client.reject(invocation, "invalid http_async metadata", parsed.issues, startedAtMs));
    let resume: Checkpoint | undefined;
    if (options.resume !== undefined) {
      const checkpoint = CheckpointSchema.safeParse(options.resume, { reportInput: true });
      if (!checkpoint.success) {
        return Promise.resolve(client.reject(invocation, "invalid resume checkpoint", issuesFromZod(checkpoint.error), startedAtMs));
      }
      resume = checkpoint.data;
    }
    const config = parsed.config;
    const deadlineAtMs = resume === undefined ? invocationDeadline(invocation, startedAtMs) : resumedDeadline(resume);
    const run = client.open(invocation, options, config, { startedAtMs, deadlineAtMs });
    return runToEnd(openState(run, config, client.headers(config)), resume, client.bodyHeaders(config));
  }

  /** Closes the runner's own connection pool; a `dispatcher` given in the options is left open. */
  async close(): Promise<void> {
    await this.#client.close();
  }
}

/**
 * The run from its kickoff (or its resumed poll) to its result, in one async
 * frame: a waiting run holds this frame, its timer and its state, nothing else.
 */
async function runToEnd(
  state: AsyncRunState,
  resume: Checkpoint | undefined,
  kickoffHeaders: Readonly<Record<string, string>>,
): Promise<RuntimeResult> {
  const { run } = state;
  let ending: Ending | undefined;
  try {
    // A resumed job is already on the backend: stopped before its first poll (the deadline passed while
    // no process ran it, or the signal is aborted), it ends as stopped while polling and gets its cancel request.
    if (resume !== undefined) resumeFrom(state, resume);
    if (run.scope.checkStopped()) ending = stopped(state);
    else if (resume === undefined) ending = await kickoff(state, kickoffHeaders);
    let request: TransportRequest | undefined;
    while (ending === undefined) {
      const pause = wait(state);
      if (pause !== undefined) await pause;
      if (run.scope.checkStopped()) {
        ending = stopped(state);
      } else {
        const attempt = ++state.polls;
        request ??= pollRequest(state);
        let answer: TransportResponse | TransportError;
        try {
          answer = await run.request(request);
        } catch (error) {
          answer = toTransportError(error, request.signal);
        }
        ending = readPollAnswer(state, attempt, answer);
      }
    }
  } catch (error) {
    ending = { outcome: { status: "failed", summary: `runner error: ${errorMessage(error)}` } };
  }
  return settle(state, ending);
}

/** Ends a run: the cancel request when the run was stopped after the backend took the job, then the result. */
async function settle(state: AsyncRunState, ending: Ending): Promise<RuntimeResult> {
  const { run, config } = state;
  const { status } = ending.outcome;
  const stoppedByUs = run.scope.stopReason !== undefined && (status === "timed_out" || status === "cancelled");
  if (stoppedByUs && state.accepted && config.cancelUrlTemplate !== undefined) await sendCancel(state, config.cancelUrlTemplate);
  recordMetadata(state);
  return run.finish(ending.outcome, ending);
}

function openState(run: HttpRun, config: AsyncHttpConfig, pollHeaders: Readonly<Record<string, string>>): AsyncRunState {
  return {
    run,
    config,
    pollHeaders,
    templateNeedsRunId: config.pollUrlTemplate?.includes("{run_id}") ?? false,
    pollUrl: undefined,
    runId: undefined,
    accepted: false,
    polls: 0,
    waits: 0,
    consecutiveErrors: 0,
    retryAfterMs: undefined,
    lastStatus: undefined,
  };
}

function resumeFrom(state: AsyncRunState, resume: Checkpoint): void {
  state.runId = resume.runId;
  state.accepted = true;
  state.pollUrl = new URL(resume.pollUrl);
}

/**
 * Sends the kickoff with `shared` (the configuration's headers with the body's content type), plus the
 * idempotency key when one is configured. Resolves to an ending, or to undefined once the run is accepted.
 */
async function kickoff(state: AsyncRunState, shared: Readonly<Record<string, string>>): Promise<Ending | undefined> {
  const { run, config } = state;
  const what = `kickoff ${config.method} ${config.url.href}`;
  let headers = shared;
  if (config.idempotencyKeyHeader !== undefined) {
    const keyed: Record<string, string> = { ...shared };
    keyed[config.idempotencyKeyHeader] = run.identity.invocation_id;
    headers = keyed;
  }
  if (run.beforeKickoff !== undefined) {
    try {
      await untilAborted(run.beforeKickoff(), run.scope.requestSignal);
    } catch (error) {
      if (run.scope.checkStopped()) return stopped(state);
      return { outcome: { status: "failed", summary: `kickoff not sent: ${run.redact(errorMessage(error))}` } };
    }
    if (run.scope.checkStopped()) return stopped(state);
  }
  const response = await run.send({ method: config.method, url: config.url, headers, body: config.body, signal: run.scope.requestSignal });
  if (run.scope.checkStopped()) return stopped(state, response);
  if (response instanceof TransportError) return { outcome: run.transportFailure(what, response) };
  run.emit?.({ type: "kickoff", httpStatus: response.status });
  if (response.status < 200 || response.status > 299) return { outcome: run.httpFailure(what, response) };
  const json = parseJsonBody(response.body);
  if (config.pollRunIdPath !== undefined) state.runId = readRunId(json, config.pollRunIdPath);
  const reading = readStatus(json, config.pollStatusPath);
  if (reading.kind === "status") {
    state.lastStatus = reading.status;
    if (config.terminalStates.has(reading.status)) return reachTerminal(state, reading.status, response, json);
  }
  state.retryAfterMs = parseRetryAfterMs(response.header("retry-after"), run.options.now());
  const pollUrl = resolvePollUrl(state, response);
  if (!(pollUrl instanceof URL)) return pollUrl;
  const checkpoint = accept(state, pollUrl);
  if (checkpoint !== undefined && run.saveCheckpoint !== undefined) {
    try {
      await untilAborted(run.saveCheckpoint(checkpoint), run.scope.requestSignal);
    } catch (error) {
      if (run.scope.checkStopped()) return stopped(state);
      run.metadata["http.checkpoint_error"] = `checkpoint not saved: ${errorMessage(error)}`;
    }
  }
  return undefined;
}

function resolvePollUrl(state: AsyncRunState, response: TransportResponse): URL | Ending {
  const { run, config } = state;
  if (config.pollUrlTemplate !== undefined) {
    if (state.templateNeedsRunId && state.runId === undefined) {
      const summary = `kickoff response has no run id at '${config.pollRunIdPath?.text ?? ""}' (http.poll_run_id_path), which http.poll_url_template needs: ${run.preview(response.body)}`;
      return { outcome: { status: "failed", summary } };
    }
    return expandUrlTemplate(config.pollUrlTemplate, state.runId, config.url);
  }
  const location = response.header("operation-location") ?? response.header("location");
  if (location === undefined) {
    const summary = `kickoff answered HTTP ${response.status} with no status URL: no Location or Operation-Location header, and no http.poll_url_template; set http.poll_url_template`;
    return { outcome: { status: "failed", summary } };
  }
  let url: URL | undefined;
  try {
    url = new URL(location, response.url);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return { outcome: { status: "failed", summary: `kickoff answered with a status URL that is not http(s): ${location}` } };
  }
  return url;
}

/** Marks the run accepted; returns its checkpoint when someone listens or saves it. */
function accept(state: AsyncRunState, pollUrl: URL): Checkpoint | undefined {
  const { run } = state;
  state.pollUrl = pollUrl;
  state.accepted = true;
  if (run.emit === undefined && run.saveCheckpoint === undefined) return undefined;
  const checkpoint: Checkpoint = { version: 1, pollUrl: pollUrl.href, acceptedAt: new Date(run.options.now()).toISOString() };
  if (state.runId !== undefined) checkpoint.runId = state.runId;
  if (run.scope.deadlineAtMs !== undefined) checkpoint.deadlineAt = new Date(run.scope.deadlineAtMs).toISOString();
  run.emit?.({ type: "accepted", checkpoint });
  return checkpoint;
}

/** The best-effort cancel request, bounded by `cancelTimeoutMs` of its own. */
async function sendCancel(state: AsyncRunState, template: string): Promise<void> {
  const { run, config } = state;
  if (template.includes("{run_id}") && state.runId === undefined) {
    run.metadata["http.cancel_status"] = "error: no run id to cancel";
    run.emit?.({ type: "cancel", error: "no run id to cancel" });
    return;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("cancel request timed out")), run.options.cancelTimeoutMs);
  try {
    const url = expandUrlTemplate(template, state.runId, config.url);
    const response = await run.send({ method: config.cancelMethod, url, headers: state.pollHeaders, signal: controller.signal }, false);
    if (response instanceof TransportError) {
      const error = response.kind === "aborted" ? `no answer within ${run.options.cancelTimeoutMs} ms` : response.message;
      run.metadata["http.cancel_status"] = `error: ${error}`;
      run.emit?.({ type: "cancel", error: run.redact(error) });
    } else {
      run.metadata["http.cancel_status"] = String(response.status);
      run.emit?.({ type: "cancel", httpStatus: response.status });
    }
  } finally {
    clearTimeout(timer);
  }
}

function recordMetadata(state: AsyncRunState): void {
  const { metadata } = state.run;
  metadata["http.polls"] = String(state.polls);
  if (state.runId !== undefined) metadata["http.run_id"] = state.runId;
  if (state.pollUrl !== undefined) metadata["http.poll_url"] = state.pollUrl.href;
  if (state.lastStatus !== undefined) metadata["http.last_status"] = state.lastStatus;
}

/** A resumed run keeps the deadline its checkpoint recorded, if any. */
function resumedDeadline(resume: Checkpoint): number | undefined {
  return resume.deadlineAt === undefined ? undefined : Date.parse(resume.deadlineAt);
}
