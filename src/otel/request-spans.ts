import { SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Span, type TextMapSetter } from "@opentelemetry/api";
import type { TracingChannelSubscribers } from "node:diagnostics_channel";
import type { RequestMessage } from "../diagnostics/channels.js";
import { runClock, type Clock } from "./clock.js";
import { REQUEST_ATTRIBUTES } from "./names.js";
import { guarded, type Telemetry } from "./telemetry.js";

// The methods the HTTP semantic conventions know; any other is reported as `_OTHER`.
const KNOWN_METHODS = new Set(["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"]);

/** Writes the propagator's fields (`traceparent`, `tracestate`) as headers of the request. */
const HEADER_SETTER: TextMapSetter<RequestMessage> = {
  set: (message, name, value) => message.addHeader(name, value),
};

/**
 * The handlers of `tracing:executor-runtime:request:*`: a CLIENT span per
 * request, under the active context (the run span, through the run's
 * `bind`), with the HTTP semantic conventions' attributes, and its context
 * injected into the request's headers by the global propagator.
 */
export function requestHandlers(telemetry: Telemetry): Partial<TracingChannelSubscribers<RequestMessage>> {
  const spans = new WeakMap<RequestMessage, { readonly span: Span; readonly clock: Clock }>();
  return {
    start: guarded(telemetry.diag, "request start", (message: RequestMessage) => {
      const parent = context.active();
      const clock = runClock(trace.getSpan(parent));
      const method = KNOWN_METHODS.has(message.method) ? message.method : "_OTHER";
      const span = telemetry.tracer().startSpan(
        method === "_OTHER" ? "HTTP" : method,
        { kind: SpanKind.CLIENT, attributes: requestAttributes(message, method), startTime: clock() },
        parent,
      );
      spans.set(message, { span, clock });
      propagation.inject(trace.setSpan(parent, span), message, HEADER_SETTER);
    }),
    error: guarded(telemetry.diag, "request error", (message: RequestMessage) => {
      const span = spans.get(message)?.span;
      const failure = message.error;
      if (span === undefined || failure === undefined) return;
      span.setAttribute("error.type", failure.kind);
      // A request the run stopped (cancelled, out of time) is no error of the request: the run span says why.
      if (failure.kind !== "aborted") span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    }),
    asyncEnd: guarded(telemetry.diag, "request end", (message: RequestMessage) => {
      const traced = spans.get(message);
      if (traced === undefined) return;
      spans.delete(message);
      const { span, clock } = traced;
      const status = message.statusCode;
      if (status !== undefined) {
        span.setAttribute("http.response.status_code", status);
        if (status >= 400) {
          span.setAttribute("error.type", String(status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
      span.end(clock());
    }),
  };
}

/** The semantic conventions' attributes of an HTTP client request, plus the request's phase and attempt. */
function requestAttributes(message: RequestMessage, method: string): Attributes {
  // The URL comes redacted: no credentials, no secret-looking query values.
  const attributes: Attributes = {
    "http.request.method": method,
    "url.full": message.url,
    [REQUEST_ATTRIBUTES.phase]: message.phase,
  };
  if (method === "_OTHER") attributes["http.request.method_original"] = message.method;
  if (message.attempt !== undefined) {
    attributes[REQUEST_ATTRIBUTES.attempt] = message.attempt;
    if (message.phase === "kickoff" && message.attempt > 1) attributes["http.request.resend_count"] = message.attempt - 1;
  }
  const url = parseUrl(message.url);
  if (url !== undefined) {
    attributes["url.scheme"] = url.protocol.slice(0, -1);
    attributes["server.address"] = url.hostname.replace(/^\[(.*)\]$/, "$1");
    attributes["server.port"] = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  }
  return attributes;
}

// URL.parse is Node 22's.
function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
