import { toTransportError } from "../../http/transport/transport-error.js";
import type { TransportRequest, TransportResponse } from "../../http/transport/transport.js";

/** The cancel request's answer: its HTTP status, or what went wrong. */
export type CancelAnswer = { readonly httpStatus: number; readonly error?: undefined } | { readonly error: string };

/**
 * Sends the best-effort cancel request of a stopped run through `send`,
 * bounded by `timeoutMs` of its own (the run's own signal is aborted by then).
 */
export async function sendCancel(
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
