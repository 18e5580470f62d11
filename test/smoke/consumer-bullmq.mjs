// Loads the packed package's BullMQ subpath (with bullmq installed) and
// enqueues through a stand-in queue: no Redis needed.
import { createInvocationWorker, enqueueInvocation, sentinelConnection, waitForResult } from "executor-runtime/bullmq";

for (const [name, value] of Object.entries({ createInvocationWorker, enqueueInvocation, sentinelConnection, waitForResult })) {
  if (typeof value !== "function") throw new Error(`bullmq: ${name} is not a function`);
}
const added = [];
// A queue on one redis-server, as BullMQ's Queue holds its connection options: nothing to confirm with replicas.
const queue = {
  opts: { connection: { host: "127.0.0.1", port: 6379 } },
  add: async (name, data, options) => (added.push({ name, data, options }), { id: options.jobId, data }),
};
const job = await enqueueInvocation(queue, { invocation_id: "smoke-bullmq", runtime_name: "smoke", runtime_kind: "manual" });
if (job.id !== "smoke-bullmq" || added[0]?.name !== "invocation") {
  throw new Error(`bullmq: unexpected job ${JSON.stringify(added)}`);
}
console.log("bullmq subpath: ok (import, enqueueInvocation)");
