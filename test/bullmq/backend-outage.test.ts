import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createInvocationWorker, enqueueInvocation, waitForResult } from "../../src/bullmq/index.js";
import { startJobBackend, type JobBackend } from "../support/job-backend.js";
import { jobInvocation, quickRuntime } from "../support/queue-runtime.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";

let redis: RedisServer;
let backend: JobBackend;
let queueCount = 0;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  backend = await startJobBackend();
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  backend.outage = undefined;
  backend.holdRuns = false;
});
afterAll(async () => {
  await backend?.close();
  await redis?.stop();
});

/** A fresh queue with one worker on it. */
function openQueueWithWorker(): Queue {
  const name = `outage-${++queueCount}`;
  const queue = new Queue(name, { connection: redis.connection });
  const runtime = quickRuntime();
  const worker = createInvocationWorker(name, runtime, { connection: redis.connection, concurrency: 10 });
  closers.push(() => queue.close(), () => worker.close(), () => runtime.close());
  return queue;
}

describe("a backend outage (issue 16)", () => {
  it("is ridden through by runs that poll: 503 answers, then dropped connections, and every run ends succeeded with one kickoff", async () => {
    const queue = openQueueWithWorker();
    const ids = ["poll-1", "poll-2", "poll-3", "poll-4", "poll-5", "poll-6"];
    backend.holdRuns = true;
    for (const id of ids) await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl(id), id, false, { pollMaxConsecutiveErrors: 10_000 }));
    await backend.waitFor(() => ids.every((id) => backend.polls(id) > 0));

    backend.outage = "unavailable";
    await backend.waitFor(() => backend.refused >= 30);
    backend.outage = "drop";
    await backend.waitFor(() => backend.refused >= 60);
    backend.outage = undefined;
    backend.holdRuns = false;

    const results = await Promise.all(ids.map((id) => waitForResult(queue, id)));
    expect(results.map((result) => result.status)).toEqual(ids.map(() => "succeeded"));
    expect(ids.map((id) => backend.kickoffs(id))).toEqual(ids.map(() => 1));
  });

  it.each([
    ["unavailable", "answered HTTP 503"],
    ["drop", "failed: socket closed"],
  ] as const)("fails a kickoff met by an outage (%s) without an idempotency key once, saying so, and never re-sends it", async (outage, said) => {
    const queue = openQueueWithWorker();
    const id = `kickoff-${outage}`;
    backend.outage = outage;
    await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl(id), id));
    const result = await waitForResult(queue, id);
    backend.outage = undefined;

    expect(result).toMatchObject({ status: "failed", error_summary: expect.stringContaining(`kickoff POST ${backend.kickoffUrl(id)} ${said}`) });
    expect(backend.kickoffs(id)).toBe(1);
    expect(await queue.getJobCounts("completed", "active", "waiting")).toEqual({ completed: 1, active: 0, waiting: 0 });
  });
});
