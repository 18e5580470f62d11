/**
 * The invocation worker fixture (test/fixtures/bullmq/worker.ts) in a
 * process of its own, for tests that kill, freeze and resume workers. It runs
 * bundled (see fixture-bundle.ts): the storm test starts five.
 *
 * @example
 * const workers = useWorkerProcesses();
 * const worker = await workers.start({ port: redis.port, queueName: "q", lockDurationMs: 1_000, stalledIntervalMs: 300 });
 * onTestFinished(() => worker.kill());
 * await worker.waitForLine((line) => line.startsWith("error: "));
 */
import { spawn } from "node:child_process";
import { useFixtureBundle } from "./fixture-bundle.js";

/** Bundles the worker fixture for the test file; `start` starts one inside a test. */
export function useWorkerProcesses(): { start(options: WorkerProcessOptions): Promise<WorkerProcess> } {
  const bundle = useFixtureBundle("test/fixtures/bullmq/worker.ts");
  return { start: (options) => startWorkerProcess(bundle.path(), options) };
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
