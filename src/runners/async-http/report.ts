import { readJsonPath } from "../../http/json-path.js";
import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import type { TransportError } from "../../http/transport/transport-error.js";
import type { TransportResponse } from "../../http/transport/transport.js";
import type { RuntimeResult } from "../../contracts/result.js";
import type { RequestHeaders } from "../http-client.js";
import { HttpRun, type HttpRunContext } from "../http-run.js";
import type { Answer } from "./answer.js";
import { sendCancel } from "./cancel.js";
import { POLL_AGAIN, failedEnding, terminalEnding, type Ending, type Next } from "./ending.js";
import { expandUrlTemplate, readRunId } from "./status-url.js";
import type { PollVerdict, Terminal } from "./verdict.js";



/**
 * What an asynchronous run tells about itself, derived from the verdicts in
 * one place: its events, its result metadata and its summaries, with the
 * state they are made of. `AsyncRun` adds the flow on top.
 */
export class RunReport extends HttpRun {
  protected readonly config: AsyncHttpConfig;
  protected readonly headers: RequestHeaders;
  pollUrl: URL | undefined;
  runId: string | undefined;
  /** The key a run lookup found, which fills `{lookup}` (`http.lookup`). */
  lookup: string | undefined;
  /** Set once the backend has the job: from then on a stopped run sends the cancel request. */
  accepted = false;
  /** Poll requests sent (`http.polls`), pending and retried ones too. */
  polls = 0;
  consecutiveErrors = 0;
  lastStatus: string | undefined;

  constructor(context: HttpRunContext, config: AsyncHttpConfig, headers: RequestHeaders) {
    super(context);
    this.config = config;
    this.headers = headers;
  }

  /** The backend has the job, and its status is read at `pollUrl`. */
  markAccepted(pollUrl: URL): void {
    this.pollUrl = pollUrl;
    this.accepted = true;
  }

  /** The run's side of a poll verdict: its events and summary, and whether to poll again. */
  conclude(attempt: number, answer: Answer, verdict: PollVerdict): Next {
    const config = this.config;
    const httpStatus = answer.code;
    if (verdict.kind === "pending") {
      this.consecutiveErrors = 0;
      this.emit?.({ type: "poll", attempt, httpStatus });
      this.emit?.({ type: "pending", attempt, httpStatus });
      return POLL_AGAIN;
    }
    if (verdict.kind === "transient" || verdict.kind === "permanent") {
      this.emit?.({ type: "poll", attempt, httpStatus });
      if (verdict.kind === "transient") return this.transient(attempt, `HTTP ${httpStatus}: ${this.preview(answer.response.body)}`);
      return { outcome: this.httpFailure(`poll ${attempt} of ${this.pollUrl!.href}`, answer.response) };
    }
    // A 2xx: the latest run id in a poll body wins, unless the status URL is built from it.
    const templated = config.pollProtocol === "status" && config.pollUrlTemplate?.includes("{run_id}") === true;
    if (config.pollRunIdPath !== undefined && !templated) this.runId = readRunId(answer.json, config.pollRunIdPath) ?? this.runId;
    if (verdict.kind === "malformed") {
      this.emit?.({ type: "poll", attempt, httpStatus });
      return failedEnding(`poll ${attempt} response from ${this.pollUrl!.href} ${verdict.problem}: ${this.preview(answer.response.body)}`);
    }
    this.emit?.({ type: "poll", attempt, httpStatus, status: verdict.status });
    this.consecutiveErrors = 0;
    this.lastStatus = verdict.status;
    return verdict.kind === "terminal" ? this.terminal(verdict, answer) : POLL_AGAIN;
  }

  /** The ending for a terminal status, with its event and `http.result`. */
  terminal(verdict: Terminal, answer: Answer): Ending {
    this.lastStatus = verdict.status;
    this.emit?.({ type: "terminal", status: verdict.status, outcome: verdict.outcome });
    const resultPath = this.config.resultPath;
    const value = resultPath === undefined ? undefined : readJsonPath(answer.json, resultPath);
    const result = value === undefined ? undefined : JSON.stringify(value);
    if (result !== undefined) this.metadata["http.result"] = result;
    // A run that did not succeed says why, as far as the backend told: its error, its outcome, its result.
    const told = [verdict.detail, result === undefined ? undefined : `http.result ${result}`].filter((part) => part !== undefined);
    const detail = told.length === 0 ? undefined : this.preview(told.join("; "));
    return terminalEnding(verdict.status, verdict.outcome, answer.response.body, detail);
  }

  /** A transient failure of `what`: poll again while the consecutive-error budget lasts, else fail. */
  transient(attempt: number, error: string, what = `poll of ${this.pollUrl?.href ?? ""}`): Next {
    const budget = this.config.pollMaxConsecutiveErrors;
    this.consecutiveErrors += 1;
    if (this.consecutiveErrors > budget) {
      const times = this.consecutiveErrors === 1 ? "once" : `${this.consecutiveErrors} times in a row`;
      return failedEnding(`${what} failed ${times} (http.poll_max_consecutive_errors is ${budget}); last error: ${error}`);
    }
    this.emit?.({ type: "retry", attempt, error: this.redact(error) });
    return POLL_AGAIN;
  }

  /** A request that got no answer: a network error is transient, anything else ends the run. */
  failedRequest(what: string, attempt: number, error: TransportError, retryAs?: string): Next {
    if (error.kind === "network") return this.transient(attempt, error.message, retryAs);
    return { outcome: this.transportFailure(what, error) };
  }

  /** The ending of a run the deadline or the caller stopped; `interrupted` is the answer of the request it cut off. */
  stopped(interrupted?: TransportResponse | TransportError): Ending {
    const config = this.config;
    if (!this.accepted) return { outcome: this.stoppedOutcome(`during the kickoff (${config.method} ${config.url.href})`, interrupted) };
    const last = this.lastStatus === undefined ? "" : `, last status '${this.lastStatus}'`;
    return { outcome: this.stoppedOutcome(`while polling ${this.pollUrl?.href ?? ""} (${this.polls} polls${last})`, interrupted) };
  }

  /** The best-effort cancel request, bounded by `cancelTimeoutMs` of its own; its answer goes to `http.cancel_status`. */
  async cancel(template: string): Promise<void> {
    const headers = this.headers.plain;
    const answer =
      template.includes("{run_id}") && this.runId === undefined
        ? { error: "no run id to cancel" }
        : await sendCancel(this, { method: this.config.cancelMethod, url: expandUrlTemplate(template, this, this.config.url), headers });
    if (answer.error === undefined) {
      this.metadata["http.cancel_status"] = String(answer.httpStatus);
      this.emit?.({ type: "cancel", httpStatus: answer.httpStatus });
    } else {
      this.metadata["http.cancel_status"] = `error: ${answer.error}`;
      this.emit?.({ type: "cancel", error: this.redact(answer.error) });
    }
  }

  /** Builds the result with the run's metadata: polls, run id, status URL and last status. */
  override finish(outcome: Ending["outcome"], details: { exitCode?: number | null; responseBody?: string } = {}): Promise<RuntimeResult> {
    const metadata = this.metadata;
    metadata["http.polls"] = String(this.polls);
    if (this.runId !== undefined) metadata["http.run_id"] = this.runId;
    if (this.pollUrl !== undefined) metadata["http.poll_url"] = this.pollUrl.href;
    if (this.lastStatus !== undefined) metadata["http.last_status"] = this.lastStatus;
    return super.finish(outcome, details);
  }
}
