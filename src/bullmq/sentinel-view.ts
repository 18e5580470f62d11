import { Redis } from "ioredis";

/** What the sentinels are reached with: the part of a Sentinel connection's options this reads. */
export interface SentinelAddressing {
  readonly sentinels: readonly { readonly host?: string; readonly port?: number }[];
  readonly name: string;
  readonly sentinelUsername?: string;
  readonly sentinelPassword?: string;
}

/** How long a view is used before the sentinels are asked again. */
const FRESH_MS = 1_000;

/** How long one sentinel has to answer. */
const SENTINEL_TIMEOUT_MS = 1_000;

/** A replica the sentinels see in one of these states cannot be promoted. */
const DOWN_FLAGS = ["s_down", "o_down", "disconnected"];

/**
 * What a write on a Sentinel topology must meet to survive a failover: it
 * ran on the primary the sentinels name (its `run_id`), and every replica
 * that follows that primary acknowledged it, and at least one.
 */
export interface PrimaryView {
  /** The `run_id` of the primary the sentinels name; undefined while no sentinel has answered. */
  readonly runId: string | undefined;
  /** How many replicas must acknowledge a write. */
  readonly replicas: number;
}

interface SharedView {
  view: PrimaryView;
  readAt: number;
  reading: Promise<PrimaryView> | undefined;
}

/** One view per topology and process, shared by every worker, queue and wait on it. */
const views = new Map<string, SharedView>();

/**
 * The sentinels' view of the primary, asked of them at most once a second,
 * over a connection opened for the question; when no sentinel answers, the
 * last view stands.
 *
 * A replica counts while the sentinels see it up, as a replica, linked to
 * that primary: in a graceful failover, a replica that still follows the old
 * primary acknowledges the writes the old primary goes on taking, which the
 * promoted one never gets; an old primary not yet turned into a replica is
 * not waited for.
 */
export function sentinelView(addressing: SentinelAddressing): () => Promise<PrimaryView> {
  const key = JSON.stringify([addressing.name, addressing.sentinels.map(({ host, port }) => [host, port])]);
  let shared = views.get(key);
  if (shared === undefined) {
    shared = { view: { runId: undefined, replicas: 1 }, readAt: Number.NEGATIVE_INFINITY, reading: undefined };
    views.set(key, shared);
  }
  const entry = shared;
  return () => {
    if (Date.now() - entry.readAt < FRESH_MS) return Promise.resolve(entry.view);
    entry.reading ??= readView(addressing)
      .then((view) => {
        if (view !== undefined) entry.view = view;
        entry.readAt = Date.now();
        return entry.view;
      })
      .finally(() => (entry.reading = undefined));
    return entry.reading;
  };
}

/** The view, asked of each sentinel in turn until one answers; undefined when none does. */
async function readView(addressing: SentinelAddressing): Promise<PrimaryView | undefined> {
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
      const primary = fieldsOf((await client.call("SENTINEL", "MASTER", addressing.name)) as string[]);
      const replicas = ((await client.call("SENTINEL", "REPLICAS", addressing.name)) as string[][]).map(fieldsOf);
      const following = replicas.filter((replica) => follows(replica, primary)).length;
      return { runId: primary.get("runid") || undefined, replicas: Math.max(1, following) };
    } catch {
      // The next sentinel may answer.
    } finally {
      client.disconnect();
    }
  }
  return undefined;
}

function fieldsOf(flat: readonly string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let index = 0; index + 1 < flat.length; index += 2) fields.set(flat[index] ?? "", flat[index + 1] ?? "");
  return fields;
}

function follows(replica: ReadonlyMap<string, string>, primary: ReadonlyMap<string, string>): boolean {
  const flags = (replica.get("flags") ?? "").split(",");
  return (
    !flags.some((flag) => DOWN_FLAGS.includes(flag)) &&
    replica.get("role-reported") === "slave" &&
    replica.get("master-link-status") === "ok" &&
    replica.get("master-host") === primary.get("ip") &&
    replica.get("master-port") === primary.get("port")
  );
}
