// npm run bench:replicated: what the queue's replicated mode costs, on a real
// Redis Sentinel topology (a primary, two replicas, three sentinels on
// 127.0.0.1) with no fault. The two modes take turns, round by round, each on
// a fresh queue and worker: `replicas: 0` (the primary's word alone) and the
// default of a Sentinel connection (every replica the sentinels see up).
// Measured per mode: the latency of one enqueue (nothing else in flight), the
// latency of one run (enqueue to result, one invocation at a time), and the
// time of a burst of invocations in flight together.
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { createInvocationWorker, enqueueInvocation, waitForResult } from "../src/bullmq/index.js";
import { startJobBackend } from "../test/support/job-backend.js";
import { jobInvocation, quickRuntime } from "../test/support/queue-runtime.js";
import { startRedisSentinel } from "../test/support/redis-sentinel.js";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "5" }, singles: { type: "string", default: "50" }, burst: { type: "string", default: "200" } },
});
const rounds = Number(values.rounds);
const singles = Number(values.singles);
const burst = Number(values.burst);

interface Figures {
  enqueueMs: number[];
  runMs: number[];
  burstMs: number[];
}
const modes = { "replicas: 0 (off)": 0, "Sentinel default (on)": undefined } as const;
const figures = new Map<string, Figures>(Object.keys(modes).map((mode) => [mode, { enqueueMs: [], runMs: [], burstMs: [] }]));

const redis = await startRedisSentinel();
const backend = await startJobBackend({ runningPolls: 1 });
let queues = 0;
try {
  for (let round = 0; round < rounds; round++) {
    for (const [mode, replicas] of Object.entries(modes)) {
      const name = `cost-${++queues}`;
      const options = replicas === undefined ? {} : { replicas };
      const queue = new Queue(name, { connection: redis.connection });
      const runtime = quickRuntime();
      const worker = createInvocationWorker(name, runtime, { connection: redis.connection, concurrency: 50, ...options });
      await worker.waitUntilReady();
      const into = figures.get(mode) as Figures;
      for (let index = 0; index < singles; index++) {
        const id = `single-${index}`;
        const start = performance.now();
        await enqueueInvocation(queue, jobInvocation(backend.kickoffUrl(`${name}-${id}`), id), options);
        const enqueued = performance.now();
        await waitForResult(queue, id, options);
        into.enqueueMs.push(enqueued - start);
        into.runMs.push(performance.now() - start);
      }
      const start = performance.now();
      const ids = Array.from({ length: burst }, (_, index) => `burst-${index}`);
      await Promise.all(ids.map((id) => enqueueInvocation(queue, jobInvocation(backend.kickoffUrl(`${name}-${id}`), id), options)));
      await Promise.all(ids.map((id) => waitForResult(queue, id, options)));
      into.burstMs.push(performance.now() - start);
      await worker.close();
      await runtime.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  }
} finally {
  await backend.close();
  await redis.stop();
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const describe = (samples: number[]): string => {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${quantile(sorted, 0.5).toFixed(2)} / ${quantile(sorted, 0.99).toFixed(2)}`;
};
console.log(`${rounds} rounds, modes in turn; ${singles} invocations one at a time and a burst of ${burst} per round; ms, median / p99`);
console.log("");
console.log("| mode | enqueue ms | run ms (enqueue to result) | burst of " + burst + " ms |");
console.log("| --- | ---: | ---: | ---: |");
for (const [mode, { enqueueMs, runMs, burstMs }] of figures) {
  console.log(`| ${mode} | ${describe(enqueueMs)} | ${describe(runMs)} | ${describe(burstMs)} |`);
}
