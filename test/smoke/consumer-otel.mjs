// Loads the packed package's OpenTelemetry subpath (with @opentelemetry/api
// and @opentelemetry/instrumentation installed, no SDK) and runs an
// invocation with the instrumentation enabled: the API's no-op tracer and
// meter stand in, and the run goes through the instrumented channels.
import diagnosticsChannel from "node:diagnostics_channel";
import { ExecutorRuntime, ManualRunner, buildResult } from "executor-runtime";
import { ExecutorRuntimeInstrumentation, RUN_ATTRIBUTES } from "executor-runtime/otel";

const subscribed = () => diagnosticsChannel.hasSubscribers("tracing:executor-runtime:run:start");
const instrumentation = new ExecutorRuntimeInstrumentation();
if (!subscribed()) throw new Error("otel: the instrumentation did not subscribe to the run channel");
const runtime = new ExecutorRuntime().register("manual", new ManualRunner((invocation) => buildResult(invocation, { status: "succeeded" })));
const result = await runtime.run({ invocation_id: "smoke-otel", runtime_name: "smoke", runtime_kind: "manual" });
if (result.status !== "succeeded") throw new Error(`otel: unexpected result ${JSON.stringify(result)}`);
instrumentation.disable();
if (subscribed()) throw new Error("otel: disable() left a subscriber");
console.log(`otel subpath: ok (import, enable, run ${result.status}, disable; ${RUN_ATTRIBUTES.outcome})`);
