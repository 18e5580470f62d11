import type { DiagLogger, Tracer } from "@opentelemetry/api";
import type { RunInstruments } from "./metrics.js";

/**
 * What the channel handlers take from the instrumentation. Read at each
 * message, since `registerInstrumentations` and `setTracerProvider` /
 * `setMeterProvider` replace the tracer and the instruments after the
 * handlers are subscribed.
 */
export interface Telemetry {
  tracer(): Tracer;
  instruments(): RunInstruments;
  readonly diag: DiagLogger;
}

/**
 * Calls `handler` so that nothing it throws reaches the publisher: Node
 * would re-throw a subscriber's error as an uncaught exception, and a tracer
 * bug must never break a run.
 */
export function guarded<M>(diag: DiagLogger, what: string, handler: (message: M) => void): (message: M) => void {
  return (message) => {
    try {
      handler(message);
    } catch (error) {
      diag.error(`${what} failed`, error);
    }
  };
}
