// What the chaos process and its worker processes tell each other.
import type { RedisTarget } from "./connection.js";

/** How a worker process is set up (its first argument, as JSON). */
export interface WorkerConfig {
  /** Where Redis is; the worker connects with `connectionOf(redis)`. */
  readonly redis: RedisTarget;
  readonly queueName: string;
  readonly concurrency: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
}

/** What a worker process reports over IPC. */
export type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "active"; readonly jobId: string }
  | { readonly type: "completed"; readonly jobId: string; readonly status: string }
  | { readonly type: "error"; readonly message: string };

/** What the chaos process tells a worker process over IPC. */
export type ChaosCommand =
  /**
   * Stop (SIGSTOP) right after taking the next job, if that comes within `withinMs`: before the
   * job's run has written anything, as a worker frozen by a long GC pause at that moment. The
   * worker prints `frozen <job id>` on stdout, synchronously, just before it stops.
   */
  { readonly type: "freeze-on-next-take"; readonly withinMs: number };
