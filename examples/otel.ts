/**
 * Tracing runs with OpenTelemetry. An application that already has an SDK
 * registers one more instrumentation, and every run becomes a span (with a
 * client span per request under it, and an event per wait and retry) and a
 * few metrics; each request carries the trace context to the backend in a
 * `traceparent` header.
 *
 * Run it:
 *   npm run example:otel
 *
 * It starts the fake backend (examples/fake-backend.ts), sets the SDK up as
 * an application does (here with the console exporters; a service would send
 * OTLP to a collector), runs one invocation of the classic job API inside a
 * span of the application's own, and prints the spans and the metrics.
 */
import { context, metrics, propagation, trace } from "@opentelemetry/api";
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from "@opentelemetry/sdk-metrics";
import { ConsoleSpanExporter, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from "@opentelemetry/sdk-trace-node";
import { fileURLToPath } from "node:url";
// In your code: import { ... } from "executor-runtime" and "executor-runtime/otel".
import { AsyncHttpRunner, ExecutorRuntime, asyncHttpMetadata, type RuntimeResult } from "../src/index.js";
import { ExecutorRuntimeInstrumentation } from "../src/otel/index.js";
import { startFakeBackend } from "./fake-backend.js";

/** Where the example sends its telemetry, and how fast its backend answers. */
export interface TracedExampleOptions {
  readonly spans: SpanExporter;
  readonly metrics: PushMetricExporter;
  /** The fake backend's `Retry-After`. @default 1 */
  readonly retryAfterSeconds?: number;
  /** @default 0.2 */
  readonly pollIntervalSeconds?: number;
}

/** Runs one traced invocation against the fake backend; resolves to its result once the telemetry is exported. */
export async function runTracedExample(options: TracedExampleOptions): Promise<RuntimeResult> {
  const backend = await startFakeBackend({ runningPolls: 1, retryAfterSeconds: options.retryAfterSeconds ?? 1 });

  // What the application already has: a tracer provider (with the AsyncLocalStorage
  // context manager and the W3C propagator, which register() installs) and a meter provider.
  const tracerProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(options.spans)] });
  tracerProvider.register();
  const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: options.metrics })] });
  metrics.setGlobalMeterProvider(meterProvider);
  // The one line this library asks for.
  const unload = registerInstrumentations({ instrumentations: [new ExecutorRuntimeInstrumentation()] });

  const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner());
  const invocation = {
    invocation_id: "nightly-report-2026-01-31",
    runtime_name: "batch-jobs",
    runtime_kind: "http_async",
    timeout_seconds: 60,
    metadata: asyncHttpMetadata({
      url: backend.url("/v1/jobs"),
      body: { task: "nightly-report" },
      pollStatusPath: "status",
      pollTerminalStates: ["succeeded", "failed", "cancelled"],
      pollSuccessStates: ["succeeded"],
      pollIntervalSeconds: options.pollIntervalSeconds ?? 0.2,
      pollMaxConsecutiveErrors: 3,
    }),
  };
  try {
    // The application's own span, say its handler of "POST /reports": the run's span goes under it.
    return await trace.getTracer("reports-service").startActiveSpan("POST /reports", async (span) => {
      try {
        return await runtime.run(invocation);
      } finally {
        span.end();
      }
    });
  } finally {
    await runtime.close();
    await backend.close();
    unload();
    // Exports what is left; a service does this once, on its way out.
    await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
    // So that the example can run again in the same process (its test does).
    for (const api of [trace, context, propagation, metrics]) api.disable();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await runTracedExample({ spans: new ConsoleSpanExporter(), metrics: new ConsoleMetricExporter() });
  console.log(`${result.invocation_id}: ${result.status}`);
}
