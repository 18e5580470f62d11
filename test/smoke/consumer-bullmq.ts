// Type-checks the BullMQ subpath's declarations, as a TypeScript consumer would.
import type { Queue } from "bullmq";
import { ExecutorRuntime, type RuntimeResult } from "executor-runtime";
import { createInvocationWorker, enqueueInvocation, waitForResult, type InvocationWorker } from "executor-runtime/bullmq";

const connection = { host: "127.0.0.1", port: 6379 };
export const worker: InvocationWorker = createInvocationWorker("invocations", new ExecutorRuntime(), { connection, abortOnClose: false });
export async function roundTrip(queue: Queue): Promise<RuntimeResult> {
  await enqueueInvocation(queue, { invocation_id: "smoke", runtime_name: "smoke", runtime_kind: "manual" });
  return await waitForResult(queue, "smoke", { signal: AbortSignal.timeout(1_000) });
}
