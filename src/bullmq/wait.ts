import type { EventEmitter } from "node:events";
import { Job, Queue, QueueEvents, isNotConnectionError } from "bullmq";
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
 * `QueueEvents`, it reads the job through a `Queue` of its own, which never
 * writes the queue's settings (its meta hash). Concurrent waits on one source
 * share that companion (one Redis connection), which is closed when the last
 * of them ends. The companion's errors (Redis unreachable while it
 * reconnects) are emitted as `error` events on `source`, where BullMQ reports
 * the source's own connection errors, and dropped when `source` has no
 * `error` listener. A wait rides through a Redis outage: it goes on once
 * Redis is back.
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
  // The Queue only reads: without skipMetasUpdate it would write its default settings (events stream length) over the queue's.
  const queue = source instanceof Queue ? source : borrowCompanion(source, () => new Queue(source.name, { ...companionOptions(source), skipMetasUpdate: true }));
  const events = source instanceof QueueEvents ? source : borrowCompanion(source, () => new QueueEvents(source.name, companionOptions(source)));
  const settle: { done?: (outcome: () => Promise<RuntimeResult>) => void } = {};
  const finished = new Promise<() => Promise<RuntimeResult>>((resolve) => (settle.done = resolve));
  const completedEvent = `completed:${invocationId}`;
  const failedEvent = `failed:${invocationId}`;
  const onCompleted = ({ returnvalue }: { returnvalue: unknown }): void => settle.done?.(async () => resultOf(invocationId, returnvalue));
  // The job is read for its invocation's identity only: without it, the result names the id alone.
  const onFailed = ({ failedReason }: { failedReason: string }): void =>
    settle.done?.(async () => failedInQueue(invocationId, failedReason, await Job.fromId<InvocationJobData>(queue, invocationId).catch(() => undefined)));
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
  // One read at a time: while Redis is down, reads wait for it instead of piling up. A read that
  // fails for want of a connection is tried again at the next recheck; any other error ends the wait.
  let reading = false;
  const read = (): void => {
    if (reading) return;
    reading = true;
    readNow()
      .catch((error: unknown) => {
        if (!(error instanceof Error) || isNotConnectionError(error)) settle.done?.(() => Promise.reject(error as Error));
      })
      .finally(() => (reading = false));
  };
  read();
  // A QueueEvents starts reading at the newest event once connected, so an ending published right
  // then reaches neither the read above nor the listeners, and after a Redis outage it reads on only
  // after a pause of its own; reading the state again now and then covers both gaps.
  const recheck = setInterval(read, RECHECK_INTERVAL_MS);
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
    const companion = create();
    // Without a listener, BullMQ prints every connection error of the companion, which the caller cannot silence.
    (companion as EventEmitter).on("error", (error: Error) => {
      if (source.listenerCount("error") > 0) (source as EventEmitter).emit("error", error);
    });
    entry = { companion, users: 0 };
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
