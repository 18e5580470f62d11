import type { RedisClient } from "bullmq";
import { describe, expect, it } from "vitest";
import { namesSentinels, replicationOf, sentinelConnection, withFailoverSettings, workerConnection } from "../../src/bullmq/connection.js";
import { confirmed, REPLICA_WAIT_MS } from "../../src/bullmq/replication.js";

type Answer = [Error | null, unknown];

/** A client whose one pipeline records its commands and answers `answers` (or rejects with `failure`). */
function scriptedClient(answers: Answer[] | Error) {
  const commands: unknown[][] = [];
  const pipeline = {
    call(...command: unknown[]) {
      commands.push(command);
      return pipeline;
    },
    exec: () => (answers instanceof Error ? Promise.reject(answers) : Promise.resolve(answers)),
  };
  return { client: { pipeline: () => pipeline } as unknown as RedisClient, commands };
}

const ONE = { on: true, target: () => Promise.resolve({ runId: undefined, replicas: 1 }), waitMs: 500 };

describe("confirmed", () => {
  it("sends the writes and then WAIT between two CLIENT IDs, in one pipeline", async () => {
    const { client, commands } = scriptedClient([[null, 7], [null, "OK"], [null, 1], [null, 7]]);
    const read = await confirmed(client, ONE, (pipeline) => pipeline.call("SET", "k", "v"));
    expect(commands).toEqual([["CLIENT", "ID"], ["SET", "k", "v"], ["WAIT", 1, 500], ["CLIENT", "ID"]]);
    expect(read).toEqual({ replies: ["OK"], confirmed: true, problem: "" });
  });

  it("is unconfirmed when fewer replicas acknowledged the writes than asked", async () => {
    const { client } = scriptedClient([[null, 7], [null, "OK"], [null, 0], [null, 7]]);
    const read = await confirmed(client, ONE, (pipeline) => pipeline.call("SET", "k", "v"));
    expect(read).toEqual({ replies: ["OK"], confirmed: false, problem: "0 of 1 replica(s) acknowledged it within 500 ms" });
  });

  it("is unconfirmed when the WAIT ran on another connection than the writes, however many replicas it counted", async () => {
    const { client } = scriptedClient([[null, 7], [null, "OK"], [null, 2], [null, 12]]);
    const read = await confirmed(client, ONE, (pipeline) => pipeline.call("SET", "k", "v"));
    expect(read.confirmed).toBe(false);
    expect(read.problem).toBe("the connection changed between the write and its WAIT");
  });

  it("is unconfirmed, with Redis's words, when a command was answered with an error (a demoted primary's READONLY)", async () => {
    const readonly = new Error("READONLY You can't write against a read only replica.");
    const { client } = scriptedClient([[null, 7], [readonly, null], [null, 0], [null, 7]]);
    const read = await confirmed(client, ONE, (pipeline) => pipeline.call("SET", "k", "v"));
    expect(read).toEqual({ replies: [null], confirmed: false, problem: `Redis answered: ${readonly.message}` });
  });

  it("reads the server's run_id with the writes when the target names the primary, and is unconfirmed on another server", async () => {
    const primary = { on: true, target: () => Promise.resolve({ runId: "abc", replicas: 1 }), waitMs: 500 };
    const on = scriptedClient([[null, 7], [null, "OK"], [null, "# Server\r\nrun_id:abc\r\n"], [null, 1], [null, 7]]);
    expect(await confirmed(on.client, primary, (pipeline) => pipeline.call("SET", "k", "v"))).toEqual({ replies: ["OK"], confirmed: true, problem: "" });
    expect(on.commands).toEqual([["CLIENT", "ID"], ["SET", "k", "v"], ["INFO", "server"], ["WAIT", 1, 500], ["CLIENT", "ID"]]);
    const stale = scriptedClient([[null, 7], [null, "OK"], [null, "# Server\r\nrun_id:old\r\n"], [null, 1], [null, 7]]);
    const read = await confirmed(stale.client, primary, (pipeline) => pipeline.call("SET", "k", "v"));
    expect(read).toEqual({ replies: ["OK"], confirmed: false, problem: "the server is not the primary the sentinels name (a failover is under way)" });
  });

  it("is unconfirmed, saying why, while the target is unsettled, however many replicas acknowledged the writes", async () => {
    const failover = "the sentinels flag the primary \"master,failover_in_progress\" (a failover is under way)";
    const unsettled = { on: true, target: () => Promise.resolve({ runId: undefined, replicas: 1, unsettled: failover }), waitMs: 500 };
    const { client } = scriptedClient([[null, 7], [null, "OK"], [null, 2], [null, 7]]);
    const read = await confirmed(client, unsettled, (pipeline) => pipeline.call("SET", "k", "v"));
    expect(read).toEqual({ replies: ["OK"], confirmed: false, problem: failover });
  });

  it("resolves unconfirmed, never rejects, when the pipeline fails", async () => {
    const { client } = scriptedClient(new Error("Connection is closed."));
    const read = await confirmed(client, ONE, (pipeline) => pipeline.call("SET", "k", "v"));
    expect(read).toEqual({ replies: [], confirmed: false, problem: "Redis could not be reached (Connection is closed.)" });
  });
});

