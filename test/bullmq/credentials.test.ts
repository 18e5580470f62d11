/**
 * Secrets through the queue: the job data holds `{secret:API_TOKEN}` as it
 * was written, the worker's runner resolves it when each request is built,
 * and no resolved value reaches Redis: not a key, not the append-only file,
 * not the result. The backend echoes the token it got in every answer, so
 * that a value the runner failed to redact would show up.
 */
import type { ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInvocationWorker, enqueueInvocation, waitForResult, type InvocationProgress } from "../../src/bullmq/index.js";
import type { RuntimeResult } from "../../src/contracts/result.js";
import { asyncHttpMetadata } from "../../src/http/metadata/builders.js";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { ExecutorRuntime } from "../../src/runtime.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startScriptedServer, type RecordedRequest, type ScriptedServer } from "../support/scripted-server.js";

const QUEUE = "credentials";
const INVOCATION_ID = "token-run-1";
const HEADERS = { "X-Api-Token": "{secret:API_TOKEN}" };

/** Every value the secret handed out, in order: one per request. */
const issued: string[] = [];
const apiToken = (): string => {
  const value = `tok-${randomBytes(16).toString("hex")}`;
  issued.push(value);
  return value;
};

/** The values of `issued` that appear in `text`. */
function leaked(text: string): string[] {
  return issued.filter((value) => text.includes(value));
}

/**
 * A job API on 127.0.0.1 that records the `X-Api-Token` of every request and
 * echoes it in its answer: the first poll is refused 401 as if the token had
 * expired, the second answers 503, the third `running`, the fourth
 * `succeeded` with an output.
 */
async function startTokenBackend(): Promise<ScriptedServer & { readonly tokens: string[] }> {
  const tokens: string[] = [];
  let polls = 0;
  const answer = (request: RecordedRequest, response: ServerResponse): void => {
    const token = String(request.headers["x-api-token"]);
    tokens.push(token);
    const json = (status: number, body: unknown, headers = {}): void =>
      void response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
    if (request.method === "POST") return json(202, { id: "j-1", token }, { location: "/jobs/j-1" });
    polls += 1;
    if (polls === 1) return json(401, { error: `token ${token} has expired` });
    if (polls === 2) return json(503, { error: `token ${token} is being renewed` });
    if (polls === 3) return json(200, { status: "running", token });
    return json(200, { status: "succeeded", output: { rows: 3, token } });
  };
  return Object.assign(await startScriptedServer([], { fallback: answer }), { tokens });
}

/** Every key of every type, with its whole content, as one text; a type this cannot read fails the test. */
async function readEveryKey(client: Redis): Promise<string> {
  const parts: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const key of keys) parts.push(key, await readKey(client, key));
  } while (cursor !== "0");
  return parts.join("\n");
}

async function readKey(client: Redis, key: string): Promise<string> {
  const type = await client.type(key);
  switch (type) {
    case "string":
      return (await client.get(key)) ?? "";
    case "hash":
      return JSON.stringify(await client.hgetall(key));
    case "list":
      return JSON.stringify(await client.lrange(key, 0, -1));
    case "set":
      return JSON.stringify(await client.smembers(key));
    case "zset":
      return JSON.stringify(await client.zrange(key, 0, -1, "WITHSCORES"));
    case "stream":
      return JSON.stringify(await client.xrange(key, "-", "+"));
    default:
      throw new Error(`key ${key} is a ${type}, which this test cannot read`);
  }
}

/** The files of the append-only directory (Redis 7: a manifest, a base file and increment files), by name. */
async function readAppendOnlyFiles(dir: string): Promise<Map<string, string>> {
  const aofDir = join(dir, "appendonlydir");
  const names = await readdir(aofDir);
  // latin1 maps each byte to one character, so an ASCII value is found whatever surrounds it.
  return new Map(await Promise.all(names.map(async (name) => [name, await readFile(join(aofDir, name), "latin1")] as const)));
}

/** Resolves once `text` is in an append-only file; at most `tries` reads. */
async function untilInAppendOnlyFile(dir: string, text: string, tries = 500): Promise<Map<string, string>> {
  for (let attempt = 0; attempt < tries; attempt++) {
    const files = await readAppendOnlyFiles(dir);
    if ([...files.values()].some((content) => content.includes(text))) return files;
    await delay(10);
  }
  throw new Error(`${JSON.stringify(text)} did not reach the append-only file in ${tries} reads`);
}

/** Rewrites the append-only file as plain commands (no RDB preamble, which may compress values) and resolves once it is done. */
async function rewriteAppendOnlyFile(client: Redis): Promise<void> {
  const rewrites = async (): Promise<{ done: number; busy: boolean }> => {
    const info = await client.info("persistence");
    const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? Number.NaN);
    return { done: field("aof_rewrites"), busy: field("aof_rewrite_in_progress") === 1 || field("aof_rewrite_scheduled") === 1 };
  };
  const before = (await rewrites()).done;
  await client.config("SET", "aof-use-rdb-preamble", "no");
  await client.bgrewriteaof();
  for (let attempt = 0; attempt < 500; attempt++) {
    const now = await rewrites();
    if (now.done > before && !now.busy) return;
    await delay(10);
  }
  throw new Error("BGREWRITEAOF did not finish in 500 reads of INFO persistence");
}

