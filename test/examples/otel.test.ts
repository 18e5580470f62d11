import { SpanKind } from "@opentelemetry/api";
import { AggregationTemporality, InMemoryMetricExporter } from "@opentelemetry/sdk-metrics";
import { ExportResultCode } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { runTracedExample } from "../../examples/otel.js";

describe("examples/otel.ts", () => {
  it("traces the run under the application's span, with its requests under the run, and exports the run metrics", async () => {
    // The exporters are shut down with the providers; the in-memory span exporter forgets its spans then.
    const finished: ReadableSpan[] = [];
    const spans: SpanExporter = {
      export: (batch, done) => {
        finished.push(...batch);
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: async () => {},
    };
    const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const result = await runTracedExample({ spans, metrics, retryAfterSeconds: 0, pollIntervalSeconds: 0 });
    expect(result.status).toBe("succeeded");

    const app = finished.find((span) => span.name === "POST /reports");
    const run = finished.find((span) => span.name === "executor.run http_async");
    expect(run?.parentSpanContext?.spanId).toBe(app?.spanContext().spanId);
    const requests = finished.filter((span) => span.kind === SpanKind.CLIENT);
    expect(requests.map((span) => [span.name, span.parentSpanContext?.spanId])).toEqual([
      ["POST", run?.spanContext().spanId],
      ["GET", run?.spanContext().spanId],
      ["GET", run?.spanContext().spanId],
      ["GET", run?.spanContext().spanId],
    ]);
    const exported = metrics.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics));
    const runs = exported.find((metric) => metric.descriptor.name === "executor_runtime.runs");
    expect(runs?.dataPoints.map((point) => [point.attributes["executor_runtime.outcome"], point.value])).toEqual([["succeeded", 1]]);
  });
});
