import { RUN_ID_PLACEHOLDER } from "../../http/placeholders.js";
import { expandUrlTemplate } from "../../http/url-template.js";
import { RESULT_KEYS } from "../../http/result-keys.js";
import { untilAborted } from "../../http/timing.js";
import { toTransportError } from "../../http/transport/transport-error.js";
import { errorMessage } from "../../util/error-message.js";
import type { BackendJob } from "../backend-job.js";
import type { RequestRef } from "../failure.js";
import type { RunReport } from "../run-report.js";
import type { Accepted } from "./phase.js";
import { headersFor, type RunPlan } from "./plan.js";
import { isSuccessCode } from "./verdict.js";

/** The cancel request's answer: its HTTP status, or what went wrong. */
type CancelAnswer = { readonly httpStatus: number; readonly error?: undefined } | { readonly error: string };

/**
 * Sends the best-effort cancel request of a run stopped after the backend
 * took its job (`template` is `http.cancel_url_template`), bounded by
 * `timeoutMs`; its answer goes to `http.cancel_status` and a `cancel` event.
 * Returns what became of the job.
 */
export async function cancelJob(plan: RunPlan, report: RunReport, template: string, job: Accepted, timeoutMs: number): Promise<BackendJob> {
  const { config } = plan;
  const sent = !template.includes(RUN_ID_PLACEHOLDER) || job.runId !== undefined;
  let answer: CancelAnswer = { error: "no run id to cancel" };
  if (sent) {
    const url = expandUrlTemplate(template, { runId: job.runId, lookup: job.lookup, invocationId: report.invocation_id }, config.url);
    answer = await sendCancel(plan, report, { phase: "cancel", method: config.cancelMethod, url, attempt: 1 }, timeoutMs);
  }
  if (answer.error === undefined) {
    const status = answer.httpStatus;
    report.metadata[RESULT_KEYS.cancelStatus] = String(status);
    report.emit?.({ type: "cancel", httpStatus: status });
    return isSuccessCode(status) ? { state: "cancelled" } : { state: "cancel_failed", runId: job.runId, error: `it answered HTTP ${status}` };
  }
  report.metadata[RESULT_KEYS.cancelStatus] = `error: ${answer.error}`;
  report.emit?.({ type: "cancel", error: report.redact(answer.error) });
  return sent ? { state: "cancel_failed", runId: job.runId, error: answer.error } : { state: "may_still_run", runId: job.runId };
}

/** Sends the cancel request `target`, bounded by `timeoutMs` of its own (the run's own signal is aborted by then). */
async function sendCancel(plan: RunPlan, report: RunReport, target: RequestRef, timeoutMs: number): Promise<CancelAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("cancel request timed out")), timeoutMs);
  try {
    let headers: Readonly<Record<string, string>>;
    try {
      headers = await untilAborted(Promise.resolve(headersFor(plan, report, target)), controller.signal);
    } catch (error) {
      return { error: controller.signal.aborted ? `no answer within ${timeoutMs} ms` : `not sent: ${errorMessage(error)}` };
    }
    const response = await plan.client.send({ method: target.method, url: target.url, headers, signal: controller.signal }, report, "cancel");
    return { httpStatus: response.status };
  } catch (caught) {
    const error = toTransportError(caught, controller.signal);
    return { error: error.kind === "aborted" ? `no answer within ${timeoutMs} ms` : error.message };
  } finally {
    clearTimeout(timer);
  }
}
