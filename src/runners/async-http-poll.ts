import { readJsonPath } from "../http/json-path.js";
import type { AsyncHttpConfig } from "../http/metadata.js";
import { abortSignalOf } from "../http/request-signal.js";
import { clampWaitMs, intervalDelayMs, parseRetryAfterMs, untilAborted } from "../http/timing.js";
import { TransportError, type TransportRequest, type TransportResponse } from "../http/transport.js";
import {
  parseJsonBody,
  readRunId,
  readStatus,
  statusProblem,
  terminalEnding,
  type Ending,
} from "./async-http-status.js";
import type { HttpRun } from "./http-run.js";

/** The state of one asynchronous run, shared by its steps. */
export interface AsyncRunState {
  readonly run: HttpRun;
  readonly config: AsyncHttpConfig;
  /** Headers of polls (and cancels): the run's headers without a body's content type. */
  readonly pollHeaders: Readonly<Record<string, string>>;
  /** Whether the poll template needs `{run_id}`; otherwise run ids are read from poll bodies too. */
  readonly templateNeedsRunId: boolean;
  pollUrl: URL | undefined;
  runId: string | undefined;
  /** Set once the backend has the job: from then on a stopped run sends the cancel request. */
  accepted: boolean;
  polls: number;
  waits: number;
  consecutiveErrors: number;
  /** A Retry-After that replaces the next wait only. */
  retryAfterMs: number | undefined;
  lastStatus: string | undefined;
}

/** The request every poll of an accepted run sends: built once per run. */
export function pollRequest(state: AsyncRunState): TransportRequest {
  return { method: "GET", url: state.pollUrl!, headers: state.pollHeaders, signal: state.run.scope.requestSignal };
}

/**
 * What the answer to poll number `attempt` means: the run's ending, or
 * undefined to poll again (still pending, or a transient error within the
 * budget). A run stopped while the poll was out ends as stopped.
 */
export function readPollAnswer(state: AsyncRunState, attempt: number, response: TransportResponse | TransportError): Ending | undefined {
  const { run, config } = state;
  const pollUrl = state.pollUrl!;
  if (!(response instanceof TransportError)) run.lastHttpStatus = response.status;
  if (run.scope.checkStopped()) return stopped(state, response);
  if (response instanceof TransportError) {
    if (response.kind !== "network") return { outcome: run.transportFailure(`poll ${attempt} of ${pollUrl.href}`, response) };
    return transientError(state, attempt, response.message);
  }
  state.retryAfterMs = parseRetryAfterMs(response.header("retry-after"), run.options.now());
  const code = response.status;
  if (config.pendingCodes.has(code)) {
    state.consecutiveErrors = 0;
    run.emit?.({ type: "poll", attempt, httpStatus: code });
    run.emit?.({ type: "pending", attempt, httpStatus: code });
    return undefined;
  }
  if (code >= 200 && code <= 299) {
    const json = parseJsonBody(response.body);
    if (config.pollRunIdPath !== undefined && !state.templateNeedsRunId) state.runId = readRunId(json, config.pollRunIdPath) ?? state.runId;
    const reading = readStatus(json, config.pollStatusPath);
    if (reading.kind !== "status") {
      run.emit?.({ type: "poll", attempt, httpStatus: code });
      const problem = statusProblem(reading, config.pollStatusPath);
      return { outcome: { status: "failed", summary: `poll ${attempt} response from ${pollUrl.href} ${problem}: ${run.preview(response.body)}` } };
    }
    run.emit?.({ type: "poll", attempt, httpStatus: code, status: reading.status });
    state.consecutiveErrors = 0;
    state.lastStatus = reading.status;
    return config.terminalStates.has(reading.status) ? reachTerminal(state, reading.status, response) : undefined;
  }
  run.emit?.({ type: "poll", attempt, httpStatus: code });
  if (code >= 500 || code === 429) return transientError(state, attempt, `HTTP ${code}: ${run.preview(response.body)}`);
  return { outcome: run.httpFailure(`poll ${attempt} of ${pollUrl.href}`, response) };
}

/** The ending for a terminal status, with its event and `http.result`. */
export function reachTerminal(state: AsyncRunState, status: string, response: TransportResponse, json?: unknown): Ending {
  const { run, config } = state;
  const ending = terminalEnding(config, status, response.body);
  run.emit?.({ type: "terminal", status, outcome: ending.outcome.status });
  if (config.resultPath !== undefined) {
    const parsed = json === undefined ? parseJsonBody(response.body) : json;
    const value = readJsonPath(parsed, config.resultPath);
    if (value !== undefined) run.metadata["http.result"] = JSON.stringify(value);
  }
  return ending;
}

/** The ending of a run the deadline or the caller stopped; `interrupted` is the answer of the request it cut off. */
export function stopped(state: AsyncRunState, interrupted?: TransportResponse | TransportError): Ending {
  const { run, config } = state;
  if (!state.accepted) return { outcome: run.stoppedOutcome(`during the kickoff (${config.method} ${config.url.href})`, interrupted) };
  const last = state.lastStatus === undefined ? "" : `, last status '${state.lastStatus}'`;
  return { outcome: run.stoppedOutcome(`while polling ${state.pollUrl?.href ?? ""} (${state.polls} polls${last})`, interrupted) };
}

/**
 * Starts the wait before the next poll; undefined when there is nothing to
 * wait for. Not an async function: a suspended frame per waiting run costs
 * memory. Without a `sleep` option the run waits on its scope's own timer,
 * which ends when the run stops and needs no wrapper.
 */
export function wait(state: AsyncRunState): Promise<void> | undefined {
  const { run } = state;
  const n = ++state.waits;
  let delayMs: number;
  let source: "interval" | "retry-after";
  if (state.retryAfterMs === undefined) {
    delayMs = intervalDelayMs(state.config, n);
    source = "interval";
  } else {
    delayMs = state.retryAfterMs;
    source = "retry-after";
    state.retryAfterMs = undefined;
  }
  delayMs = clampWaitMs(delayMs, run.scope.remainingMs());
  run.emit?.({ type: "wait", delayMs, source });
  const signal = run.scope.requestSignal;
  const { sleep } = run.options;
  if (sleep === undefined) return run.scope.sleep(delayMs);
  return untilAborted(sleep(delayMs, abortSignalOf(signal)), signal).catch((error: unknown) => {
    // A sleep may reject when the run is aborted; any other rejection is a real error.
    if (signal?.aborted !== true) throw error;
  });
}

function transientError(state: AsyncRunState, attempt: number, error: string): Ending | undefined {
  const { run, config } = state;
  state.consecutiveErrors += 1;
  if (state.consecutiveErrors > config.maxConsecutiveErrors) {
    const times = state.consecutiveErrors === 1 ? "once" : `${state.consecutiveErrors} times in a row`;
    const budget = `http.poll_max_consecutive_errors is ${config.maxConsecutiveErrors}`;
    return { outcome: { status: "failed", summary: `poll of ${state.pollUrl?.href ?? ""} failed ${times} (${budget}); last error: ${error}` } };
  }
  run.emit?.({ type: "retry", attempt, error: run.redact(error) });
  return undefined;
}
