import type { Job, JobsOptions, Queue } from "bullmq";
import type { RuntimeInvocationInput } from "../contracts/invocation.js";
import type { RuntimeResult } from "../contracts/result.js";
import { channels, type EnqueueMessage } from "../diagnostics/channels.js";
import { INVOCATION_JOB_NAME, type InvocationJobData } from "./job-data.js";

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
  options: Omit<JobsOptions, "jobId"> = {},
): Promise<Job<InvocationJobData, RuntimeResult>> {
  const id: unknown = typeof invocation === "object" && invocation !== null ? invocation.invocation_id : undefined;
  if (typeof id !== "string" || id.length === 0) {
    throw new TypeError(`Expected \`invocation.invocation_id\` to be a non-empty string, got ${JSON.stringify(id)}`);
  }
  const data: InvocationJobData = { invocation, ...enqueueTraceContext(id) };
  return (await queue.add(INVOCATION_JOB_NAME, data, { ...options, jobId: id })) as Job<InvocationJobData, RuntimeResult>;
}

/** The caller's trace context, when a subscriber of `executor-runtime:enqueue` writes one; nothing is built otherwise. */
function enqueueTraceContext(invocationId: string): Pick<InvocationJobData, "traceContext"> {
  if (!channels.enqueue.hasSubscribers) return {};
  const message: EnqueueMessage = { invocationId, traceContext: {} };
  channels.enqueue.publish(message);
  return Object.keys(message.traceContext).length === 0 ? {} : { traceContext: message.traceContext };
}
