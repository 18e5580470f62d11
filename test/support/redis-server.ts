/**
 * A throwaway redis-server for tests: started on a free loopback port with no
 * persistence, stopped by `stop()`. It fails loudly when redis-server is not
 * installed or does not start; tests that need Redis never skip.
 *
 * @example
 * let redis: RedisServer;
 * beforeAll(async () => (redis = await startRedisServer()));
 * afterAll(() => redis.stop());
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";

/** A running redis-server. */
export interface RedisServer {
  readonly port: number;
  /** BullMQ connection options for this server. */
  readonly connection: { readonly host: "127.0.0.1"; readonly port: number };
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

/** Starts redis-server on 127.0.0.1 and a free port; retries on a port taken in between. */
export async function startRedisServer(): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort());
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(
    `redis-server could not be started (the BullMQ tests need it; install it with: apt-get install redis-server): ${String(lastError)}`,
  );
}

async function startOnce(port: number): Promise<RedisServer> {
  const child = spawn("redis-server", ["--save", "", "--appendonly", "no", "--port", String(port), "--bind", "127.0.0.1"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no "Ready to accept connections" within ${START_TIMEOUT_MS} ms: ${output}`)), START_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.once("error", fail);
    child.once("exit", (code, signal) => fail(new Error(`redis-server exited (${code ?? signal}): ${output}`)));
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
  });
  return {
    port,
    connection: { host: "127.0.0.1", port },
    stop: () => stop(child),
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // Nothing is persisted, so there is nothing to shut down gracefully.
  child.kill("SIGKILL");
  await exited;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
