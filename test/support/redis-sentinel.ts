/**
 * A throwaway Redis Sentinel topology for tests and the chaos run: a primary
 * and `replicas` replicas (redis-server on free 127.0.0.1 ports, each with its
 * own config file and data directory under one temporary directory) and three
 * sentinels (`redis-server <file> --sentinel`, quorum 2) monitoring them as
 * `mymaster`. `startRedisSentinel` returns once every sentinel names the same
 * primary and sees every replica and the two other sentinels.
 *
 * @example
 * let redis: RedisSentinel;
 * beforeAll(async () => (redis = await startRedisSentinel()));
 * afterAll(() => redis?.stop());
 * // new Redis(redis.connection), new Queue(name, { connection: redis.connection })
 */
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import { startRedisServer, type RedisServer } from "./redis-server.js";

/** Options of `startRedisSentinel`. */
export interface RedisSentinelOptions {
  /** Replicas of the primary. @default 2 */
  readonly replicas?: number;
  /** Whether the data servers keep an append-only file (`appendfsync everysec`). @default false */
  readonly appendOnly?: boolean;
  /** How long a server stays unanswering before a sentinel deems it down. @default 1000 */
  readonly downAfterMs?: number;
  /** Sentinel's `failover-timeout`. @default 10000 */
  readonly failoverTimeoutMs?: number;
}

/** A host and port on the loopback interface. */
export interface LoopbackAddress {
  readonly host: "127.0.0.1";
  readonly port: number;
}

/** A running topology. */
export interface RedisSentinel {
  /** The master name the sentinels monitor: "mymaster". */
  readonly name: string;
  readonly sentinels: readonly LoopbackAddress[];
  /** ioredis (and BullMQ) connection options that find the primary through the sentinels (a fresh copy each time). */
  readonly connection: { sentinels: LoopbackAddress[]; name: string };
  /** The data servers (the primary and its replicas), by port. */
  readonly servers: ReadonlyMap<number, RedisServer>;
  /** The sentinels' processes, by port. */
  readonly sentinelServers: ReadonlyMap<number, RedisServer>;
  /** The primary as the first sentinel that answers names it (`SENTINEL get-master-addr-by-name`). */
  primary(): Promise<LoopbackAddress>;
  /** `SENTINEL FAILOVER`: resolves with the new primary once a sentinel names it. */
  failover(): Promise<LoopbackAddress>;
  /** Resolves with the primary once a sentinel names one other than `oldPort` (at most `timeoutMs`, default 30 s). */
  waitForPrimaryChange(oldPort: number, timeoutMs?: number): Promise<LoopbackAddress>;
  /** Resolves once every sentinel names one primary, sees every running server as a replica in sync and the other sentinels. */
  waitForAgreement(timeoutMs?: number): Promise<LoopbackAddress>;
  /** What a data server says it is (`ROLE`), or undefined when it does not answer within 500 ms. */
  role(port: number): Promise<"master" | "slave" | undefined>;
  /** SIGKILL of a data server; resolves once it exited. */
  kill(port: number): Promise<void>;
  /** Starts a killed data server again, on its port and from its config file and data; the sentinels make it a replica. */
  restart(port: number): Promise<void>;
  /** SIGSTOP of a data server, then SIGCONT after `ms`; resolves once it runs again. */
  freeze(port: number, ms: number): Promise<void>;
  /** The process ids of every server and sentinel running now. */
  pids(): number[];
  /** Kills every server and sentinel and removes the temporary directory; safe to call twice. */
  stop(): Promise<void>;
}

const NAME = "mymaster";
const SENTINELS = 3;
const QUORUM = 2;
const POLL_MS = 100;

