/**
 * Scaling out with BullMQ: two worker processes share one queue in Redis, one
 * of them is killed mid-run, and every invocation still ends with exactly one
 * result and one backend job.
 *
 * Run it (Redis on 127.0.0.1:6379, or set REDIS_PORT):
 *   npm run example:workers
 *
 * The main process starts the fake backend (examples/fake-backend.ts), forks
 * two workers (this file with the argument `worker`), enqueues 12 invocations,
 * SIGKILLs the first worker while its runs poll, and prints each result. The
 * other worker picks the dead worker's jobs up once their locks expire and
 * resumes them from the checkpoints stored in the job data.
 */
import { fork, type ChildProcess } from "node:child_process";
import { setTimeout as delay } from "node:timers/promises";
// In your code: import { ... } from "executor-runtime" and "executor-runtime/bullmq".
import { Queue, QueueEvents } from "bullmq";
import { createInvocationWorker, enqueueInvocation, waitForResult } from "../src/bullmq/index.js";
import { AsyncHttpRunner, ExecutorRuntime, asyncHttpMetadata } from "../src/index.js";
import { startFakeBackend } from "./fake-backend.js";

const QUEUE = "example-invocations";
const connection = { host: "127.0.0.1", port: Number(process.env.REDIS_PORT ?? 6379) };
// Short so the example is quick; the BullMQ defaults are 30 s.
const workerTiming = { lockDuration: 4_000, stalledInterval: 2_000 };

/** A worker process: runs invocation jobs until it is told to stop (or killed). */
async function runWorker(): Promise<void> {
  const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner());
  const worker = createInvocationWorker(QUEUE, runtime, { connection, concurrency: 20, ...workerTiming });
  worker.on("active", (job) => console.log(`[worker ${process.pid}] ${job.id}: ${job.data.checkpoint ? "resuming from its checkpoint" : "starting"}`));
  worker.on("error", (error) => console.error(`[worker ${process.pid}] ${error.message}`));
  process.once("SIGTERM", () => {
    // close() lets the runs in flight finish; pass abortOnClose: true to cancel them instead.
    void worker.close().then(() => runtime.close());
  });
  await worker.waitUntilReady();
  process.send?.("ready");
}

/** The main process: backend, two workers, 12 invocations, one crash. */
async function main(): Promise<void> {
  const backend = await startFakeBackend({ runningPolls: 4 });
  const queue = new Queue(QUEUE, { connection });
  const events = new QueueEvents(QUEUE, { connection });
  const workers: ChildProcess[] = [];
  try {
    await queue.obliterate({ force: true });
    for (let i = 0; i < 2; i++) {
      const child = fork(process.argv[1]!, ["worker"], { execArgv: process.execArgv });
      await new Promise((resolve) => child.once("message", resolve));
      workers.push(child);
    }
    const ids = Array.from({ length: 12 }, (_, i) => `report-${i + 1}`);
    for (const id of ids) {
      await enqueueInvocation(queue, {
        invocation_id: id,
        runtime_name: "reports",
        runtime_kind: "http_async",
        timeout_seconds: 120,
        metadata: asyncHttpMetadata({
          url: backend.url(`/v1/jobs?report=${id}`),
          // Lets a worker that took over re-send a kickoff whose answer was lost.
          idempotencyKeyHeader: "Idempotency-Key",
          pollStatusPath: "status",
          pollTerminalStates: ["succeeded", "failed", "cancelled"],
          pollSuccessStates: ["succeeded"],
          pollIntervalSeconds: 1,
          pollMaxConsecutiveErrors: 3,
        }),
      });
    }
    await delay(2_500);
    console.log(`[main] SIGKILL worker ${workers[0]!.pid} while its runs poll`);
    workers[0]!.kill("SIGKILL");

    const results = await Promise.all(ids.map((id) => waitForResult(events, id)));
    for (const result of results) console.log(`[main] ${result.invocation_id}: ${result.status}`);
    const kickoffs = backend.requests.filter((request) => request.method === "POST").length;
    console.log(`[main] ${results.length} results, ${kickoffs} kickoffs sent to the backend`);
  } finally {
    for (const child of workers) child.kill("SIGTERM");
    await events.close();
    await queue.close();
    await backend.close();
  }
}

await (process.argv[2] === "worker" ? runWorker() : main());
