import { toTransportError } from "../http/transport/transport-error.js";
import type { Transport, TransportRequest, TransportResponse } from "../http/transport/transport.js";
import { channels, type RequestMessage, type RequestPhase } from "./channels.js";

/** What a traced request says of itself besides its method. */
export interface RequestLabel {
  readonly invocationId: string;
  readonly phase: RequestPhase;
  /** The request's URL, redacted. */
  readonly url: string;
  readonly attempt: number | undefined;
}

/**
 * Sends `request` as one request on the `executor-runtime:request` channel,
 * in the order of a TracingChannel's `tracePromise`: `start` (when a
 * subscriber may add headers), `end`, then `error` for a request that got no
 * answer, `asyncStart` and `asyncEnd`. Call it only when the channel has
 * subscribers.
 */
export async function traceRequest(transport: Transport, request: TransportRequest, label: RequestLabel): Promise<TransportResponse> {
  let added: Record<string, string> | undefined;
  let open = true;
  const message: RequestMessage = {
    ...label,
    method: request.method,
    addHeader(name, value) {
      if (open) (added ??= {})[name.toLowerCase()] = value;
    },
  };
  const channel = channels.request;
  channel.start.publish(message);
  open = false;
  // The run's own headers win over a subscriber's.
  const sent = added === undefined ? request : { ...request, headers: { ...added, ...request.headers } };
  const pending = transport.send(sent);
  channel.end.publish(message);
  try {
    const response = await pending;
    message.statusCode = response.status;
    return response;
  } catch (error) {
    const failure = toTransportError(error, request.signal);
    message.error = { kind: failure.kind, message: failure.message };
    channel.error.publish(message);
    throw failure;
  } finally {
    channel.asyncStart.publish(message);
    channel.asyncEnd.publish(message);
  }
}
