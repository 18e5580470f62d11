import { Redis, type RedisOptions } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startRedisSentinel, type RedisSentinel } from "../support/redis-sentinel.js";

let redis: RedisSentinel;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedisSentinel();
}, 60_000);
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});
afterAll(() => redis?.stop());

function connect(options: RedisOptions): Redis {
  const client = new Redis({ maxRetriesPerRequest: 1, ...options });
  client.on("error", () => undefined);
  clients.push(client);
  return client;
}

/** Resolves once `condition` holds, checking every 50 ms for at most 30 s. */
async function eventually(condition: () => Promise<boolean>): Promise<void> {
  for (const start = Date.now(); Date.now() - start < 30_000; ) {
    if (await condition().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("condition not met within 30 s");
}

describe(startRedisSentinel.name, () => {
  it("starts a primary whose writes its replicas read", async () => {
    const primary = connect(await redis.primary());
    await primary.set("written-on-primary", "yes");
    const replicas = [...redis.servers.keys()].filter((port) => port !== primary.options.port);
    expect(replicas).toHaveLength(2);
    for (const port of replicas) {
      const replica = connect({ host: "127.0.0.1", port });
      await eventually(async () => (await replica.get("written-on-primary")) === "yes");
    }
  });

  it("confirms a write on the primary to at least one replica with WAIT", async () => {
    const primary = connect(await redis.primary());
    await primary.set("confirmed", "1");
    expect(await primary.wait(1, 1_000)).toBeGreaterThanOrEqual(1);
  });

  it("moves the primary on a graceful failover, and ioredis with { sentinels, name } follows it", async () => {
    const client = connect(redis.connection);
    await client.set("before-failover", "1");
    const old = await redis.primary();

    const next = await redis.failover();
    expect(next.port).not.toBe(old.port);
    await eventually(async () => (await redis.role(old.port)) === "slave");
    await eventually(async () => (await client.set("after-failover", "1")) === "OK");
    const onNext = connect(next);
    expect(await onNext.mget("before-failover", "after-failover")).toEqual(["1", "1"]);
    await redis.waitForAgreement();
  }, 60_000);

  it("replaces a killed primary, which rejoins as a replica of the new one once restarted", async () => {
    const old = await redis.primary();
    await redis.kill(old.port);
    const next = await redis.waitForPrimaryChange(old.port);
    expect(next.port).not.toBe(old.port);
    await redis.restart(old.port);

    await eventually(async () => (await redis.role(old.port)) === "slave");
    // The sentinels may settle on the other replica: a failover that does not finish within its timeout is tried
    // again in a later epoch, and may promote another replica than the one a sentinel named first.
    const agreed = await redis.waitForAgreement(60_000);
    expect(agreed.port).not.toBe(old.port);
    expect([...redis.servers.keys()]).toContain(agreed.port);
    expect(await redis.role(agreed.port)).toBe("master");
    expect(await redis.role(old.port)).toBe("slave");
  }, 90_000);
});
