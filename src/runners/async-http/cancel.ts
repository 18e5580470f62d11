import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import { toTransportError } from "../../http/transport/transport-error.js";
import type { TransportRequest, TransportResponse } from "../../http/transport/transport.js";
import type { HttpClient, RequestHeaders } from "../http-client.js";
import type { RunReport } from "../run-report.js";
import type { BackendJob } from "../backend-job.js";
import type { Accepted } from "./phase.js";
import { RUN_ID_PLACEHOLDER, expandUrlTemplate } from "../../http/placeholders.js";
import { RESULT_KEYS } from "../../http/result-keys.js";

/** The cancel request's answer: its HTTP status, or what went wrong. */
type CancelAnswer = { readonly httpStatus: number; readonly error?: undefined } | { readonly error: string };

/**
 * Sends the best-effort cancel request of a run stopped after the backend
 * took its job (`template` is `http.cancel_url_template`), bounded by the
 * runner's `cancelTimeoutMs`; its answer goes to `http.cancel_status` and a `cancel` event.
 */
export async function cancelJob(
  run: { readonly config: AsyncHttpConfig; readonly headers: RequestHeaders; readonly report: RunReport; readonly client: HttpClient<AsyncHttpConfig> },
  template: string,
  job: Accepted,
  timeoutMs: number,
): Promise<BackendJob> {
  const { config, headers, report, client } = run;
  const sent = !template.includes(RUN_ID_PLACEHOLDER) || job.runId !== undefined;
  const answer = !sent
      ? { error: "no run id to cancel" }
      : await sendCancel(
          (request) => client.send(request, report, "cancel"),
          { method: config.cancelMethod, url: expandUrlTemplate(template, { runId: job.runId, lookup: job.lookup, invocationId: report.invocation_id }, config.url), headers: headers.plain },
          timeoutMs,
        );
  if (answer.error === undefined) {
    const status = answer.httpStatus;
    report.metadata[RESULT_KEYS.cancelStatus] = String(status);
    report.emit?.({ type: "cancel", httpStatus: status });
    return status >= 200 && status <= 299 ? { state: "cancelled" } : { state: "cancel_failed", runId: job.runId, error: `it answered HTTP ${status}` };
  }
  report.metadata[RESULT_KEYS.cancelStatus] = `error: ${answer.error}`;
  report.emit?.({ type: "cancel", error: report.redact(answer.error) });
  return sent ? { state: "cancel_failed", runId: job.runId, error: answer.error } : { state: "may_still_run", runId: job.runId };
}

/**
 * Sends the best-effort cancel request of a stopped run through `send`,
 * bounded by `timeoutMs` of its own (the run's own signal is aborted by then).
 */
async function sendCancel(
  send: (request: TransportRequest) => Promise<TransportResponse>,
  request: Omit<TransportRequest, "signal">,
  timeoutMs: number,
): Promise<CancelAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("cancel request timed out")), timeoutMs);
  try {
    const response = await send({ ...request, signal: controller.signal });
    return { httpStatus: response.status };
  } catch (caught) {
    const error = toTransportError(caught, controller.signal);
    return { error: error.kind === "aborted" ? `no answer within ${timeoutMs} ms` : error.message };
  } finally {
    clearTimeout(timer);
  }
}
