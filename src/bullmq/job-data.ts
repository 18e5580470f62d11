import type { Checkpoint } from "../contracts/checkpoint.js";
import type { RuntimeInvocationInput } from "../contracts/invocation.js";
import type { RuntimeResult } from "../contracts/result.js";

/** The name of every job `enqueueInvocation` adds. */
export const INVOCATION_JOB_NAME = "invocation";

/**
 * The data of an invocation job. The worker adds the optional fields as
 * the run goes, so that a worker that takes the job over after a crash knows
 * how far the run got.
 */
export interface InvocationJobData {
  /** The RxP invocation, as given to `enqueueInvocation`. */
  readonly invocation: RuntimeInvocationInput;
  /**
   * When (ISO 8601) a worker was about to send the kickoff. Present without a
   * checkpoint, it means a kickoff may have reached the backend whose answer
   * was never stored.
   */
  readonly kickoffSentAt?: string;
  /**
   * Where the accepted run can be resumed. It carries the poll URL
   * unredacted: treat the job data as a secret.
   */
  readonly checkpoint?: Checkpoint;
  /**
   * The W3C trace context of the code that enqueued the job, written by a
   * subscriber of the `executor-runtime:enqueue` channel (a tracer); the
   * worker runs the invocation under it (`RunOptions.traceContext`).
   */
  readonly traceContext?: Readonly<Record<string, string>>;
  /**
   * The run's result, stored (and confirmed by the replicas) before the job
   * completes when the worker replicates its writes: when a failover takes
   * the completion back, the next attempt returns it instead of running the
   * invocation again.
   */
  readonly result?: RuntimeResult;
}

/** The metadata key that lets a kickoff be sent again safely. */
const IDEMPOTENCY_KEY_HEADER = "http.idempotency_key_header";

/** Whether the invocation names a header that lets the backend drop a repeated kickoff. */
export function hasIdempotencyKey(invocation: unknown): boolean {
  // Own properties only, and a header name with more than blanks.
  if (typeof invocation !== "object" || invocation === null || !Object.hasOwn(invocation, "metadata")) return false;
  const metadata: unknown = (invocation as { metadata?: unknown }).metadata;
  if (typeof metadata !== "object" || metadata === null || !Object.hasOwn(metadata, IDEMPOTENCY_KEY_HEADER)) return false;
  const value: unknown = (metadata as Record<string, unknown>)[IDEMPOTENCY_KEY_HEADER];
  return typeof value === "string" && value.trim().length > 0;
}
