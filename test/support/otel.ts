/**
 * The OpenTelemetry SDK as an application sets it up, with in-memory
 * exporters: a tracer provider with the in-memory span exporter, an
 * AsyncLocalStorage context manager, the W3C propagator and a meter provider
 * whose metrics are collected on demand. `useOtel()` registers them globally
 * and the instrumentation(s) through `registerInstrumentations` for each
 * test, and undoes all of it afterwards.
 *
 * @example
 * const otel = useOtel();
 * it("...", async () => {
 *   await otel.underCaller(() => runtime.run(invocation));
 *   expect(otel.spans().map((span) => span.name)).toEqual([...]);
 * });
 */
import { context, metrics, propagation, trace, type Span } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { registerInstrumentations, type Instrumentation } from "@opentelemetry/instrumentation";
import { MeterProvider, MetricReader, type DataPoint } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterEach, beforeEach } from "vitest";
import { ExecutorRuntimeInstrumentation, type ExecutorRuntimeInstrumentationConfig } from "../../src/otel/index.js";

/** A metric reader that exports nothing on its own: the test collects when it asks. */
class TestMetricReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** Options of `useOtel`. */
export interface OtelOptions {
  /** The instrumentation's configuration. */
  readonly config?: ExecutorRuntimeInstrumentationConfig;
  /** More instrumentations to register beside it (instrumentation-undici). */
  readonly others?: () => Instrumentation[];
}

/** The SDK of the current test. */
export interface Otel {
  /** The instrumentation registered for the current test. */
  readonly instrumentation: ExecutorRuntimeInstrumentation;
  /** The spans ended so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** The one ended span named `name`; throws when there is not exactly one. */
  span(name: string): ReadableSpan;
  /** Runs `body` under a caller's span (ended afterwards), as an application's request handler would. */
  underCaller<T>(body: () => Promise<T>): Promise<{ value: T; caller: Span }>;
  /** The data points of each metric, collected now. */
  metrics(): Promise<Map<string, DataPoint<unknown>[]>>;
}

/** Sets the SDK up around each test of the file. */
export function useOtel(options: OtelOptions = {}): Otel {
  let state:
    | { exporter: InMemorySpanExporter; reader: TestMetricReader; instrumentation: ExecutorRuntimeInstrumentation; teardown: () => Promise<void> }
    | undefined;
  const current = () => {
    if (state === undefined) throw new Error("useOtel: used outside a test");
    return state;
  };

  beforeEach(() => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const contextManager = new AsyncLocalStorageContextManager().enable();
    trace.setGlobalTracerProvider(tracerProvider);
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const reader = new TestMetricReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(meterProvider);
    // Made per test: an instrumentation keeps the tracer of the provider it was first given.
    const instrumentation = new ExecutorRuntimeInstrumentation(options.config);
    const unload = registerInstrumentations({ instrumentations: [instrumentation, ...(options.others?.() ?? [])] });
    state = {
      exporter,
      reader,
      instrumentation,
      teardown: async () => {
        unload();
        await meterProvider.shutdown();
        await tracerProvider.shutdown();
        contextManager.disable();
        trace.disable();
        context.disable();
        propagation.disable();
        metrics.disable();
      },
    };
  });
  afterEach(async () => {
    await state?.teardown();
    state = undefined;
  });

  return {
    get instrumentation() {
      return current().instrumentation;
    },
    spans: () => current().exporter.getFinishedSpans(),
    span(name) {
      const found = current()
        .exporter.getFinishedSpans()
        .filter((span) => span.name === name);
      if (found.length !== 1) throw new Error(`expected one span named ${name}, found ${found.length}`);
      return found[0]!;
    },
    async underCaller(body) {
      const caller = trace.getTracer("test").startSpan("caller");
      try {
        const value = await context.with(trace.setSpan(context.active(), caller), body);
        return { value, caller };
      } finally {
        caller.end();
      }
    },
    async metrics() {
      const { resourceMetrics } = await current().reader.collect();
      const points = new Map<string, DataPoint<unknown>[]>();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) points.set(metric.descriptor.name, metric.dataPoints as DataPoint<unknown>[]);
      }
      return points;
    },
  };
}
