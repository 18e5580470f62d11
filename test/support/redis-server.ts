/**
 * A throwaway redis-server for tests: started on a free loopback port, with no
 * persistence unless it is given a directory for an append-only file, and
 * stopped by `stop()`. `kill()` and `restart()` play a Redis crash and its
 * comeback on the same port; `pause()` and `resume()` freeze it (SIGSTOP,
 * SIGCONT). Given a `configDir`, it runs from a config file of its own there,
 * as a replica or a Sentinel does (see redis-sentinel.ts). It fails loudly
 * when redis-server is not installed or does not start; tests that need Redis
 * never skip. Whatever the test does, no server outlives the process that
 * started it: those still running when it exits are killed.
 *
 * @example
 * let redis: RedisServer;
 * beforeAll(async () => (redis = await startRedisServer()));
 * afterAll(() => redis.stop());
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";

/** Options of `startRedisServer`. */
export interface RedisServerOptions {
  /**
   * A directory for an append-only file (`appendonly yes`, `appendfsync
   * everysec`), so that the data outlives `kill()`. Without it nothing is
   * persisted, and a restarted server starts empty. Not used with
   * `configDir`, where `directives` say `appendonly yes` instead.
   */
  readonly appendOnlyDir?: string;
  /**
   * A directory in which the server gets a directory of its own, named by its
   * port, holding its data and its config file `redis.conf`: the server runs
   * from that file, so what it writes there itself (Sentinel's `CONFIG
   * REWRITE` after a `REPLICAOF`, a sentinel's state) holds across `kill()`
   * and `restart()`. Without it the settings are given on the command line.
   */
  readonly configDir?: string;
  /** Config directives added to the file in `configDir` (a later one overrides an earlier one), e.g. `replicaof 127.0.0.1 6380`. */
  readonly directives?: (port: number) => readonly string[];
  /** Runs a Sentinel (`redis-server <file> --sentinel`); needs `configDir`. */
  readonly sentinel?: boolean;
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
  /** Freezes the server (SIGSTOP): its sockets stay open, and nothing answers. */
  pause(): void;
  /** Lets a paused server run on (SIGCONT). */
  resume(): void;
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
    pause: () => void child?.kill("SIGSTOP"),
    resume: () => void child?.kill("SIGCONT"),
    stop: kill,
  };
}

function serverArgs(port: number, options: RedisServerOptions): string[] {
  if (options.configDir !== undefined) return configFileArgs(port, options.configDir, options);
  const base = ["--port", String(port), "--bind", "127.0.0.1", "--save", ""];
  if (options.appendOnlyDir === undefined) return [...base, "--appendonly", "no"];
  return [...base, "--appendonly", "yes", "--appendfsync", "everysec", "--dir", options.appendOnlyDir];
}

/** Writes the server's config file on its first start; a restart runs from the file as the server left it. */
function configFileArgs(port: number, configDir: string, options: RedisServerOptions): string[] {
  const dir = join(configDir, String(port));
  const file = join(dir, "redis.conf");
  const persistence = options.sentinel === true ? [] : ['save ""', "appendonly no", "appendfsync everysec"];
  const lines = [`port ${port}`, "bind 127.0.0.1", `dir "${dir}"`, ...persistence, ...(options.directives?.(port) ?? [])];
  mkdirSync(dir, { recursive: true });
  // "wx": the file exists from the first start on, and is the server's own since.
  try {
    writeFileSync(file, `${lines.join("\n")}\n`, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return options.sentinel === true ? [file, "--sentinel"] : [file];
}

async function startOnce(port: number, options: RedisServerOptions): Promise<ChildProcess> {
  const child = spawn("redis-server", serverArgs(port, options), { stdio: ["ignore", "pipe", "pipe"] });
  // A sentinel says nothing of connections: it is ready once it has its id and monitors.
  const readyLine = options.sentinel === true ? "Sentinel ID is" : "Ready to accept connections";
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no "${readyLine}" within ${START_TIMEOUT_MS} ms: ${output}`)), START_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.once("error", fail);
    child.once("exit", (code, signal) => fail(new Error(`redis-server exited (${code ?? signal}): ${output}`)));
    const onData = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      if (output.includes(readyLine)) {
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
  killOnExit(child);
  return child;
}

/** Every server started and not yet exited: killed when this process exits, however it exits short of SIGKILL. */
const running = new Set<ChildProcess>();

function killOnExit(child: ChildProcess): void {
  if (running.size === 0 && !exitHooked) hookExit();
  running.add(child);
  child.once("exit", () => running.delete(child));
}

let exitHooked = false;

function hookExit(): void {
  exitHooked = true;
  const killAll = (): void => {
    for (const child of running) child.kill("SIGKILL");
  };
  process.once("exit", killAll);
  // A signal that no one listens to ends the process without "exit" (vitest stops its workers with
  // SIGTERM): then the servers are killed and the signal raised again, so that it still ends the
  // process. A process that listens (the chaos run) shuts down by itself, and "exit" sweeps up.
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    // First in line, so that it sees every listener before a `once` one removes itself.
    const onSignal = (): void => {
      const others = process.listeners(signal).filter((listener) => listener !== onSignal);
      if (others.length > 0) return;
      process.off(signal, onSignal);
      killAll();
      process.kill(process.pid, signal);
    };
    process.prependListener(signal, onSignal);
  }
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
