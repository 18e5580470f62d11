import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import type { Checkpoint } from "../../src/contracts/checkpoint.js";
import { buildResult } from "../../src/contracts/result.js";
import { enqueueInvocation } from "../../src/bullmq/enqueue.js";
import type { RunOptions } from "../../src/runners/runner.js";
import { ManualRunner } from "../../src/runners/manual.js";
import { ExecutorRuntime } from "../../src/runtime.js";
import { ExecutorRuntimeInstrumentation } from "../../src/otel/index.js";
import { API, asyncInvocation, asyncRunner, useMswServer } from "../support/async-http.js";
import { fakeClock } from "../support/fake-clock.js";
import { scriptBackend, type ScriptedAnswer } from "../support/msw-backend.js";
import { useOtel } from "../support/otel.js";

const server = useMswServer();
const otel = useOtel();

function backend(polls: readonly ScriptedAnswer[]) {
  return scriptBackend(server, { [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }], [`GET ${API}/runs/1`]: polls });
}

function runtime(): ExecutorRuntime {
  return new ExecutorRuntime().register("http_async", asyncRunner(fakeClock()));
}

describe(ExecutorRuntimeInstrumentation.name, () => {
  it("makes a run span under the caller's span, with a CLIENT span per request beneath it", async () => {
    backend([{ json: { status: "running" } }, { json: { status: "completed" } }]);
    const { caller } = await otel.underCaller(() => runtime().run(asyncInvocation()));
    const run = otel.span("executor.run http_async");
    expect(run.kind).toBe(SpanKind.INTERNAL);
    expect(run.spanContext().traceId).toBe(caller.spanContext().traceId);
    expect(run.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(run.status).toEqual({ code: SpanStatusCode.UNSET });
    expect(run.attributes).toEqual({
      "executor_runtime.invocation.id": "inv-1",
      "executor_runtime.runtime.name": "backend",
      "executor_runtime.runtime.kind": "http_async",
      "executor_runtime.resumed": false,
      "executor_runtime.outcome": "succeeded",
      "executor_runtime.polls": 2,
      "executor_runtime.backend.run_id": "1",
      "executor_runtime.backend.status": "completed",
      "executor_runtime.http.status_code": 200,
      "executor_runtime.exit_code": 0,
    });
    const requests = otel.spans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(requests.map((span) => [span.name, span.attributes["executor_runtime.request.phase"], span.parentSpanContext?.spanId])).toEqual([
      ["POST", "kickoff", run.spanContext().spanId],
      ["GET", "poll", run.spanContext().spanId],
      ["GET", "poll", run.spanContext().spanId],
    ]);
    expect(requests[1]?.attributes).toEqual({
      "http.request.method": "GET",
      "url.full": `${API}/runs/1`,
      "url.scheme": "https",
      "server.address": "api.test",
      "server.port": 443,
      "http.response.status_code": 200,
      "executor_runtime.request.phase": "poll",
      "executor_runtime.request.attempt": 1,
    });
  });

  it.for<[string, string | undefined, Record<string, unknown>, RunOptions]>([
    ["failed", "failed", {}, {}],
    ["timed_out", "running", { timeout_seconds: 5 }, {}],
    ["cancelled", "running", {}, { signal: AbortSignal.abort() }],
    ["rejected", undefined, {}, {}],
  ])("ends the run span of a %s run with an error status carrying the summary", async ([status, polled, fields, options]) => {
    if (polled !== undefined) backend([{ json: { status: polled } }]);
    const invocation = status === "rejected" ? { ...asyncInvocation(), runtime_kind: "nowhere" } : asyncInvocation({}, fields);
    const { value: result } = await otel.underCaller(() => runtime().run(invocation, options));
    expect(result.status).toBe(status);
    const run = otel.spans().find((span) => span.name.startsWith("executor.run"));
    expect(run?.status).toEqual({ code: SpanStatusCode.ERROR, message: result.error_summary });
    expect(run?.attributes).toMatchObject({ "executor_runtime.outcome": status, "error.type": status });
    expect(run?.parentSpanContext?.spanId).toBe(otel.span("caller").spanContext().spanId);
  });

  it("records waits, pending answers and retries as events of the run span", async () => {
    backend([{ status: 404 }, { status: 503, body: "busy" }, { json: { status: "completed" } }]);
    const invocation = asyncInvocation({ "http.poll_pending_codes": "404", "http.poll_max_consecutive_errors": "1", "http.poll_interval_seconds": "2" });
    await runtime().run(invocation);
    const events = otel.span("executor.run http_async").events.map((event) => [event.name, event.attributes]);
    expect(events).toEqual([
      ["executor_runtime.pending", { "executor_runtime.poll.attempt": 1, "http.response.status_code": 404 }],
      ["executor_runtime.wait", { "executor_runtime.wait.delay_ms": 2000, "executor_runtime.wait.source": "interval" }],
      ["executor_runtime.retry", { "executor_runtime.poll.attempt": 2, "executor_runtime.retry.error": "HTTP 503: busy" }],
      ["executor_runtime.wait", { "executor_runtime.wait.delay_ms": 2000, "executor_runtime.wait.source": "interval" }],
    ]);
    const statuses = otel.spans().filter((span) => span.kind === SpanKind.CLIENT).map((span) => [span.attributes["http.response.status_code"], span.status.code, span.attributes["error.type"]]);
    expect(statuses).toEqual([
      [202, SpanStatusCode.UNSET, undefined],
      [404, SpanStatusCode.ERROR, "404"],
      [503, SpanStatusCode.ERROR, "503"],
      [200, SpanStatusCode.UNSET, undefined],
    ]);
  });

  it("continues the trace a run carries in RunOptions.traceContext, and links a resumed run to it", async () => {
    backend([{ json: { status: "completed" } }]);
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const checkpoint: Checkpoint = { version: 1, pollUrl: `${API}/runs/1`, runId: "1", acceptedAt: new Date(Date.UTC(2026, 0, 1)).toISOString() };
    await runtime().run(asyncInvocation(), { traceContext: { traceparent } });
    await runtime().run(asyncInvocation(), { traceContext: { traceparent }, resume: checkpoint });
    const [first, resumed] = otel.spans().filter((span) => span.name === "executor.run http_async");
    for (const span of [first, resumed]) {
      expect(span?.spanContext().traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
      expect(span?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    }
    expect(first?.links).toEqual([]);
    expect(resumed?.attributes["executor_runtime.resumed"]).toBe(true);
    expect(resumed?.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([["4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"]]);
  });

  it("makes the run span the active context of the runner, so spans the runner starts, after an await too, nest under it", async () => {
    const runner = new ManualRunner(async (invocation) => {
      await Promise.resolve();
      trace.getTracer("backend-client").startSpan("dispatch").end();
      return buildResult(invocation, { status: "succeeded" });
    });
    await new ExecutorRuntime().register("manual", runner).run({ invocation_id: "m-1", runtime_name: "manual", runtime_kind: "manual" });
    expect(otel.span("dispatch").parentSpanContext?.spanId).toBe(otel.span("executor.run manual").spanContext().spanId);
  });

  it("writes the caller's trace context into a job at enqueue time", async () => {
    const queue = { opts: {}, add: async (_name: string, data: unknown, options: { jobId: string }) => ({ id: options.jobId, data }) };
    const { value: job, caller } = await otel.underCaller(() =>
      enqueueInvocation(queue as never, { invocation_id: "job-1", runtime_name: "r", runtime_kind: "http_async" }),
    );
    const { traceId, spanId } = caller.spanContext();
    expect(job.data.traceContext).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
  });
});
