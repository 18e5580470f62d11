import { Job, Queue, QueueEvents } from "bullmq";
import { buildResult, checkResult, identityOf, type RuntimeResult } from "../contracts/result.js";
import type { InvocationJobData } from "./job-data.js";

/** How often a wait reads the job's state again, besides listening for its ending. */
const RECHECK_INTERVAL_MS = 1_000;

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
 * Given a `Queue`, it listens through a `QueueEvents` of its own; given a
 * `QueueEvents`, it reads the job through a `Queue` of its own. Concurrent
 * waits on one source share that companion (one Redis connection), which is
 * closed when the last of them ends.
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
  const queue = source instanceof Queue ? source : borrowCompanion(source, () => new Queue(source.name, companionOptions(source)));
  const events = source instanceof QueueEvents ? source : borrowCompanion(source, () => new QueueEvents(source.name, companionOptions(source)));
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
  // Listening first, then reading the job, so that no ending falls between the two.
  const readNow = async (): Promise<void> => {
    await events.waitUntilReady();
    // The state first: a job read before it finished would carry no return value.
    const state = await queue.getJobState(invocationId);
    if (state !== "completed" && state !== "failed") return;
    const job = await Job.fromId<InvocationJobData, unknown>(queue, invocationId);
    if (state === "completed") settle.done?.(async () => resultOf(invocationId, job?.returnvalue, job));
    else settle.done?.(async () => failedInQueue(invocationId, job?.failedReason ?? "unknown reason", job));
  };
  readNow().catch((error: unknown) => settle.done?.(() => Promise.reject(error as Error)));
  // A QueueEvents starts reading at the newest event once connected, so an
  // ending published right then reaches neither the read above nor the
  // listeners; reading the state again now and then covers that gap.
  const recheck = setInterval(() => void readNow().catch(() => undefined), RECHECK_INTERVAL_MS);
  try {
    return await (await finished)();
  } finally {
    clearInterval(recheck);
    signal?.removeEventListener("abort", onAbort);
    events.removeListener(completedEvent as "completed", onCompleted as never);
    events.removeListener(failedEvent as "failed", onFailed as never);
    await returnCompanion(source);
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

/** The companion of a source (its Queue's QueueEvents, or its QueueEvents' Queue) and the waits using it. */
const companions = new WeakMap<Queue | QueueEvents, { readonly companion: Queue | QueueEvents; users: number }>();

function borrowCompanion<T extends Queue | QueueEvents>(source: Queue | QueueEvents, create: () => T): T {
  let entry = companions.get(source);
  if (entry === undefined) {
    entry = { companion: create(), users: 0 };
    companions.set(source, entry);
  }
  entry.users += 1;
  return entry.companion as T;
}

async function returnCompanion(source: Queue | QueueEvents): Promise<void> {
  const entry = companions.get(source);
  if (entry === undefined || --entry.users > 0) return;
  companions.delete(source);
  await entry.companion.close();
}

function companionOptions(source: Queue | QueueEvents): { connection: Queue["opts"]["connection"]; prefix?: string } {
  const { prefix } = source.opts as { prefix?: string };
  return prefix === undefined ? { connection: source.opts.connection } : { connection: source.opts.connection, prefix };
}
