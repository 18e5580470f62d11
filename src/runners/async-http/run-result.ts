import type { TransportError } from "../../http/transport/transport-error.js";
import type { TransportRequest, TransportResponse } from "../../http/transport/transport.js";
import { Answer } from "./answer.js";
import { POLL_AGAIN, type Next } from "./ending.js";
import { RunLookup } from "./run-lookup.js";
import { classifyErrorCode, isSuccessCode } from "./verdict.js";

/**
 * The last read of a run of protocol `lro`: once an operation monitor reports
 * success, the result is read at the resource (by method, or as
 * `http.final_state_via` says), with the pending codes, error budget and
 * deadline of polls. A read that fails fails the run, naming it.
 */
export class RunResult extends RunLookup {
  /** Where the result is read once the operation succeeded through an operation monitor; undefined: the monitor's last document. */
  resultUrl: URL | undefined;
  /** Reads of the result sent. */
  reads = 0;

  /** What the answer to the read of the result means: the run's ending, or POLL_AGAIN to read it again. */
  readResult(response: TransportResponse | TransportError): Next {
    const url = this.resultUrl!;
    this.metadata["http.final_url"] = url.href;
    const what = `final GET of ${url.href}`;
    const answer = this.received(response, what, this.reads, what);
    if (!(answer instanceof Answer)) return answer;
    const code = answer.code;
    if (this.config.pollPendingCodes.has(code)) return POLL_AGAIN;
    if (isSuccessCode(code)) return this.terminal({ kind: "terminal", status: this.lastStatus ?? String(code), outcome: "succeeded" }, answer);
    if (classifyErrorCode(code).kind === "transient") return this.transient(this.reads, `HTTP ${code}: ${this.preview(answer.response.body)}`, what);
    return { outcome: this.httpFailure(what, answer.response) };
  }

  /** The request that reads the result of a succeeded operation. */
  resultRequest(): TransportRequest {
    this.reads += 1;
    return { method: "GET", url: this.resultUrl!, headers: this.headers.plain, signal: this.scope.requestSignal };
  }
}
