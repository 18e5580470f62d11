import type { Job, JobsOptions, Queue } from "bullmq";
import type { RuntimeInvocationInput } from "../contracts/invocation.js";
import type { RuntimeResult } from "../contracts/result.js";
import { channels, type EnqueueMessage } from "../diagnostics/channels.js";
import { replicationOf } from "./connection.js";
import { INVOCATION_JOB_NAME, type InvocationJobData } from "./job-data.js";
import { confirmJob } from "./replicated-read.js";

/** Options of `enqueueInvocation`: BullMQ's job options (the job id is the invocation's), and one of ours. */
export interface EnqueueOptions extends Omit<JobsOptions, "jobId"> {
  /**
   * How many replicas must acknowledge (Redis `WAIT`) that the queue holds
   * the job before the call resolves, so that a failover cannot take the job
   * back. 0 confirms nothing.
   * @default every replica linked to the primary the sentinels name, when the queue's connection names sentinels; 0 otherwise
   */
  readonly replicas?: number;
}

/**
 * Adds the invocation to the queue as a job whose id is its `invocation_id`.
 * BullMQ ignores a job whose id it already holds, so enqueuing the same
 * invocation twice runs it once (the second call resolves to a job object
 * built from the arguments, not to the stored job). BullMQ rejects ids that
 * are integers or contain `:`.
 *
 * @param options BullMQ job options (attempts, priority, removeOnComplete, ...); the job id is the invocation's.
 * @example await enqueueInvocation(queue, { invocation_id: "nightly-42", runtime_name: "reports", runtime_kind: "http_async", metadata });
 */
export async function enqueueInvocation(
  queue: Queue,
  invocation: RuntimeInvocationInput,
  options: EnqueueOptions = {},
): Promise<Job<InvocationJobData, RuntimeResult>> {
  const id: unknown = typeof invocation === "object" && invocation !== null ? invocation.invocation_id : undefined;
  if (typeof id !== "string" || id.length === 0) {
    throw new TypeError(`Expected \`invocation.invocation_id\` to be a non-empty string, got ${JSON.stringify(id)}`);
  }
  const { replicas, ...jobOptions } = options;
  const replication = replicationOf(queue.opts.connection, replicas);
  const data: InvocationJobData = { invocation, ...enqueueTraceContext(id) };
  const add = async () => (await queue.add(INVOCATION_JOB_NAME, data, { ...jobOptions, jobId: id })) as Job<InvocationJobData, RuntimeResult>;
  const job = await add();
  if (replication.on) await confirmJob(queue, id, replication, add);
  return job;
}

/** The caller's trace context, when a subscriber of `executor-runtime:enqueue` writes one; nothing is built otherwise. */
function enqueueTraceContext(invocationId: string): Pick<InvocationJobData, "traceContext"> {
  if (!channels.enqueue.hasSubscribers) return {};
  const message: EnqueueMessage = { invocationId, traceContext: {} };
  channels.enqueue.publish(message);
  return Object.keys(message.traceContext).length === 0 ? {} : { traceContext: message.traceContext };
}
