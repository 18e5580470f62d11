import { toTransportError } from "../../http/transport/transport-error.js";
import type { TransportRequest } from "../../http/transport/transport.js";
import type { HttpRun } from "../http-run.js";

/** The cancel request's answer: its HTTP status, or what went wrong. */
export type CancelAnswer = { readonly httpStatus: number; readonly error?: undefined } | { readonly error: string };

/**
 * Sends the best-effort cancel request of a stopped run, bounded by the
 * runner's `cancelTimeoutMs` (the run's own signal is aborted by then).
 */
export async function sendCancel(run: HttpRun, request: Omit<TransportRequest, "signal">): Promise<CancelAnswer> {
  const timeoutMs = run.options.cancelTimeoutMs;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error("cancel request timed out")), timeoutMs);
  try {
    const response = await run.send({ ...request, signal: controller.signal }, "cancel");
    return { httpStatus: response.status };
  } catch (caught) {
    const error = toTransportError(caught, controller.signal);
    return { error: error.kind === "aborted" ? `no answer within ${timeoutMs} ms` : error.message };
  } finally {
    clearTimeout(timer);
  }
}
