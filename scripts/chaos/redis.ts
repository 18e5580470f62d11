// The Redis of a chaos run: one redis-server with an append-only file, or a
// Sentinel topology (a primary, two replicas, three sentinels), each started
// by the test support on 127.0.0.1.
import { startRedisSentinel, type RedisSentinel } from "../../test/support/redis-sentinel.js";
import { startRedisServer, type RedisServer } from "../../test/support/redis-server.js";
import type { RedisTarget } from "./connection.js";
import type { ChaosTopology } from "./options.js";

/** The Redis a run started, and where it is. */
export type ChaosRedis =
  | { readonly topology: "single"; readonly target: RedisTarget; readonly server: RedisServer }
  | { readonly topology: "sentinel"; readonly target: RedisTarget; readonly sentinel: RedisSentinel };

/** Starts the run's Redis; `aofDir` holds the single server's append-only file. */
export async function startChaosRedis(topology: ChaosTopology, aofDir: string): Promise<ChaosRedis> {
  if (topology === "single") {
    const server = await startRedisServer({ appendOnlyDir: aofDir });
    return { topology, target: { topology, port: server.port }, server };
  }
  // appendonly, as the README asks of a deployment: a killed primary comes back with what it had.
  const sentinel = await startRedisSentinel({ appendOnly: true });
  return { topology, target: { topology, sentinels: sentinel.sentinels, name: sentinel.name }, sentinel };
}

/** The process ids of the Redis processes running now. */
export function redisPids(redis: ChaosRedis): number[] {
  if (redis.topology === "sentinel") return redis.sentinel.pids();
  return redis.server.pid === undefined ? [] : [redis.server.pid];
}

/** Stops every Redis process of the run. */
export async function stopChaosRedis(redis: ChaosRedis): Promise<void> {
  if (redis.topology === "sentinel") await redis.sentinel.stop();
  else await redis.server.stop();
}

/** What the run's header says of its Redis. */
export function describeRedis(redis: ChaosRedis): string {
  if (redis.topology === "single") return `redis-server on 127.0.0.1:${redis.server.port} (append-only file)`;
  const ports = (ports: Iterable<number>): string => [...ports].join(", ");
  return `Sentinel "${redis.sentinel.name}": redis-server on ${ports(redis.sentinel.servers.keys())} (append-only files), sentinels on ${ports(redis.sentinel.sentinelServers.keys())}`;
}
