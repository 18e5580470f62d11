/**
 * The invocation worker fixture (test/fixtures/bullmq/worker.ts) in a
 * process of its own, for tests that kill, freeze and resume workers.
 *
 * The fixture is bundled once per test file, like the command in
 * cli-harness.ts: a process that loaded the library's TypeScript source
 * through the TypeScript compiler took 1.5-2 s to start on an idle 2-core
 * machine and 5-7 s on a busy one, so a test that starts five of them spent
 * most of its time limit compiling. The bundle starts in about 0.4 s.
 *
 * @example
 * const workers = useWorkerProcesses();
 * const worker = await workers.start({ port: redis.port, queueName: "q", lockDurationMs: 1_000, stalledIntervalMs: 300 });
 * onTestFinished(() => worker.kill());
 * await worker.waitForLine((line) => line.startsWith("error: "));
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "tsup";
import { afterAll, beforeAll } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKER_FIXTURE = join(ROOT, "test/fixtures/bullmq/worker.ts");

/** Bundles the worker fixture for the test file (before its tests) and removes the bundle after them. */
export function useWorkerProcesses(): { start(options: WorkerProcessOptions): Promise<WorkerProcess> } {
  let bundle: { path: string; remove: () => Promise<void> } | undefined;
  beforeAll(async () => {
    bundle = await buildWorkerFixture();
  }, 60_000);
  afterAll(() => bundle?.remove());
  return {
    start: (options) => {
      if (bundle === undefined) throw new Error("useWorkerProcesses(): the worker fixture is bundled in beforeAll; start workers inside tests");
      return startWorkerProcess(bundle.path, options);
    },
  };
}

/** Bundles the worker fixture into a fresh directory; undici, zod, bullmq and ioredis stay imports from node_modules. */
async function buildWorkerFixture(): Promise<{ path: string; remove: () => Promise<void> }> {
  // Inside the repository, so that the bundle resolves its dependencies from node_modules.
  await mkdir(join(ROOT, ".tmp"), { recursive: true });
  const directory = await mkdtemp(join(ROOT, ".tmp", "worker-fixture-"));
  await build({
    config: false,
    entry: { worker: WORKER_FIXTURE },
    format: ["esm"],
    target: "node20",
    platform: "node",
    outDir: directory,
    dts: false,
    clean: false,
    splitting: false,
    silent: true,
  });
  return { path: join(directory, "worker.js"), remove: () => rm(directory, { recursive: true, force: true }) };
}

/** What a worker process runs with. */
export interface WorkerProcessOptions {
  readonly port: number;
  readonly queueName: string;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  /** Whether the process stops itself (SIGSTOP) right after it takes its first job. */
  readonly freezeOnActive?: boolean;
}

/** A running worker process. */
export interface WorkerProcess {
  readonly pid: number;
  /** The lines it printed so far ("ready", "freezing", "error: ..."). */
  readonly lines: readonly string[];
  /** Resolves with the first line, printed so far or later, that `match` accepts. */
  waitForLine(match: (line: string) => boolean): Promise<string>;
  /** Sends a signal (SIGSTOP, SIGCONT, ...). */
  signal(signal: NodeJS.Signals): void;
  /** Kills it with SIGKILL, frozen or not, and resolves once it exited. */
  kill(): Promise<void>;
}

/** Starts the bundled worker fixture at `path`; resolves once it is connected to Redis. */
async function startWorkerProcess(path: string, options: WorkerProcessOptions): Promise<WorkerProcess> {
  const args = [options.port, options.queueName, options.lockDurationMs, options.stalledIntervalMs].map(String);
  if (options.freezeOnActive === true) args.push("freeze-on-active");
  const child = spawn(process.execPath, [path, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  const waiters = new Set<{ match: (line: string) => boolean; resolve: (line: string) => void }>();
  let partial = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters) {
        if (waiter.match(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const waitForLine = (match: (line: string) => boolean): Promise<string> => {
    const seen = lines.find(match);
    return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => void waiters.add({ match, resolve }));
  };
  const worker: WorkerProcess = {
    pid: child.pid ?? 0,
    lines,
    waitForLine,
    signal: (signal) => void child.kill(signal),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
  const early = exited.then(() => {
    throw new Error(`worker fixture exited before it was ready: ${lines.join(" | ")}`);
  });
  await Promise.race([waitForLine((line) => line === "ready"), early]).catch(async (error: unknown) => {
    await worker.kill();
    throw error;
  });
  early.catch(() => undefined);
  return worker;
}
