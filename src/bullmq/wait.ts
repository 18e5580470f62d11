import { Job, Queue, QueueEvents } from "bullmq";
import { buildResult, checkResult, identityOf, type RuntimeResult } from "../contracts/result.js";
import type { InvocationJobData } from "./job-data.js";

/** Options of `waitForResult`. */
export interface WaitForResultOptions {
  /** Aborting it stops the wait: the promise rejects with the signal's reason. The job itself runs on. */
  readonly signal?: AbortSignal;
}

/**
 * Resolves to the RuntimeResult of the invocation job `invocationId`, at once
 * when the job has already finished. A job that failed in the queue itself
 * (it stalled too often, or its worker could not store its data) resolves to
 * a `failed` result with BullMQ's reason. A job that does not exist yet is
 * waited for.
 *
 * Given a `Queue`, it listens through a `QueueEvents` of its own (one Redis
 * connection, closed when the wait ends). Given a `QueueEvents`, which many
 * waits can share, it opens a short-lived `Queue` for reading the job.
 *
 * @example const result = await waitForResult(queueEvents, "nightly-42", { signal: AbortSignal.timeout(60_000) });
 */
export async function waitForResult(
  source: Queue | QueueEvents,
  invocationId: string,
  options: WaitForResultOptions = {},
): Promise<RuntimeResult> {
  const { signal } = options;
  signal?.throwIfAborted();
  const { prefix } = source.opts as { prefix?: string };
  const connectionOptions = { connection: source.opts.connection, ...(prefix === undefined ? {} : { prefix }) };
  const queue = source instanceof Queue ? source : new Queue(source.name, connectionOptions);
  const events = source instanceof QueueEvents ? source : new QueueEvents(source.name, connectionOptions);
  const settle: { done?: (outcome: () => Promise<RuntimeResult>) => void } = {};
  const finished = new Promise<() => Promise<RuntimeResult>>((resolve) => (settle.done = resolve));
  const completedEvent = `completed:${invocationId}`;
  const failedEvent = `failed:${invocationId}`;
  const onCompleted = ({ returnvalue }: { returnvalue: unknown }): void => settle.done?.(async () => resultOf(invocationId, returnvalue));
  const onFailed = ({ failedReason }: { failedReason: string }): void =>
    settle.done?.(async () => failedInQueue(invocationId, failedReason, await Job.fromId<InvocationJobData>(queue, invocationId)));
  const onAbort = (): void => settle.done?.(() => Promise.reject(signal?.reason as Error));
  events.on(completedEvent as "completed", onCompleted as never);
  events.on(failedEvent as "failed", onFailed as never);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    // Listening first, then reading the job, so that no ending falls between the two.
    await events.waitUntilReady();
    const job = await Job.fromId<InvocationJobData, unknown>(queue, invocationId);
    const state = job === undefined ? undefined : await job.getState();
    if (job !== undefined && state === "completed") settle.done?.(async () => resultOf(invocationId, job.returnvalue, job));
    if (job !== undefined && state === "failed") settle.done?.(async () => failedInQueue(invocationId, job.failedReason, job));
    return await (await finished)();
  } finally {
    signal?.removeEventListener("abort", onAbort);
    events.removeListener(completedEvent as "completed", onCompleted as never);
    events.removeListener(failedEvent as "failed", onFailed as never);
    if (events !== source) await events.close();
    if (queue !== source) await queue.close();
  }
}

function resultOf(invocationId: string, returnvalue: unknown, job?: Job<InvocationJobData>): RuntimeResult {
  const checked = checkResult(returnvalue);
  if (checked.ok) return checked.result;
  return buildResult(identityOf(job?.data.invocation ?? { invocation_id: invocationId }), {
    status: "failed",
    summary: `job ${invocationId} completed without a RuntimeResult as its return value: ${checked.summary}`,
  });
}

function failedInQueue(invocationId: string, reason: string, job: Job<InvocationJobData> | undefined): RuntimeResult {
  return buildResult(identityOf(job?.data.invocation ?? { invocation_id: invocationId }), {
    status: "failed",
    summary: `job ${invocationId} failed in the queue: ${reason}`,
  });
}
