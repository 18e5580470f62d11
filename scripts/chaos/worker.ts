// A worker process of the chaos run: an ExecutorRuntime with the
// AsyncHttpRunner behind createInvocationWorker, as a deployment runs it.
// It reports to the chaos process over IPC and leaves when told (SIGTERM) or
// when that process is gone.
import { writeSync } from "node:fs";
import { createInvocationWorker } from "../../src/bullmq/index.js";
import { AsyncHttpRunner, ExecutorRuntime } from "../../src/index.js";
import { connectionOf } from "./connection.js";
import type { ChaosCommand, WorkerConfig, WorkerMessage } from "./messages.js";

const config = JSON.parse(process.argv[2] ?? "{}") as WorkerConfig;
const send = (message: WorkerMessage): void => {
  if (process.connected) process.send?.(message);
};

const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner());
const worker = createInvocationWorker(config.queueName, runtime, {
  connection: connectionOf(config.redis),
  concurrency: config.concurrency,
  lockDuration: config.lockDurationMs,
  stalledInterval: config.stalledIntervalMs,
  maxStalledCount: config.maxStalledCount,
});
let freezeUntil: number | undefined;
process.on("message", (command: ChaosCommand) => {
  if (command.type === "freeze-on-next-take") freezeUntil = Date.now() + command.withinMs;
});
// BullMQ emits 'active' once the job is locked for this worker and before its processor runs.
worker.on("active", (job) => {
  send({ type: "active", jobId: job.id ?? "" });
  if (freezeUntil === undefined) return;
  const due = Date.now() <= freezeUntil;
  freezeUntil = undefined;
  if (!due) return;
  // Written synchronously, so that the chaos process knows the moment even though the process stops at once.
  writeSync(1, `frozen ${job.id ?? ""}\n`);
  process.kill(process.pid, "SIGSTOP");
});
worker.on("completed", (job, result) => send({ type: "completed", jobId: job.id ?? "", status: result.status }));
worker.on("error", (error) => send({ type: "error", message: error.message }));

let closing = false;
const leave = (): void => {
  if (closing) return;
  closing = true;
  void worker
    .close()
    .then(() => runtime.close())
    .finally(() => process.exit(0));
};
process.on("SIGTERM", leave);
// The chaos process is gone (it crashed or was killed): leave nothing running behind it.
process.on("disconnect", leave);

await worker.waitUntilReady();
send({ type: "ready" });
