import { SpanKind, context, trace } from "@opentelemetry/api";
import { TraceState } from "@opentelemetry/core";
import diagnosticsChannel from "node:diagnostics_channel";
import { describe, expect, it, onTestFinished } from "vitest";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { ExecutorRuntime } from "../../src/runtime.js";
import { loopbackBackend, loopbackInvocation } from "../support/async-http.js";
import { fakeClock } from "../support/fake-clock.js";
import { useOtel } from "../support/otel.js";
import type { ScriptedServer } from "../support/scripted-server.js";

const otel = useOtel();

/** A backend on 127.0.0.1 that accepts a run and reports it completed at the second poll. */
function backend(): Promise<ScriptedServer> {
  return loopbackBackend([{ status: 202, json: { id: "7" } }, { json: { status: "running" } }, { json: { status: "completed" } }]);
}

/** A runtime whose AsyncHttpRunner sends through undici (no fetch option), on a virtual clock. */
function runtime(): ExecutorRuntime {
  const clock = fakeClock();
  const created = new ExecutorRuntime().register("http_async", new AsyncHttpRunner({ sleep: clock.sleep, now: clock.now }));
  onTestFinished(() => created.close());
  return created;
}

describe("trace context propagation", () => {
  it("sends each request with a traceparent of the caller's trace naming the request's span, and the caller's tracestate", async () => {
    const server = await backend();
    const caller = trace.setSpanContext(context.active(), {
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: "b7ad6b7169203331",
      traceFlags: 1,
      traceState: new TraceState("vendor=opaque"),
    });
    const result = await context.with(caller, () => runtime().run(loopbackInvocation(server.origin)));
    expect(result.status).toBe("succeeded");
    const requests = otel.spans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(server.requests.map((request) => [request.method, request.headers.traceparent, request.headers.tracestate])).toEqual(
      requests.map((span) => [span.name, `00-0af7651916cd43dd8448eb211c80319c-${span.spanContext().spanId}-01`, "vendor=opaque"]),
    );
    expect(requests.map((span) => span.attributes["server.address"])).toEqual(["127.0.0.1", "127.0.0.1", "127.0.0.1"]);
  });

  it("with requestSpans false, makes no request span, adds no header, and leaves the request channel without a subscriber", async () => {
    otel.instrumentation.setConfig({ requestSpans: false });
    expect(diagnosticsChannel.hasSubscribers("tracing:executor-runtime:request:start")).toBe(false);
    const server = await backend();
    const { caller } = await otel.underCaller(() => runtime().run(loopbackInvocation(server.origin)));
    expect(server.requests.map((request) => request.headers.traceparent)).toEqual([undefined, undefined, undefined]);
    expect(otel.spans().map((span) => span.name)).toEqual(["executor.run http_async", "caller"]);
    expect(otel.span("executor.run http_async").parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
  });
});