describe("secrets through the queue", () => {
  let dir: string;
  let redis: RedisServer;
  let client: Redis;
  let backend: Awaited<ReturnType<typeof startTokenBackend>>;
  let queue: Queue;
  let result: RuntimeResult;
  const progress: InvocationProgress[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "executor-runtime-credentials-"));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    redis = await startRedisServer({ appendOnlyDir: dir });
    closers.push(() => redis.stop());
    client = new Redis(redis.port, "127.0.0.1");
    closers.push(() => client.quit());
    backend = await startTokenBackend();
    closers.push(() => backend.close());

    // The worker process: its runner holds the secret; waits are cut to 5 ms so the run is quick.
    const sleep = (ms: number, signal?: AbortSignal): Promise<void> => delay(Math.min(ms, 5), undefined, signal === undefined ? {} : { signal });
    const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner({ secrets: { API_TOKEN: apiToken }, sleep }));
    const worker = createInvocationWorker(QUEUE, runtime, { connection: redis.connection });
    worker.on("progress", (_job, value) => void progress.push(value as unknown as InvocationProgress));
    closers.push(() => runtime.close(), () => worker.close());

    // The dispatcher: the invocation names the secret and never holds its value.
    queue = new Queue(QUEUE, { connection: redis.connection });
    closers.push(() => queue.close());
    const metadata = asyncHttpMetadata({
      url: backend.url("/jobs"),
      headers: HEADERS,
      pollStatusPath: "status",
      pollTerminalStates: ["succeeded", "failed"],
      pollSuccessStates: ["succeeded"],
      resultPath: "output",
      pollMaxConsecutiveErrors: 1,
    });
    await enqueueInvocation(queue, { invocation_id: INVOCATION_ID, runtime_name: "token-api", runtime_kind: "http_async", metadata });
    result = await waitForResult(queue, INVOCATION_ID);
  }, 30_000);

  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it("sends a fresh value on every request, the repeated poll after a 401 included", () => {
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "4" } });
    expect(backend.requests.map((request) => request.method)).toEqual(["POST", "GET", "GET", "GET", "GET"]);
    expect(backend.tokens).toEqual(issued);
    expect(new Set(issued).size).toBe(5);
  });

  it("keeps the secret's name in the job data, as the invocation wrote it", async () => {
    const job = await queue.getJob(INVOCATION_ID);
    expect(job?.data.invocation).toMatchObject({ metadata: { "http.headers": JSON.stringify(HEADERS) } });
    expect(job?.data.checkpoint).toMatchObject({ pollUrl: backend.url("/jobs/j-1") });
  });

  it("returns and stores a result without any value, the echoed ones redacted", async () => {
    expect(result.metadata["http.result"]).toBe('{"rows":3,"token":"[REDACTED]"}');
    const stored = await queue.getJob(INVOCATION_ID);
    expect(stored?.returnvalue).toEqual(result);
    expect(leaked(JSON.stringify([result, stored?.returnvalue, stored?.data, stored?.progress]))).toEqual([]);
  });

  it("reports the retries as progress, an echoed value redacted", () => {
    const retries = progress.flatMap((record) => (record.event.type === "retry" ? [record.event.error] : []));
    expect(retries).toEqual(["HTTP 401: the credentials are resolved again", expect.stringContaining("token [REDACTED] is being renewed")]);
    expect(leaked(JSON.stringify(progress))).toEqual([]);
  });

  it("writes no value into any Redis key of any type", async () => {
    const keyspace = await client.info("keyspace");
    expect(keyspace.match(/^db\d+:/gm)).toEqual(["db0:"]);
    const everything = await readEveryKey(client);
    expect(everything).toContain("{secret:API_TOKEN}");
    expect(everything).toContain("[REDACTED]");
    expect(leaked(everything)).toEqual([]);
  });

  it("writes no value into the append-only file, neither as it was written nor once rewritten", async () => {
    const marker = `written-after-the-run-${randomBytes(4).toString("hex")}`;
    await client.set("credentials-test:marker", marker);
    const written = await untilInAppendOnlyFile(dir, marker);
    const increments = [...written].filter(([name]) => name.endsWith(".incr.aof"));
    expect(increments.map(([, content]) => content).join("")).toContain("{secret:API_TOKEN}");
    expect([...written].flatMap(([name, content]) => leaked(content).map((value) => `${name}: ${value}`))).toEqual([]);

    await rewriteAppendOnlyFile(client);
    const rewritten = await readAppendOnlyFiles(dir);
    const base = [...rewritten].find(([name]) => name.endsWith(".base.aof"));
    expect(base?.[1]).toContain(INVOCATION_ID);
    expect([...rewritten].flatMap(([name, content]) => leaked(content).map((value) => `${name}: ${value}`))).toEqual([]);
  });
});
