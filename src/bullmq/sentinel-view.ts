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
  /** The `run_id` of the primary the sentinels name; undefined when the write's server is not checked. */
  readonly runId: string | undefined;
  /** How many replicas must acknowledge a write. */
  readonly replicas: number;
  /** Why no write can be confirmed now (a failover is under way); undefined when one can. */
  readonly unsettled?: string;
}

interface SharedView {
  view: PrimaryView;
  readAt: number;
  reading: Promise<PrimaryView> | undefined;
}

/** One view per topology and process, shared by every worker, queue and wait on it. */
const views = new Map<string, SharedView>();

const NOT_READ: PrimaryView = { runId: undefined, replicas: 1, unsettled: "no sentinel has answered yet" };

/**
 * The sentinels' view of the primary, asked of every sentinel at most once a
 * second, over connections opened for the question; when none answers, the
 * last view stands.
 */
export function sentinelView(addressing: SentinelAddressing): () => Promise<PrimaryView> {
  const key = JSON.stringify([addressing.name, addressing.sentinels.map(({ host, port }) => [host, port])]);
  let shared = views.get(key);
  if (shared === undefined) {
    shared = { view: NOT_READ, readAt: Number.NEGATIVE_INFINITY, reading: undefined };
    views.set(key, shared);
  }
  const entry = shared;
  return () => {
    if (Date.now() - entry.readAt < FRESH_MS) return Promise.resolve(entry.view);
    entry.reading ??= readReports(addressing)
      .then((reports) => {
        if (reports.length > 0) entry.view = primaryViewOf(reports);
        entry.readAt = Date.now();
        return entry.view;
      })
      .finally(() => (entry.reading = undefined));
    return entry.reading;
  };
}

/** What one sentinel says of the primary and its replicas (`SENTINEL MASTER`, `SENTINEL REPLICAS`). */
export interface SentinelReport {
  readonly primary: ReadonlyMap<string, string>;
  readonly replicas: readonly ReadonlyMap<string, string>[];
}

/**
 * What a write must meet, from what the sentinels that answered say.
 *
 * Nothing is confirmed while a failover is under way: while a sentinel flags
 * the primary (the one leading a failover flags it `failover_in_progress`
 * from before the promotion until the other replicas follow the new
 * primary) or a replica `promoted`, while the sentinels name different
 * primaries, or while none knows the named primary's `run_id` (for seconds
 * after a switch). Only the leader sees the promotion coming: the others see
 * the promoted replica's link drop and leave it out, so that the one replica
 * still following the old primary would confirm its writes alone. Otherwise
 * a write waits for the most replicas a sentinel sees following the primary.
 */
export function primaryViewOf(reports: readonly SentinelReport[]): PrimaryView {
  const named = reports[0]?.primary;
  if (named === undefined) return NOT_READ;
  let runId = "";
  let replicas = 1;
  for (const { primary, replicas: listed } of reports) {
    const flags = primary.get("flags") ?? "";
    if (flags !== "master") return unsettled(`a sentinel flags the primary "${flags}"`);
    if (addressOf(primary) !== addressOf(named)) return unsettled(`the sentinels name ${addressOf(named)} and ${addressOf(primary)} as the primary`);
    const promoted = listed.find((replica) => flagsOf(replica).includes("promoted"));
    if (promoted !== undefined) return unsettled(`replica ${addressOf(promoted)} is being promoted`);
    const id = primary.get("runid") ?? "";
    if (id !== "" && runId !== "" && id !== runId) return unsettled("the sentinels know the primary by two run_ids");
    runId ||= id;
    replicas = Math.max(replicas, listed.filter((replica) => follows(replica, primary)).length);
  }
  if (runId === "") return unsettled(`no sentinel knows the run_id of the primary ${addressOf(named)} yet`);
  return { runId, replicas };
}

function unsettled(reason: string): PrimaryView {
  return { runId: undefined, replicas: 1, unsettled: `${reason} (a failover is under way)` };
}

function addressOf(server: ReadonlyMap<string, string>): string {
  return `${server.get("ip") ?? "?"}:${server.get("port") ?? "?"}`;
}

function flagsOf(server: ReadonlyMap<string, string>): string[] {
  return (server.get("flags") ?? "").split(",");
}

function follows(replica: ReadonlyMap<string, string>, primary: ReadonlyMap<string, string>): boolean {
  return (
    !flagsOf(replica).some((flag) => DOWN_FLAGS.includes(flag)) &&
    replica.get("role-reported") === "slave" &&
    replica.get("master-link-status") === "ok" &&
    replica.get("master-host") === primary.get("ip") &&
    replica.get("master-port") === primary.get("port")
  );
}

/** What each sentinel that answers says, all asked at once. */
export async function readReports(addressing: SentinelAddressing): Promise<SentinelReport[]> {
  const reports = await Promise.all(addressing.sentinels.map((sentinel) => askSentinel(addressing, sentinel)));
  return reports.filter((report) => report !== undefined);
}

/** What one sentinel says; undefined when it does not answer. */
async function askSentinel(addressing: SentinelAddressing, sentinel: SentinelAddressing["sentinels"][number]): Promise<SentinelReport | undefined> {
  const client = new Redis({
    host: sentinel.host ?? "127.0.0.1",
    port: sentinel.port ?? 26_379,
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
    return { primary, replicas };
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

function fieldsOf(flat: readonly string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let index = 0; index + 1 < flat.length; index += 2) fields.set(flat[index] ?? "", flat[index + 1] ?? "");
  return fields;
}
