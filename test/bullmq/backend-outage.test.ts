import { Queue } from "bullmq";
import { describe, expect, it } from "vitest";
import { createInvocationWorker, enqueueInvocation, waitForResult } from "../../src/bullmq/index.js";
import { useQueueFixture } from "../support/queue-fixture.js";
import { jobInvocation, quickRuntime } from "../support/queue-runtime.js";

const fixture = useQueueFixture();

let queueCount = 0;


/** A fresh queue with one worker on it. */
function openQueueWithWorker(): Queue {
  const name = `outage-${++queueCount}`;
  const queue = new Queue(name, { connection: fixture.redis.connection });
  const runtime = quickRuntime();
  const worker = createInvocationWorker(name, runtime, { connection: fixture.redis.connection, concurrency: 10 });
  fixture.closers.push(() => queue.close(), () => worker.close(), () => runtime.close());
  return queue;
}

describe("a backend outage (issue 16)", () => {
  it("is ridden through by runs that poll: 503 answers, then dropped connections, and every run ends succeeded with one kickoff", async () => {
    const queue = openQueueWithWorker();
    const ids = ["poll-1", "poll-2", "poll-3", "poll-4", "poll-5", "poll-6"];
    fixture.backend.holdRuns = true;
    for (const id of ids) await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl(id), id, false, { pollMaxConsecutiveErrors: 10_000 }));
    await fixture.backend.waitFor(() => ids.every((id) => fixture.backend.polls(id) > 0));

    fixture.backend.outage = "unavailable";
    await fixture.backend.waitFor(() => fixture.backend.refused >= 30);
    fixture.backend.outage = "drop";
    await fixture.backend.waitFor(() => fixture.backend.refused >= 60);
    fixture.backend.outage = undefined;
    fixture.backend.holdRuns = false;

    const results = await Promise.all(ids.map((id) => waitForResult(queue, id)));
    expect(results.map((result) => result.status)).toEqual(ids.map(() => "succeeded"));
    expect(ids.map((id) => fixture.backend.kickoffs(id))).toEqual(ids.map(() => 1));
  });

  it.each([
    ["unavailable", "answered HTTP 503"],
    ["drop", "failed: socket closed"],
  ] as const)("fails a kickoff met by an outage (%s) without an idempotency key once, saying so, and never re-sends it", async (outage, said) => {
    const queue = openQueueWithWorker();
    const id = `kickoff-${outage}`;
    fixture.backend.outage = outage;
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl(id), id));
    const result = await waitForResult(queue, id);
    fixture.backend.outage = undefined;

    expect(result).toMatchObject({ status: "failed", error_summary: expect.stringContaining(`kickoff POST ${fixture.backend.kickoffUrl(id)} ${said}`) });
    expect(fixture.backend.kickoffs(id)).toBe(1);
    expect(await queue.getJobCounts("completed", "active", "waiting")).toEqual({ completed: 1, active: 0, waiting: 0 });
  });
});
