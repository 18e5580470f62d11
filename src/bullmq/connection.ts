import type { ConnectionOptions, Worker } from "bullmq";
import { REPLICA_WAIT_MS, type Replication } from "./replication.js";
import { sentinelView, type SentinelAddressing } from "./sentinel-view.js";

/** A Redis error that a demoted primary answers to a write. */
const READONLY = "READONLY";

/** The ioredis settings `sentinelConnection` fills in. */
export interface SentinelFailoverSettings {
  readonly reconnectOnError: (error: Error) => boolean | 1 | 2;
  readonly maxRetriesPerRequest: number | null;
}

/**
 * The connection options of a Redis watched by Sentinel, with the ioredis
 * settings a failover needs filled in where `options` leaves them out:
 *
 * - `reconnectOnError`: a `READONLY` answer (the primary was demoted) makes
 *   the connection ask the sentinels again and send the command there;
 * - `maxRetriesPerRequest: null`: commands wait through the switch (BullMQ's
 *   workers require it).
 *
 * Give the result to every Queue and QueueEvents of the queue.
 * `createInvocationWorker` fills the same settings in by itself, and
 * ioredis's `failoverDetector` too.
 *
 * @example const connection = sentinelConnection({ sentinels: [{ host: "10.0.0.5", port: 26379 }], name: "mymaster" });
 */
export function sentinelConnection<T extends { readonly sentinels: readonly { host?: string; port?: number }[]; readonly name: string }>(
  options: T,
): T & SentinelFailoverSettings {
  return { reconnectOnError: reconnectOnReadonly, maxRetriesPerRequest: null, ...options };
}

function reconnectOnReadonly(error: Error): 2 | false {
  return error.message.startsWith(READONLY) ? 2 : false;
}

/** Whether the connection (options or a client) names sentinels. */
export function namesSentinels(connection: ConnectionOptions | undefined): boolean {
  if (typeof connection !== "object" || connection === null) return false;
  const options: unknown = "sentinels" in connection ? connection : (connection as { options?: unknown }).options;
  if (typeof options !== "object" || options === null) return false;
  const sentinels: unknown = (options as { sentinels?: unknown }).sentinels;
  return Array.isArray(sentinels) && sentinels.length > 0;
}

/**
 * A worker's connection: plain options that name sentinels get the failover
 * settings and ioredis's `failoverDetector` (the connection moves as soon as
 * a sentinel announces a new primary, not when the old one is demoted, which
 * goes on taking writes until then). A client, or options without sentinels,
 * stay as given.
 */
export function workerConnection(connection: ConnectionOptions): ConnectionOptions {
  const settled = withFailoverSettings(connection);
  return settled === connection ? connection : { failoverDetector: true, ...settled };
}

/** What a BullMQ worker's Redis backend holds: its connections, each with its client. */
interface RedisBackendConnections {
  readonly connection?: { readonly client?: Promise<{ disconnect(): void }> };
  readonly blockingConnection?: { readonly client?: Promise<{ disconnect(): void }> };
}

/**
 * Closes the sentinel connections of a closed worker's failover detector:
 * ioredis 5 keeps them open after the `QUIT` BullMQ closes with, and only a
 * `disconnect()` ends them. Without it, the process would not exit.
 */
export function releaseFailoverDetector(worker: Worker): void {
  const backend = worker.backend as unknown as RedisBackendConnections;
  for (const owned of [backend.connection, backend.blockingConnection]) {
    void owned?.client?.then((client) => client.disconnect()).catch(() => undefined);
  }
}

/** Plain options that name sentinels get the failover settings; a client, or options without sentinels, stay as given. */
export function withFailoverSettings(connection: ConnectionOptions): ConnectionOptions {
  if (!namesSentinels(connection) || !("sentinels" in connection)) return connection;
  return sentinelConnection(connection as Parameters<typeof sentinelConnection>[0]);
}

/**
 * How the writes over `connection` are confirmed: by `replicas` replicas when
 * given (0: not at all); else, when the connection names sentinels, as the
 * sentinels' view says (`sentinelView`), and not at all otherwise.
 */
export function replicationOf(connection: ConnectionOptions | undefined, replicas: number | undefined): Replication {
  if (replicas !== undefined && !(Number.isSafeInteger(replicas) && replicas >= 0)) {
    throw new TypeError(`Expected \`replicas\` to be a whole number of at least 0, got ${String(replicas)}`);
  }
  if (replicas !== undefined) return { on: replicas > 0, target: () => Promise.resolve({ runId: undefined, replicas }), waitMs: REPLICA_WAIT_MS };
  const addressing = sentinelAddressing(connection);
  if (addressing === undefined) return { on: false, target: () => Promise.resolve({ runId: undefined, replicas: 0 }), waitMs: REPLICA_WAIT_MS };
  return { on: true, target: sentinelView(addressing), waitMs: REPLICA_WAIT_MS };
}

/** The sentinels a connection (options or a client) names, and its master name; undefined when it names none. */
function sentinelAddressing(connection: ConnectionOptions | undefined): SentinelAddressing | undefined {
  if (!namesSentinels(connection)) return undefined;
  const options = (connection !== undefined && "sentinels" in connection ? connection : (connection as { options: unknown }).options) as SentinelAddressing;
  return typeof options.name === "string" ? options : undefined;
}
