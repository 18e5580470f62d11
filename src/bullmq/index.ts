export { enqueueInvocation, type EnqueueOptions } from "./enqueue.js";
export { sentinelConnection, type SentinelFailoverSettings } from "./connection.js";
export { INVOCATION_JOB_NAME, type InvocationJobData } from "./job-data.js";
export type { InvocationProgress, ProgressEvent } from "./progress.js";
export { waitForResult, type WaitForResultOptions } from "./wait.js";
export {
  createInvocationWorker,
  type InvocationRuntime,
  type InvocationWorker,
  type InvocationWorkerOptions,
} from "./worker.js";
