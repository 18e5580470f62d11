import { Redis } from "ioredis";

/** What the sentinels are reached with: the part of a Sentinel connection's options this reads. */
export interface SentinelAddressing {
  readonly sentinels: readonly { readonly host?: string; readonly port?: number }[];
  readonly name: string;
  readonly sentinelUsername?: string;
  readonly sentinelPassword?: string;
}

/** How long a count of the replicas is used before the sentinels are asked again. */
const FRESH_MS = 1_000;

/** How long one sentinel has to answer. */
const SENTINEL_TIMEOUT_MS = 1_000;

/** A replica the sentinels see in one of these states cannot be promoted: it is not counted. */
const DOWN_FLAGS = ["s_down", "o_down", "disconnected"];

interface Count {
  value: number;
  readAt: number;
  reading: Promise<number> | undefined;
}

/** One count per topology and process, shared by every worker, queue and wait on it. */
const counts = new Map<string, Count>();

/**
 * How many replicas must acknowledge a write on a Sentinel topology: every
 * replica the sentinels see up, and at least one. A write one of them lacks
 * may be lost when that one is promoted; in a graceful failover, the old
 * primary goes on taking writes that the other replicas acknowledge. Asked of
 * the sentinels at most once a second, over a connection opened for the
 * question; when no sentinel answers, the last count stands.
 */
export function sentinelReplicas(addressing: SentinelAddressing): () => Promise<number> {
  const key = JSON.stringify([addressing.name, addressing.sentinels.map(({ host, port }) => [host, port])]);
  let count = counts.get(key);
  if (count === undefined) {
    count = { value: 1, readAt: Number.NEGATIVE_INFINITY, reading: undefined };
    counts.set(key, count);
  }
  const shared = count;
  return () => {
    if (Date.now() - shared.readAt < FRESH_MS) return Promise.resolve(shared.value);
    shared.reading ??= readCount(addressing)
      .then((value) => {
        if (value !== undefined) shared.value = value;
        shared.readAt = Date.now();
        return shared.value;
      })
      .finally(() => (shared.reading = undefined));
    return shared.reading;
  };
}

/** The replicas up, asked of each sentinel in turn until one answers; undefined when none does. */
async function readCount(addressing: SentinelAddressing): Promise<number | undefined> {
  for (const { host = "127.0.0.1", port = 26_379 } of addressing.sentinels) {
    const client = new Redis({
      host,
      port,
      ...(addressing.sentinelUsername === undefined ? {} : { username: addressing.sentinelUsername }),
      ...(addressing.sentinelPassword === undefined ? {} : { password: addressing.sentinelPassword }),
      lazyConnect: true,
      connectTimeout: SENTINEL_TIMEOUT_MS,
      commandTimeout: SENTINEL_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on("error", () => undefined);
    try {
      await client.connect();
      const replicas = (await client.call("SENTINEL", "REPLICAS", addressing.name)) as string[][];
      return Math.max(1, replicas.filter((fields) => isUp(fields)).length);
    } catch {
      // The next sentinel may answer.
    } finally {
      client.disconnect();
    }
  }
  return undefined;
}

function isUp(fields: readonly string[]): boolean {
  const at = fields.indexOf("flags");
  const flags = at === -1 ? "" : (fields[at + 1] ?? "");
  return !flags.split(",").some((flag) => DOWN_FLAGS.includes(flag));
}
