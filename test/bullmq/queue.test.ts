import diagnosticsChannel from "node:diagnostics_channel";
import { Queue, QueueEvents } from "bullmq";
import { describe, expect, it } from "vitest";
import { createInvocationWorker, enqueueInvocation, waitForResult, type InvocationProgress } from "../../src/bullmq/index.js";
import { startFakeBackend } from "../../examples/fake-backend.js";
import type { EnqueueMessage, RunMessage } from "../../src/diagnostics/channels.js";
import { asyncHttpMetadata } from "../../src/http/metadata/builders.js";
import { useQueueFixture } from "../support/queue-fixture.js";
import { jobInvocation, quickRuntime } from "../support/queue-runtime.js";
import { expectRxpValid } from "../support/rxp-schema.js";

const fixture = useQueueFixture();

let queueCount = 0;


/** A fresh queue name, its Queue and QueueEvents, closed after the test. */
async function openQueue() {
  const name = `invocations-${++queueCount}`;
  const queue = new Queue(name, { connection: fixture.redis.connection });
  const events = new QueueEvents(name, { connection: fixture.redis.connection });
  fixture.closers.push(() => queue.close(), () => events.close());
  await events.waitUntilReady();
  return { name, queue, events };
}

function startWorker(name: string, options: { concurrency?: number; abortOnClose?: boolean } = {}) {
  const runtime = quickRuntime();
  const worker = createInvocationWorker(name, runtime, { connection: fixture.redis.connection, ...options });
  fixture.closers.push(async () => {
    await worker.close();
    await runtime.close();
  });
  return worker;
}

