// Where the chaos run's Redis is, and the one function that turns that into
// the connection options of everything that talks to it: the worker
// processes, the queue that enqueues, and the waits (waitForResult connects
// with its queue's options).
import type { ConnectionOptions } from "bullmq";
import { sentinelConnection } from "../../src/bullmq/index.js";

/** The Redis of a run: one redis-server, or a Sentinel topology found through its sentinels. */
export type RedisTarget =
  | { readonly topology: "single"; readonly port: number }
  | { readonly topology: "sentinel"; readonly sentinels: readonly { readonly host: string; readonly port: number }[]; readonly name: string };

/** The connection options of the workers, the queue and the waits: the one place to change them. */
export function connectionOf(target: RedisTarget): ConnectionOptions {
  if (target.topology === "single") return { host: "127.0.0.1", port: target.port };
  return sentinelConnection({ sentinels: target.sentinels.map(({ host, port }) => ({ host, port })), name: target.name });
}
