/**
 * The trace of a queued invocation: the code that enqueues it, the worker
 * that kicks it off and dies, and the worker that resumes it are one trace.
 * The first worker is a process of its own (the worker fixture, without
 * OpenTelemetry), killed mid-run; the second runs here under the real SDK.
 */
import { SpanKind } from "@opentelemetry/api";
import { Queue } from "bullmq";
import { describe, expect, it } from "vitest";
import { createInvocationWorker, enqueueInvocation, waitForResult } from "../../src/bullmq/index.js";
import { useQueueFixture } from "../support/queue-fixture.js";
import { useOtel } from "../support/otel.js";
import { jobInvocation, quickRuntime } from "../support/queue-runtime.js";
import { useWorkerProcesses } from "../support/worker-process.js";

const fixture = useQueueFixture();
const workerProcesses = useWorkerProcesses();

// Short enough that the dead worker's job is picked up again within about two seconds.
const LOCK_DURATION_MS = 1_000;
const STALLED_INTERVAL_MS = 300;

const otel = useOtel();


/** Resolves once `read` yields true, reading every 20 ms for at most 10 s. */
async function eventually(read: () => Promise<boolean>): Promise<void> {
  for (const start = Date.now(); Date.now() - start < 10_000; ) {
    if (await read()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("condition not met within 10 s");
}

describe("a queued invocation's trace", () => {
  it("continues on the worker that resumes a run another worker started, under the enqueuing span and linked to it", async () => {
    const queue = new Queue("otel-resume", { connection: fixture.redis.connection });
    fixture.closers.push(() => queue.close());
    fixture.backend.holdRuns = true;
    const first = await workerProcesses.start({ port: fixture.redis.port, queueName: "otel-resume", lockDurationMs: LOCK_DURATION_MS, stalledIntervalMs: STALLED_INTERVAL_MS });
    fixture.closers.push(() => first.kill());

    const { caller } = await otel.underCaller(() => enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("traced-1"), "traced-1")));
    await eventually(async () => (await queue.getJob("traced-1"))?.data.checkpoint !== undefined);
    await first.kill();
    fixture.backend.holdRuns = false;

    const runtime = quickRuntime();
    const survivor = createInvocationWorker("otel-resume", runtime, { connection: fixture.redis.connection, stalledInterval: STALLED_INTERVAL_MS });
    survivor.on("error", () => undefined);
    fixture.closers.push(async () => {
      await survivor.close();
      await runtime.close();
    });
    expect((await waitForResult(queue, "traced-1")).status).toBe("succeeded");

    const { traceId, spanId } = caller.spanContext();
    const run = otel.span("executor.run http_async");
    expect(run.spanContext().traceId).toBe(traceId);
    expect(run.parentSpanContext?.spanId).toBe(spanId);
    expect(run.attributes).toMatchObject({ "executor_runtime.invocation.id": "traced-1", "executor_runtime.resumed": true });
    expect(run.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([[traceId, spanId]]);
    const requests = otel.spans().filter((span) => span.kind === SpanKind.CLIENT);
    expect(new Set(requests.map((span) => [span.attributes["executor_runtime.request.phase"], span.parentSpanContext?.spanId].join(" ")))).toEqual(
      new Set([`poll ${run.spanContext().spanId}`]),
    );
    expect(fixture.backend.kickoffs("traced-1")).toBe(1);
  }, 30_000);
});
