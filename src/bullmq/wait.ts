import type { EventEmitter } from "node:events";
import { Job, Queue, QueueEvents, isNotConnectionError } from "bullmq";
import { buildResult, checkResult, identityOf, type RuntimeResult } from "../contracts/result.js";
import { replicationOf, withFailoverSettings } from "./connection.js";
import type { InvocationJobData } from "./job-data.js";
import { confirmedEnding } from "./replicated-read.js";

/** How often a wait reads the job's state again, besides listening for its ending. */
const RECHECK_INTERVAL_MS = 1_000;

/** Options of `waitForResult`. */
export interface WaitForResultOptions {
  /** Aborting it stops the wait: the promise rejects with the signal's reason. The job itself runs on. */
  readonly signal?: AbortSignal;
  /**
   * How many replicas must acknowledge (Redis `WAIT`) the job's ending before
   * it is reported, so that a failover cannot take back a result the caller
   * saw. 0 reports what the server it reads says.
   * @default every replica linked to the primary the sentinels name, when the source's connection names sentinels; 0 otherwise
   */
  readonly replicas?: number;
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
 * With replicas to confirm (a connection that names sentinels, or
 * `replicas`), an ending counts only once it is read on a server whose
 * replicas acknowledge it: an ending that a failover then takes back is
 * never reported, and the wait goes on until the job ends again.
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
  const replication = replicationOf(source.opts.connection, options.replicas);
  const settle: { done?: (outcome: () => Promise<RuntimeResult>) => void } = {};
  const finished = new Promise<() => Promise<RuntimeResult>>((resolve) => (settle.done = resolve));
  const readNow = async (): Promise<void> => {
    await events.waitUntilReady();
    if (replication.on) {
      const ending = await confirmedEnding(queue, invocationId, replication);
      if (ending === undefined) return;
      const invocation = invocationOf(ending.data);
      if (ending.state === "completed") settle.done?.(async () => resultOf(invocationId, parsed(ending.returnvalue), invocation));
      else settle.done?.(async () => failedInQueue(invocationId, ending.failedReason ?? "unknown reason", invocation));
      return;
    }
    // The state first: a job read before it finished would carry no return value.
    const state = await queue.getJobState(invocationId);
    if (state !== "completed" && state !== "failed") return;
    const job = await Job.fromId<InvocationJobData, unknown>(queue, invocationId);
    if (state === "completed") settle.done?.(async () => resultOf(invocationId, job?.returnvalue, job?.data.invocation));
    else settle.done?.(async () => failedInQueue(invocationId, job?.failedReason ?? "unknown reason", job?.data.invocation));
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
  const completedEvent = `completed:${invocationId}`;
  const failedEvent = `failed:${invocationId}`;
  // An ending the replicas must confirm is read where they can: the event may come from a server a failover leaves behind.
  const onCompleted =
    replication.on ? read : ({ returnvalue }: { returnvalue: unknown }): void => settle.done?.(async () => resultOf(invocationId, returnvalue));
  // The job is read for its invocation's identity only: without it, the result names the id alone.
  const onFailed =
    replication.on
      ? read
      : ({ failedReason }: { failedReason: string }): void =>
          settle.done?.(async () =>
            failedInQueue(invocationId, failedReason, (await Job.fromId<InvocationJobData>(queue, invocationId).catch(() => undefined))?.data.invocation),
          );
  const onAbort = (): void => settle.done?.(() => Promise.reject(signal?.reason as Error));
  events.on(completedEvent as "completed", onCompleted as never);
  events.on(failedEvent as "failed", onFailed as never);
  signal?.addEventListener("abort", onAbort, { once: true });
  // Listening first, then reading the job, so that no ending falls between the two.
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

function resultOf(invocationId: string, returnvalue: unknown, invocation?: unknown): RuntimeResult {
  const checked = checkResult(returnvalue);
  if (checked.ok) return checked.result;
  return buildResult(identityOf(invocation ?? { invocation_id: invocationId }), {
    status: "failed",
    summary: `job ${invocationId} completed without a RuntimeResult as its return value: ${checked.summary}`,
  });
}

function failedInQueue(invocationId: string, reason: string, invocation: unknown): RuntimeResult {
  return buildResult(identityOf(invocation ?? { invocation_id: invocationId }), {
    status: "failed",
    summary: `job ${invocationId} failed in the queue: ${reason}`,
  });
}

/** A stored JSON value, or the text itself when it is not JSON. */
function parsed(json: string | null): unknown {
  if (json === null) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}

/** The invocation in a job's stored data, when it can be read. */
function invocationOf(data: string | null): unknown {
  const value = parsed(data);
  return typeof value === "object" && value !== null ? (value as Partial<InvocationJobData>).invocation : undefined;
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
  const connection = withFailoverSettings(source.opts.connection);
  return prefix === undefined ? { connection } : { connection, prefix };
}
