import { SpanKind } from "@opentelemetry/api";
import { UndiciInstrumentation } from "@opentelemetry/instrumentation-undici";
import { describe, expect, it, onTestFinished } from "vitest";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { ExecutorRuntime } from "../../src/runtime.js";
import { loopbackBackend, loopbackInvocation } from "../support/async-http.js";
import { fakeClock } from "../support/fake-clock.js";
import { useOtel } from "../support/otel.js";

// The setup the README gives for an application that traces its HTTP calls with instrumentation-undici.
const otel = useOtel({ config: { requestSpans: false }, others: () => [new UndiciInstrumentation()] });

describe("beside @opentelemetry/instrumentation-undici", () => {
  it("nests undici's HTTP client spans under the run span, with the one traceparent undici injects", async () => {
    const server = await loopbackBackend([{ status: 202, json: { id: "7" } }, { json: { status: "running" } }, { json: { status: "completed" } }]);
    const clock = fakeClock();
    const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner({ sleep: clock.sleep, now: clock.now }));
    onTestFinished(() => runtime.close());

    const { caller } = await otel.underCaller(() => runtime.run(loopbackInvocation(server.origin)));

    const run = otel.span("executor.run http_async");
    expect(run.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    const http = otel.spans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(http.map((span) => [span.name, span.instrumentationScope.name, span.parentSpanContext?.spanId])).toEqual([
      ["POST", "@opentelemetry/instrumentation-undici", run.spanContext().spanId],
      ["GET", "@opentelemetry/instrumentation-undici", run.spanContext().spanId],
      ["GET", "@opentelemetry/instrumentation-undici", run.spanContext().spanId],
    ]);
    expect(server.requests.map((request) => request.headers.traceparent)).toEqual(
      http.map((span) => `00-${caller.spanContext().traceId}-${span.spanContext().spanId}-01`),
    );
  });
});
