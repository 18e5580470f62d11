/**
 * A throwaway redis-server for tests: started on a free loopback port, with no
 * persistence unless it is given a directory for an append-only file, and
 * stopped by `stop()`. `kill()` and `restart()` play a Redis crash and its
 * comeback on the same port. It fails loudly when redis-server is not
 * installed or does not start; tests that need Redis never skip.
 *
 * @example
 * let redis: RedisServer;
 * beforeAll(async () => (redis = await startRedisServer()));
 * afterAll(() => redis.stop());
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";

/** Options of `startRedisServer`. */
export interface RedisServerOptions {
  /**
   * A directory for an append-only file (`appendonly yes`, `appendfsync
   * everysec`), so that the data outlives `kill()`. Without it nothing is
   * persisted, and a restarted server starts empty.
   */
  readonly appendOnlyDir?: string;
}

/** A redis-server on 127.0.0.1. */
export interface RedisServer {
  readonly port: number;
  /** BullMQ connection options for this server. */
  readonly connection: { readonly host: "127.0.0.1"; readonly port: number };
  /** The process id of the running server; undefined while it is killed. */
  readonly pid: number | undefined;
  /** Kills the server with SIGKILL (no shutdown, no last write) and resolves once it exited. */
  kill(): Promise<void>;
  /** Starts the server again, on the same port and with the same append-only file, after `kill()`. */
  restart(): Promise<void>;
  /** Stops the server for good. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

/** Starts redis-server on 127.0.0.1 and a free port; retries on a port taken in between. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const port = await freePort();
      return serverOn(port, options, await startOnce(port, options));
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(
    `redis-server could not be started (the BullMQ tests need it; install it with: apt-get install redis-server): ${String(lastError)}`,
  );
}

function serverOn(port: number, options: RedisServerOptions, started: ChildProcess): RedisServer {
  let child: ChildProcess | undefined = started;
  const kill = async (): Promise<void> => {
    if (child !== undefined) await killHard(child);
    child = undefined;
  };
  return {
    port,
    connection: { host: "127.0.0.1", port },
    get pid() {
      return child?.pid;
    },
    kill,
    async restart() {
      if (child !== undefined) throw new Error("redis-server is running; kill() it before restart()");
      child = await startOnce(port, options);
    },
    stop: kill,
  };
}

function serverArgs(port: number, options: RedisServerOptions): string[] {
  const base = ["--port", String(port), "--bind", "127.0.0.1", "--save", ""];
  if (options.appendOnlyDir === undefined) return [...base, "--appendonly", "no"];
  return [...base, "--appendonly", "yes", "--appendfsync", "everysec", "--dir", options.appendOnlyDir];
}

async function startOnce(port: number, options: RedisServerOptions): Promise<ChildProcess> {
  const child = spawn("redis-server", serverArgs(port, options), { stdio: ["ignore", "pipe", "pipe"] });
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
  // Read on, so that a full pipe never blocks the server's logging.
  child.stdout?.removeAllListeners("data").resume();
  child.stderr?.removeAllListeners("data").resume();
  return child;
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // What persists is written as it comes (append-only file), so there is nothing to shut down gracefully.
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
