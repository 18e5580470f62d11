// The worker first: a bundle imports "bullmq" before "ioredis", so a missing BullMQ is the error a user sees.
export {
  createInvocationWorker,
  type InvocationRuntime,
  type InvocationWorker,
  type InvocationWorkerOptions,
} from "./worker.js";
export { sentinelConnection, type SentinelFailoverSettings } from "./connection.js";
export { enqueueInvocation, type EnqueueOptions } from "./enqueue.js";
export { INVOCATION_JOB_NAME, type InvocationJobData } from "./job-data.js";
export type { InvocationProgress, ProgressEvent } from "./progress.js";
export { waitForResult, type WaitForResultOptions } from "./wait.js";