describe("the replication of a connection", () => {
  const sentinels = [{ host: "127.0.0.1", port: 26379 }];

  it("confirms when the connection names sentinels, not otherwise, and by what `replicas` says either way", async () => {
    expect(replicationOf({ sentinels, name: "mymaster" }, undefined)).toMatchObject({ on: true, waitMs: REPLICA_WAIT_MS });
    expect(replicationOf({ host: "127.0.0.1", port: 6379 }, undefined).on).toBe(false);
    expect(replicationOf({ sentinels, name: "mymaster" }, 0).on).toBe(false);
    const two = replicationOf({ host: "127.0.0.1", port: 6379 }, 2);
    expect([two.on, await two.target()]).toEqual([true, { runId: undefined, replicas: 2 }]);
  });

  it("rejects a `replicas` that is not a whole number of at least 0, naming it", () => {
    expect(() => replicationOf(undefined, -1)).toThrow("Expected `replicas` to be a whole number of at least 0, got -1");
    expect(() => replicationOf(undefined, 1.5)).toThrow("got 1.5");
  });

  it("sees sentinels in connection options and in a client's options", () => {
    expect(namesSentinels({ sentinels, name: "mymaster" })).toBe(true);
    expect(namesSentinels({ options: { sentinels, name: "mymaster" } } as never)).toBe(true);
    expect(namesSentinels({ sentinels: [], name: "mymaster" })).toBe(false);
    expect(namesSentinels({ host: "127.0.0.1" })).toBe(false);
    expect(namesSentinels(undefined)).toBe(false);
  });
});

describe("sentinelConnection", () => {
  const base = { sentinels: [{ host: "127.0.0.1", port: 26379 }], name: "mymaster" };

  it("fills in reconnect on READONLY and waiting commands, and keeps what the caller set", () => {
    const connection = sentinelConnection({ ...base, maxRetriesPerRequest: 5 });
    expect(connection).toMatchObject({ ...base, maxRetriesPerRequest: 5 });
    expect(connection.reconnectOnError(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect(connection.reconnectOnError(new Error("ERR unknown command"))).toBe(false);
    expect(sentinelConnection(base).maxRetriesPerRequest).toBeNull();
  });

  it("is applied to plain options that name sentinels, with the failover detector for a worker, and leaves other connections as given", () => {
    expect(withFailoverSettings(base)).toMatchObject({ maxRetriesPerRequest: null });
    expect(withFailoverSettings(base)).not.toHaveProperty("failoverDetector");
    expect(workerConnection(base)).toMatchObject({ failoverDetector: true, maxRetriesPerRequest: null });
    expect(workerConnection({ ...base, failoverDetector: false })).toMatchObject({ failoverDetector: false });
    const single = { host: "127.0.0.1", port: 6379 };
    expect(withFailoverSettings(single)).toBe(single);
    expect(workerConnection(single)).toBe(single);
  });
});
