import { DiagLogLevel, diag, type Tracer } from "@opentelemetry/api";
import diagnosticsChannel from "node:diagnostics_channel";
import { describe, expect, it, onTestFinished } from "vitest";
import { ExecutorRuntime } from "../../src/runtime.js";
import { API, asyncInvocation, asyncRunner, useMswServer } from "../support/async-http.js";
import { fakeClock } from "../support/fake-clock.js";
import { scriptBackend } from "../support/msw-backend.js";
import { useOtel } from "../support/otel.js";

const server = useMswServer();
const otel = useOtel();

const CHANNELS = ["tracing:executor-runtime:run:start", "tracing:executor-runtime:request:start", "executor-runtime:enqueue"];

function backend() {
  return scriptBackend(server, {
    [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
    [`GET ${API}/runs/1`]: [{ json: { status: "completed" } }],
  });
}

function runtime(): ExecutorRuntime {
  return new ExecutorRuntime().register("http_async", asyncRunner(fakeClock()));
}

describe("the instrumentation's safety", () => {
  it("puts no secret in any span: neither the values of http.headers nor a token in the query, even when the backend echoes them", async () => {
    const token = "Bearer s3cret-t0ken-4711";
    const echo = `token ${token} rejected`;
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ status: 503, body: echo }, { json: { status: "failed", error: echo } }],
    });
    const invocation = asyncInvocation({
      "http.url": `${API}/runs?api_key=qu3ry-s3cret`,
      "http.headers": JSON.stringify({ Authorization: token }),
      "http.poll_max_consecutive_errors": "1",
    });
    const { value: result } = await otel.underCaller(() => runtime().run(invocation));
    expect(result.status).toBe("failed");

    const recorded = JSON.stringify(
      otel.spans().map((span) => [span.name, span.attributes, span.events, span.status, span.links]),
    );
    expect(recorded).toContain("[REDACTED]");
    expect(recorded).toContain("executor_runtime.retry");
    expect(recorded).not.toMatch(/s3cret/);
  });

  it("stops tracing, counting and injecting on disable(), and starts again, once, on enable()", async () => {
    const requests = backend();
    otel.instrumentation.disable();
    expect(CHANNELS.map((name) => diagnosticsChannel.hasSubscribers(name))).toEqual([false, false, false]);
    await otel.underCaller(() => runtime().run(asyncInvocation()));
    expect(otel.spans().map((span) => span.name)).toEqual(["caller"]);
    expect((await otel.metrics()).get("executor_runtime.runs")).toBeUndefined();
    expect(requests.requests.map((request) => request.headers.traceparent)).toEqual([undefined, undefined]);

    otel.instrumentation.enable();
    otel.instrumentation.enable();
    await runtime().run(asyncInvocation());
    expect(otel.spans().map((span) => span.name)).toEqual(["caller", "POST", "GET", "executor.run http_async"]);
    expect(requests.requests.filter((request) => request.headers.traceparent !== undefined)).toHaveLength(2);
  });

  it("never breaks a run when the tracer throws, and reports the error to the OpenTelemetry diagnostic logger", async () => {
    backend();
    const errors: string[] = [];
    const log = () => undefined;
    // The instrumentation's component logger passes its namespace first.
    const error = (...args: unknown[]) => void errors.push(args.slice(0, 2).join(" / "));
    diag.setLogger({ error, warn: log, info: log, debug: log, verbose: log }, DiagLogLevel.ERROR);
    onTestFinished(() => diag.disable());
    const broken = {
      startSpan: () => {
        throw new Error("tracer broke");
      },
    } as unknown as Tracer;
    otel.instrumentation.setTracerProvider({ getTracer: () => broken });

    const result = await runtime().run(asyncInvocation());

    expect(result.status).toBe("succeeded");
    expect(errors).toEqual([
      "executor-runtime / run start failed",
      "executor-runtime / request start failed",
      "executor-runtime / request start failed",
    ]);
  });
});
