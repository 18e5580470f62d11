import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInvocationWorker, enqueueInvocation, type InvocationRuntime } from "../../src/bullmq/index.js";
import type { RunOptions } from "../../src/runners/runner.js";
import { useQueueFixture } from "../support/queue-fixture.js";
import { jobInvocation, quickRuntime } from "../support/queue-runtime.js";

const fixture = useQueueFixture();

let admin: Redis;
let queueCount = 0;

beforeAll(() => {
  admin = new Redis(fixture.redis.connection);
});
afterAll(() => {
  admin?.disconnect();
});

/** What another worker does when it takes the job over: its own token in the job's lock. */
function takeLockOver(queueName: string, jobId: string): Promise<unknown> {
  return admin.set(`bull:${queueName}:${jobId}:lock`, "another-worker:1", "PX", 30_000);
}

/**
 * A queue and a worker whose runtime lets `intercept` act at a point of the run (the lock taken over
 * there, as by another worker while this one was frozen). `ended()` resolves with the run's status
 * once the worker has also tried to store the result and is closed.
 */
function startFencedWorker(intercept: (queueName: string, jobId: string, options: RunOptions) => RunOptions) {
  const name = `fencing-${++queueCount}`;
  const queue = new Queue(name, { connection: fixture.redis.connection });
  const runtime = quickRuntime();
  const errors: string[] = [];
  let runEnded: (status: string) => void = () => undefined;
  const status = new Promise<string>((resolve) => (runEnded = resolve));
  const wrapped: InvocationRuntime = {
    async run(invocation, options = {}) {
      const id = (invocation as { invocation_id: string }).invocation_id;
      const result = await runtime.run(invocation, intercept(name, id, options));
      runEnded(result.status);
      return result;
    },
  };
  const worker = createInvocationWorker(name, wrapped, { connection: fixture.redis.connection });
  worker.on("error", (error) => void errors.push(error.message));
  fixture.closers.push(() => queue.close(), () => worker.close(), () => runtime.close());
  // close() waits for the job in flight, its attempt to store the result included.
  const ended = async (): Promise<string> => (await Promise.all([status, status.then(() => worker.close())]))[0];
  return { queue, errors, ended };
}

describe("lock fencing (issue 16)", () => {
  it("refuses the kickoff mark once another worker holds the job's lock, stops the run without a kickoff and stores no result", async () => {
    const { queue, errors, ended } = startFencedWorker((queueName, id, options) => ({
      ...options,
      beforeKickoff: async () => {
        await takeLockOver(queueName, id);
        await options.beforeKickoff?.();
      },
    }));
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("fenced-mark"), "fenced-mark"));
    expect(await ended()).toBe("cancelled");
    expect(fixture.backend.kickoffs("fenced-mark")).toBe(0);
    const job = await queue.getJob("fenced-mark");
    expect(job?.data.kickoffSentAt).toBeUndefined();
    expect(await job?.getState()).toBe("active");
    expect(job?.returnvalue).toBeNull();
    expect(errors.some((message) => message.includes("job fenced-mark: its lock is no longer held by this worker"))).toBe(true);
  });

  it("refuses the checkpoint once the lock is lost after the kickoff, stops the run before its first poll and stores no result", async () => {
    const { queue, errors, ended } = startFencedWorker((queueName, id, options) => ({
      ...options,
      beforeKickoff: async () => {
        await options.beforeKickoff?.();
        await takeLockOver(queueName, id);
      },
    }));
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("fenced-checkpoint"), "fenced-checkpoint"));
    expect(await ended()).toBe("cancelled");
    expect(fixture.backend.kickoffs("fenced-checkpoint")).toBe(1);
    expect(fixture.backend.polls("fenced-checkpoint")).toBe(0);
    const job = await queue.getJob("fenced-checkpoint");
    expect(job?.data).toMatchObject({ kickoffSentAt: expect.any(String) });
    expect(job?.data.checkpoint).toBeUndefined();
    expect(job?.returnvalue).toBeNull();
    expect(errors.find((message) => message.startsWith("job fenced-checkpoint:"))).toMatch(/the run was abandoned/);
  });

  it("abandons a run with a cancel request once the lock is lost, sending no cancel, and stores neither its progress nor its result", async () => {
    const { queue, errors, ended } = startFencedWorker((queueName, id, options) => ({
      ...options,
      saveCheckpoint: async (checkpoint) => {
        await options.saveCheckpoint?.(checkpoint);
        await takeLockOver(queueName, id);
      },
    }));
    const invocation = jobInvocation(fixture.backend.kickoffUrl("fenced-polls"), "fenced-polls", false, { cancelUrlTemplate: "/jobs/{run_id}/cancel", pollRunIdPath: "id" });
    await enqueueInvocation(queue, invocation);
    expect(await ended()).toBe("cancelled");
    // The run stops at its first write after the takeover: the progress of the first poll, at the latest.
    expect(fixture.backend.polls("fenced-polls")).toBeLessThanOrEqual(1);
    expect(fixture.backend.cancels("fenced-polls")).toBe(0);
    const job = await queue.getJob("fenced-polls");
    expect(job?.data.checkpoint).toMatchObject({ version: 1 });
    expect(job?.progress).toMatchObject({ event: { type: "accepted" } });
    expect(job?.returnvalue).toBeNull();
    expect(errors.find((message) => message.startsWith("job fenced-polls:"))).toMatch(/the run was abandoned, with no cancel request/);
  });

  it("takes the lock again when it expired while the job stayed active and no one took it (a failover took its renewals back), and the run goes on", async () => {
    const { queue, errors, ended } = startFencedWorker((queueName, id, options) => ({
      ...options,
      beforeKickoff: async () => {
        await admin.del(`bull:${queueName}:${id}:lock`);
        await options.beforeKickoff?.();
      },
    }));
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("lock-expired"), "lock-expired"));
    expect(await ended()).toBe("succeeded");
    expect(fixture.backend.kickoffs("lock-expired")).toBe(1);
    const job = await queue.getJob("lock-expired");
    expect(await job?.getState()).toBe("completed");
    expect(errors).toEqual([]);
  });

  it("refuses the mark once the job left the active list with its lock (the stalled check moved it back to wait), and sends no kickoff", async () => {
    const { queue, errors, ended } = startFencedWorker((queueName, id, options) => ({
      ...options,
      beforeKickoff: async () => {
        await admin.del(`bull:${queueName}:${id}:lock`);
        await admin.lrem(`bull:${queueName}:active`, 0, id);
        await options.beforeKickoff?.();
      },
    }));
    await enqueueInvocation(queue, jobInvocation(fixture.backend.kickoffUrl("moved-back"), "moved-back"));
    expect(await ended()).toBe("cancelled");
    expect(fixture.backend.kickoffs("moved-back")).toBe(0);
    expect(errors.some((message) => message.includes("job moved-back: its lock is no longer held by this worker"))).toBe(true);
  });
});