/** Starts the topology on 127.0.0.1; it is torn down when starting fails. */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinel> {
  const dir = await mkdtemp(join(tmpdir(), "executor-runtime-sentinel-"));
  const servers = new Map<number, RedisServer>();
  const sentinelServers = new Map<number, RedisServer>();
  const clients: Redis[] = [];
  const killed = new Set<number>();
  // Whatever the caller does, the directory goes with the process (the servers go with it too, see redis-server.ts).
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.once("exit", removeDir);
  const stop = async (): Promise<void> => {
    for (const client of clients.splice(0)) client.disconnect();
    await Promise.all([...sentinelServers.values(), ...servers.values()].map((server) => server.stop()));
    await rm(dir, { recursive: true, force: true });
    process.off("exit", removeDir);
  };
  try {
    const dataDirectives = (port: number): string[] => [
      ...(options.appendOnly === true ? ["appendonly yes"] : []),
      "replica-announce-ip 127.0.0.1",
      `replica-announce-port ${port}`,
    ];
    const first = await startRedisServer({ configDir: dir, directives: dataDirectives });
    servers.set(first.port, first);
    for (let i = 0; i < (options.replicas ?? 2); i++) {
      const replica = await startRedisServer({
        configDir: dir,
        directives: (port) => [...dataDirectives(port), `replicaof 127.0.0.1 ${first.port}`],
      });
      servers.set(replica.port, replica);
    }
    const sentinelDirectives = (port: number): string[] => [
      "sentinel announce-ip 127.0.0.1",
      `sentinel announce-port ${port}`,
      `sentinel monitor ${NAME} 127.0.0.1 ${first.port} ${QUORUM}`,
      `sentinel down-after-milliseconds ${NAME} ${options.downAfterMs ?? 1_000}`,
      `sentinel failover-timeout ${NAME} ${options.failoverTimeoutMs ?? 10_000}`,
      `sentinel parallel-syncs ${NAME} 1`,
    ];
    for (let i = 0; i < SENTINELS; i++) {
      const sentinel = await startRedisServer({ configDir: dir, sentinel: true, directives: sentinelDirectives });
      sentinelServers.set(sentinel.port, sentinel);
      const client = new Redis({ host: "127.0.0.1", port: sentinel.port, maxRetriesPerRequest: 1, lazyConnect: true });
      client.on("error", () => undefined);
      clients.push(client);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const sentinels = [...sentinelServers.keys()].map((port) => loopback(port));
  const ask = async (client: Redis, ...args: string[]): Promise<unknown> => client.call("SENTINEL", ...args);
  const primary = async (): Promise<LoopbackAddress> => {
    let lastError: unknown;
    for (const client of clients) {
      try {
        const [, port] = (await ask(client, "get-master-addr-by-name", NAME)) as [string, string];
        return loopback(Number(port));
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`no sentinel names a primary: ${String(lastError)}`);
  };
  const waitForPrimaryChange = async (oldPort: number, timeoutMs = 30_000): Promise<LoopbackAddress> => {
    const found = await poll(timeoutMs, async () => {
      const now = await primary();
      return now.port === oldPort ? undefined : now;
    });
    if (found === undefined) throw new Error(`the sentinels still name 127.0.0.1:${oldPort} as the primary after ${timeoutMs} ms`);
    return found;
  };
  const agreed = async (): Promise<LoopbackAddress | undefined> => {
    const views = await Promise.all(clients.map((client) => viewOf(client)));
    const primaryPort = views[0]?.primaryPort;
    const running = [...servers.keys()].filter((port) => !killed.has(port) && port !== primaryPort).sort();
    const whole = views.every(
      (view) =>
        view.primaryPort === primaryPort &&
        view.primaryFlags === "master" &&
        view.sentinels === SENTINELS - 1 &&
        running.every((port) => view.replicasInSync.includes(port)),
    );
    return whole && primaryPort !== undefined && (await roleOf(primaryPort)) === "master" ? loopback(primaryPort) : undefined;
  };
  const waitForAgreement = async (timeoutMs = 30_000): Promise<LoopbackAddress> => {
    const found = await poll(timeoutMs, () => agreed().catch(() => undefined));
    if (found === undefined) throw new Error(`the sentinels did not agree on the topology within ${timeoutMs} ms`);
    return found;
  };
  const server = (port: number): RedisServer => {
    const found = servers.get(port);
    if (found === undefined) throw new Error(`no data server on port ${port} (the servers are on ${[...servers.keys()].join(", ")})`);
    return found;
  };

  const topology: RedisSentinel = {
    name: NAME,
    sentinels,
    get connection() {
      return { sentinels: [...sentinels], name: NAME };
    },
    servers,
    sentinelServers,
    primary,
    async failover() {
      const old = await primary();
      await ask(clients[0]!, "FAILOVER", NAME);
      return waitForPrimaryChange(old.port);
    },
    waitForPrimaryChange,
    waitForAgreement,
    role: roleOf,
    async kill(port) {
      await server(port).kill();
      killed.add(port);
    },
    async restart(port) {
      await server(port).restart();
      killed.delete(port);
    },
    async freeze(port, ms) {
      server(port).pause();
      await delay(ms);
      server(port).resume();
    },
    pids: () =>
      [...servers.values(), ...sentinelServers.values()].flatMap((one) => (one.pid === undefined ? [] : [one.pid])),
    stop,
  };
  try {
    await waitForAgreement();
  } catch (error) {
    await stop();
    throw error;
  }
  return topology;
}

/** What one sentinel says of the topology. */
interface SentinelView {
  readonly primaryPort: number | undefined;
  readonly primaryFlags: string | undefined;
  readonly sentinels: number;
  /** Replicas that are up and whose link to the primary is up. */
  readonly replicasInSync: readonly number[];
}

async function viewOf(client: Redis): Promise<SentinelView> {
  const [master, replicas, sentinels] = (await Promise.all([
    client.call("SENTINEL", "master", NAME),
    client.call("SENTINEL", "replicas", NAME),
    client.call("SENTINEL", "sentinels", NAME),
  ])) as [string[], string[][], string[][]];
  const fields = fieldsOf(master);
  const replicasInSync = replicas
    .map(fieldsOf)
    .filter((replica) => replica.get("flags") === "slave" && replica.get("master-link-status") === "ok")
    .map((replica) => Number(replica.get("port")));
  return {
    primaryPort: fields.has("port") ? Number(fields.get("port")) : undefined,
    primaryFlags: fields.get("flags"),
    sentinels: sentinels.length,
    replicasInSync,
  };
}

/** `ROLE` on a fresh connection that gives up after 500 ms: a frozen or killed server answers nothing. */
async function roleOf(port: number): Promise<"master" | "slave" | undefined> {
  const client = new Redis({
    host: "127.0.0.1",
    port,
    lazyConnect: true,
    connectTimeout: 500,
    commandTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const [role] = (await client.call("ROLE")) as [string];
    return role === "master" || role === "slave" ? role : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

function fieldsOf(flat: readonly string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
  return fields;
}

/** Calls `check` every 100 ms until it gives a value, for at most `timeoutMs`. */
async function poll<T>(timeoutMs: number, check: () => Promise<T | undefined>): Promise<T | undefined> {
  for (const start = Date.now(); Date.now() - start < timeoutMs; await delay(POLL_MS)) {
    const found = await check();
    if (found !== undefined) return found;
  }
  return undefined;
}

function loopback(port: number): LoopbackAddress {
  return { host: "127.0.0.1", port };
}
