// Type-checks the OpenTelemetry subpath's declarations, as a TypeScript consumer would.
import { registerInstrumentations } from "@opentelemetry/instrumentation";
import { ExecutorRuntimeInstrumentation, METRICS, type ExecutorRuntimeInstrumentationConfig } from "executor-runtime/otel";

const config: ExecutorRuntimeInstrumentationConfig = { requestSpans: false };
export const unload: () => void = registerInstrumentations({ instrumentations: [new ExecutorRuntimeInstrumentation(config)] });
export const runsMetric: "executor_runtime.runs" = METRICS.runs;