describe("executor-runtime/bullmq", () => {
  it("runs an enqueued invocation and resolves waitForResult to its RuntimeResult", async () => {
    const { name, queue } = await openQueue();
    startWorker(name);
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("single"), "single"));
    const result = await waitForResult(queue, "single");
    expect(result).toMatchObject({ invocation_id: "single", status: "succeeded", metadata: { "http.last_status": "succeeded" } });
    expectRxpValid(result);
  });

  it("keeps the trace context a tracer writes at enqueue time with the job, and runs the invocation under it", async () => {
    const { name, queue } = await openQueue();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const onEnqueue = (message: unknown): void => {
      (message as EnqueueMessage).traceContext.traceparent = traceparent;
    };
    const runs: RunMessage[] = [];
    const run = diagnosticsChannel.tracingChannel<object, RunMessage>("executor-runtime:run");
    const handlers = { start: (message: RunMessage) => void runs.push(message) } as diagnosticsChannel.TracingChannelSubscribers<RunMessage>;
    diagnosticsChannel.subscribe("executor-runtime:enqueue", onEnqueue);
    run.subscribe(handlers);
    fixture.closers.push(async () => {
      diagnosticsChannel.unsubscribe("executor-runtime:enqueue", onEnqueue);
      run.unsubscribe(handlers);
    });
    const job = await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("traced"), "traced"));
    expect(job.data.traceContext).toEqual({ traceparent });
    startWorker(name);
    expect((await waitForResult(queue, "traced")).status).toBe("succeeded");
    expect(runs.map((message) => [message.invocationId, message.traceContext])).toEqual([["traced", { traceparent }]]);
  });

  it("runs an invocation enqueued twice once", async () => {
    const { name, queue, events } = await openQueue();
    const invocation = jobInvocation(fixture.backend.kickoffUrl("twice"), "twice");
    const [first, second] = [await enqueueInvocation(queue, invocation), await enqueueInvocation(queue, invocation)];
    expect(second.id).toBe(first.id);
    startWorker(name);
    expect((await waitForResult(events, "twice")).status).toBe("succeeded");
    expect(await queue.getJobCounts("completed", "waiting", "active")).toEqual({ completed: 1, waiting: 0, active: 0 });
    expect(fixture.backend.kickoffs("twice")).toBe(1);
  });

  it("stores the kickoff mark and the checkpoint in the job data, and forwards events as progress", async () => {
    const { name, queue } = await openQueue();
    const worker = startWorker(name);
    const progress: InvocationProgress[] = [];
    worker.on("progress", (_job, value) => void progress.push(value as unknown as InvocationProgress));
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("marked"), "marked"));
    await waitForResult(queue, "marked");
    const job = await queue.getJob("marked");
    expect(job?.data).toMatchObject({ kickoffSentAt: expect.any(String), checkpoint: { version: 1, pollUrl: `${fixture.backend.origin}/jobs/job-${fixture.backend.jobsCreated}` } });
    expect(progress.map((p) => p.event.type)).toEqual(["kickoff", "accepted", "poll", "wait", "poll", "terminal"]);
    expect(progress.at(-1)).toMatchObject({ polls: 2, lastStatus: "succeeded" });
    expect(JSON.stringify(progress)).not.toContain("checkpoint");
  });

  it("resumes a job that carries a checkpoint without a second kickoff", async () => {
    const { name, queue } = await openQueue();
    const job = await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("resumed"), "resumed"));
    // What a worker that died while polling leaves behind: the backend has the job, the queue job its checkpoint.
    const kickoff = await fetch(fixture.backend.kickoffUrl("resumed"), { method: "POST" });
    const pollUrl = new URL(kickoff.headers.get("location") ?? "", fixture.backend.origin).href;
    const acceptedAt = new Date().toISOString();
    await job.updateData({ ...job.data, kickoffSentAt: acceptedAt, checkpoint: { version: 1, pollUrl, acceptedAt } });
    startWorker(name);
    const result = await waitForResult(queue, "resumed");
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.poll_url": pollUrl } });
    expect(fixture.backend.kickoffs("resumed")).toBe(1);
  });

  it.each([
    [false, "failed"],
    [true, "succeeded"],
  ] as const)("with a kickoff mark but no checkpoint and an idempotency key %s, the job ends %s", async (key, status) => {
    const { name, queue } = await openQueue();
    const id = `window-${String(key)}`;
    const job = await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl(id), id, key));
    await job.updateData({ ...job.data, kickoffSentAt: "2026-01-01T00:00:00.000Z" });
    startWorker(name);
    const result = await waitForResult(queue, id);
    expect(result.status).toBe(status);
    expect(fixture.backend.kickoffs(id)).toBe(key ? 1 : 0);
    if (!key) {
      expect(result.error_summary).toMatch(/kickoff's outcome is unknown; it was not re-sent to avoid a duplicate job/);
      expectRxpValid(result);
    }
  });

  it("lets in-flight runs finish on close() by default, and aborts them with abortOnClose", async () => {
    const { name, queue } = await openQueue();
    fixture.backend.holdRuns = true;
    try {
      const patient = startWorker(name);
      await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("finish"), "finish"));
      await fixture.backend.waitFor(() => fixture.backend.polls("finish") > 0);
      const closing = patient.close();
      fixture.backend.holdRuns = false;
      await closing;
      expect((await queue.getJob("finish"))?.returnvalue).toMatchObject({ status: "succeeded" });

      fixture.backend.holdRuns = true;
      const hasty = startWorker(name, { abortOnClose: true });
      await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("abort"), "abort"));
      await fixture.backend.waitFor(() => fixture.backend.polls("abort") > 0);
      await hasty.close();
      expect((await queue.getJob("abort"))?.returnvalue).toMatchObject({ status: "cancelled" });
    } finally {
      fixture.backend.holdRuns = false;
    }
  });

  it("never rewrites the queue's settings from waitForResult: an events stream length of 50,000 stays (issue 16)", async () => {
    const name = `invocations-${++queueCount}`;
    const queue = new Queue(name, { connection: fixture.redis.connection, streams: { events: { maxLen: 50_000 } } });
    const events = new QueueEvents(name, { connection: fixture.redis.connection });
    fixture.closers.push(() => queue.close(), () => events.close());
    await queue.getVersion(); // resolves once the queue has written its settings
    expect((await queue.getMeta()).maxLenEvents).toBe(50_000);
    startWorker(name);
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("settings"), "settings"));
    expect(await waitForResult(events, "settings")).toMatchObject({ status: "succeeded" });
    expect((await queue.getMeta()).maxLenEvents).toBe(50_000);
  });

  it("rejects waitForResult with the signal's reason when aborted", async () => {
    const { events } = await openQueue();
    const controller = new AbortController();
    const waiting = waitForResult(events, "never-enqueued", { signal: controller.signal });
    controller.abort(new Error("gave up"));
    await expect(waiting).rejects.toThrow("gave up");
  });

  it("runs 1,000 invocations on two workers, each kicked off once, spread over both", async () => {
    const fake = await startFakeBackend({ runningPolls: 1, retryAfterSeconds: 0 });
    fixture.closers.push(() => fake.close());
    const { name, queue, events } = await openQueue();
    const workers = [startWorker(name, { concurrency: 50 }), startWorker(name, { concurrency: 50 })];
    const perWorker = workers.map(() => 0);
    workers.forEach((worker, index) => worker.on("completed", () => void perWorker[index]!++));
    const ids = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
    await Promise.all(
      ids.map((id) =>
        enqueueInvocation(queue, {
          invocation_id: id,
          runtime_name: "fake-backend",
          runtime_kind: "http_async",
          metadata: asyncHttpMetadata({
            url: fake.url(`/v1/jobs?invocation=${id}`),
            pollStatusPath: "status",
            pollTerminalStates: ["succeeded", "failed"],
            pollSuccessStates: ["succeeded"],
            pollMaxConsecutiveErrors: 1, // the fake backend answers the first poll 429
          }),
        }),
      ),
    );
    const results = await Promise.all(ids.map((id) => waitForResult(events, id)));
    expect(results.filter((result) => result.status !== "succeeded")).toEqual([]);
    const kickoffs = new Map<string, number>();
    for (const request of fake.requests) if (request.method === "POST") kickoffs.set(request.path, (kickoffs.get(request.path) ?? 0) + 1);
    expect(kickoffs.size).toBe(1000);
    expect([...kickoffs.values()].every((count) => count === 1)).toBe(true);
    expect(perWorker[0]! + perWorker[1]!).toBe(1000);
    expect(Math.min(...perWorker)).toBeGreaterThan(0);
  }, 60_000);
});
