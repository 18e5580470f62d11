import type { RuntimeResult } from "../../contracts/result.js";
import type { TransportError} from "../../http/transport/transport-error.js";
import { toTransportError } from "../../http/transport/transport-error.js";
import type { TransportRequest, TransportResponse } from "../../http/transport/transport.js";
import { Answer } from "./answer.js";
import { POLL_AGAIN, failedEnding, type Ending, type Next } from "./ending.js";
import { classifyLookup, newestNewKey } from "./lookup.js";
import { RunPacing } from "./pacing.js";

/**
 * How an asynchronous run finds a run its backend does not name
 * (`http.run_lookup_url`, `http.run_lookup_path`): the keys listed before the
 * kickoff, then lookups after the acknowledgement, with the waits, pending
 * codes, error budget and deadline of polls, until a key appears that was
 * not there before.
 */
export class RunLookup extends RunPacing {
  /** The keys the lookup listed before the kickoff. */
  #before: ReadonlySet<string> | undefined;
  /** Lookup requests sent, the one before the kickoff included (`http.lookups`). */
  lookups = 0;
  /** What the run's requests are for now: finding the run, its status, or its result once it succeeded. */
  phase: "lookup" | "poll" | "result" = "poll";

  /** Reads the keys the lookup lists before the kickoff; an ending when it cannot. Transient failures are retried. */
  async listKeysBefore(): Promise<Ending | undefined> {
    for (;;) {
      const next = await this.#lookup((keys) => {
        this.#before = new Set(keys);
        return undefined;
      });
      if (next !== POLL_AGAIN) return next;
      const pause = this.wait();
      if (pause !== undefined) await pause;
      if (this.scope.checkStopped()) return this.stopped();
    }
  }

  /** One lookup after the acknowledgement: the key found, or what to do next. */
  lookUp(): Promise<string | Next> {
    return this.#lookup((keys) => newestNewKey(keys, this.#before ?? new Set()) ?? POLL_AGAIN);
  }

  /** Sends one lookup and reads its answer; `read` decides what the keys listed mean. */
  async #lookup<T>(read: (keys: readonly string[]) => T): Promise<T | Next> {
    const config = this.config;
    if (config.pollProtocol !== "status" || config.runLookupUrl === undefined || config.runLookupPath === undefined) {
      return failedEnding("runner error: a run lookup without its settings");
    }
    this.waitDue = true;
    const attempt = ++this.lookups;
    const url = config.runLookupUrl;
    const request: TransportRequest = { method: "GET", url, headers: this.headers.plain, signal: this.scope.requestSignal };
    let response: TransportResponse | TransportError;
    try {
      response = await this.send(request, "lookup", attempt);
    } catch (error) {
      response = toTransportError(error, request.signal);
    }
    const what = `lookup ${attempt} of ${url.href}`;
    const answer = this.received(response, what, attempt, `lookup of ${url.href}`);
    if (!(answer instanceof Answer)) return answer;
    const { code, response: answered } = answer;
    const verdict = classifyLookup(answer, config.runLookupPath, config.pollPendingCodes);
    switch (verdict.kind) {
      case "pending":
        this.emit?.({ type: "pending", attempt, httpStatus: code });
        this.consecutiveErrors = 0;
        return read([]);
      case "keys":
        this.consecutiveErrors = 0;
        return read(verdict.keys);
      case "transient":
        return this.transient(attempt, `HTTP ${code}: ${this.preview(answered.body)}`, `lookup of ${url.href}`);
      case "permanent":
        return { outcome: this.httpFailure(what, answered) };
      case "malformed":
        return failedEnding(`${what} answered HTTP ${code} with a body that ${verdict.problem}: ${this.preview(answered.body)}`);
    }
  }

  /** While the run is looked up, a stopped run says so; otherwise as `RunReport.stopped`. */
  override stopped(interrupted?: TransportResponse | TransportError): Ending {
    const url = this.config.pollProtocol === "status" ? this.config.runLookupUrl : undefined;
    if (this.phase !== "lookup" || url === undefined) return super.stopped(interrupted);
    return { outcome: this.stoppedOutcome(`while looking up the run at ${url.href} (${this.lookups} lookups)`, interrupted) };
  }

  /** Adds the run lookup's metadata: the key found and the lookups sent. */
  override finish(outcome: Ending["outcome"], details: { exitCode?: number | null; responseBody?: string } = {}): Promise<RuntimeResult> {
    if (this.lookups > 0) this.metadata["http.lookups"] = String(this.lookups);
    if (this.lookup !== undefined) this.metadata["http.lookup"] = this.lookup;
    return super.finish(outcome, details);
  }
}
