// The worker processes of a chaos run: started, killed, frozen and resumed on
// demand, with what each reported (jobs taken, jobs completed, errors).
import { fork, type ChildProcess } from "node:child_process";
import type { ChaosCommand, WorkerConfig, WorkerMessage } from "./messages.js";

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** One worker process and what it reported. */
export interface WorkerRecord {
  /** w1, w2, ... in start order. */
  readonly name: string;
  readonly pid: number;
  /** Jobs it took and has not completed (nor seen ended elsewhere). */
  readonly active: Set<string>;
  /** When (ms into the run) it completed each job, in order. */
  readonly completedAt: number[];
  /** When it was killed; undefined while it lives. */
  killedAt: number | undefined;
  /** When it was frozen and resumed (`to` undefined while frozen). */
  readonly frozen: { from: number; to: number | undefined }[];
}

/** What the workers' `error` events said, by kind. */
export interface WorkerErrorCounts {
  /** Runs that found their job's lock taken over and stopped (or polled on) without writing. */
  lockLost: number;
  /** Results BullMQ refused because the lock was no longer the worker's. */
  staleResultsRefused: number;
  /** Lock renewals refused (the lock had expired while the worker was frozen). */
  lockRenewalsRefused: number;
  /** Redis unreachable or the connection cut. */
  connection: number;
  /** Results refused because Redis has no such job: a failover lost the job's add, after a worker took the job from the old primary. */
  jobGone: number;
  /** Anything else, by message. */
  readonly other: Map<string, number>;
}

/** The pool of worker processes. */
export class WorkerPool {
  readonly all: WorkerRecord[] = [];
  /** Completions per job id, over every worker. */
  readonly completionsPerJob = new Map<string, number>();
  readonly errors: WorkerErrorCounts = { lockLost: 0, staleResultsRefused: 0, lockRenewalsRefused: 0, connection: 0, jobGone: 0, other: new Map() };
  /** Workers that exited without being killed or stopped, with how. */
  readonly crashed: string[] = [];
  readonly #bundle: string;
  readonly #config: WorkerConfig;
  readonly #now: () => number;
  readonly #children = new Map<WorkerRecord, ChildProcess>();
  #stopping = false;
  readonly #onFrozen = new Map<WorkerRecord, (jobId: string) => void>();

  constructor(bundle: string, config: WorkerConfig, now: () => number) {
    this.#bundle = bundle;
    this.#config = config;
    this.#now = now;
  }

  /** The workers that have not been killed. */
  live(): WorkerRecord[] {
    return this.all.filter((worker) => worker.killedAt === undefined);
  }

  /** Starts a worker process; resolves once it is connected to Redis. */
  async start(): Promise<WorkerRecord> {
    const child = fork(this.#bundle, [JSON.stringify(this.#config)], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
    const worker: WorkerRecord = { name: `w${this.all.length + 1}`, pid: child.pid ?? 0, active: new Set(), completedAt: [], killedAt: undefined, frozen: [] };
    this.all.push(worker);
    this.#children.set(worker, child);
    this.#readLines(worker, child);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${worker.name} not ready within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      child.once("exit", (code, signal) => reject(new Error(`${worker.name} exited before it was ready (${code ?? signal})`)));
      child.on("message", (message: WorkerMessage) => {
        if (message.type === "ready") {
          clearTimeout(timer);
          resolve();
        } else {
          this.#record(worker, message);
        }
      });
    });
    await ready;
    child.removeAllListeners("exit");
    child.once("exit", (code, signal) => {
      if (worker.killedAt === undefined && !this.#stopping) this.crashed.push(`${worker.name} exited by itself (${code ?? signal})`);
    });
    return worker;
  }

  /** SIGKILL; resolves once the process exited. */
  async kill(worker: WorkerRecord): Promise<void> {
    const child = this.#children.get(worker);
    worker.killedAt = this.#now();
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** SIGSTOP: the process stops at once, its sockets stay open, as in a long GC pause. */
  freeze(worker: WorkerRecord): void {
    this.#children.get(worker)?.kill("SIGSTOP");
    worker.frozen.push({ from: this.#now(), to: undefined });
  }

  /**
   * Has the worker stop itself right after it takes its next job (see ChaosCommand); when it takes
   * none within `withinMs`, it is stopped where it is. Resolves with the job it took, if any.
   */
  async freezeOnNextTake(worker: WorkerRecord, withinMs: number): Promise<string | undefined> {
    const child = this.#children.get(worker);
    const frozen = new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#onFrozen.delete(worker);
        resolve(undefined);
      }, withinMs + 500);
      this.#onFrozen.set(worker, (jobId) => {
        clearTimeout(timer);
        resolve(jobId);
      });
    });
    child?.send({ type: "freeze-on-next-take", withinMs } satisfies ChaosCommand);
    const jobId = await frozen;
    if (jobId === undefined) {
      this.freeze(worker);
    } else {
      worker.frozen.push({ from: this.#now(), to: undefined });
    }
    return jobId;
  }

  /** SIGCONT. */
  resume(worker: WorkerRecord): void {
    this.#children.get(worker)?.kill("SIGCONT");
    const last = worker.frozen.at(-1);
    if (last !== undefined && last.to === undefined) last.to = this.#now();
  }

  /** Drops `jobId` from every worker's active set once its result is known. */
  forget(jobId: string): void {
    for (const worker of this.all) worker.active.delete(jobId);
  }

  /** Resumes frozen workers, asks every worker to close (SIGTERM), and kills those that do not exit in time. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      [...this.#children.entries()].map(async ([worker, child]) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once("exit", resolve));
        if (isFrozen(worker)) this.resume(worker);
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** The process ids of every worker ever started that still run. */
  leftRunning(): number[] {
    return this.all.map((worker) => worker.pid).filter(isRunning);
  }

  /** Reads the worker's stdout: `frozen <job id>` lines are for freezeOnNextTake, anything else is passed on. */
  #readLines(worker: WorkerRecord, child: ChildProcess): void {
    let partial = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        const frozen = /^frozen (.*)$/.exec(line);
        if (frozen === null) {
          console.log(`${worker.name}: ${line}`);
        } else {
          this.#onFrozen.get(worker)?.(frozen[1] ?? "");
          this.#onFrozen.delete(worker);
        }
      }
    });
  }

  #record(worker: WorkerRecord, message: WorkerMessage): void {
    if (message.type === "active") {
      worker.active.add(message.jobId);
    } else if (message.type === "completed") {
      worker.active.delete(message.jobId);
      worker.completedAt.push(this.#now());
      this.completionsPerJob.set(message.jobId, (this.completionsPerJob.get(message.jobId) ?? 0) + 1);
    } else if (message.type === "error") {
      if (process.env.CHAOS_DEBUG) console.log(`    [${this.#now()}] ${worker.name}: ${message.message.slice(0, 100)}`);
      this.#countError(message.message);
    }
  }

  #countError(message: string): void {
    const { errors } = this;
    if (message.includes("its lock is no longer held by this worker")) errors.lockLost += 1;
    else if (/^(Missing lock for job|Lock mismatch for job)/.test(message)) errors.staleResultsRefused += 1;
    else if (message.startsWith("could not renew lock")) errors.lockRenewalsRefused += 1;
    else if (/^Missing key for job/.test(message)) errors.jobGone += 1;
    // ioredis says "All sentinels are unreachable" when none of them named a primary it could reach.
    else if (/ECONNREFUSED|ECONNRESET|EPIPE|Connection is closed|Stream isn't writeable|All sentinels are unreachable/.test(message)) errors.connection += 1;
    else errors.other.set(message, (errors.other.get(message) ?? 0) + 1);
  }
}

/** Whether the worker is frozen now. */
export function isFrozen(worker: WorkerRecord): boolean {
  return worker.frozen.length > 0 && worker.frozen.at(-1)?.to === undefined;
}

/** Whether a process with this id runs (a signal 0 reaches it). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
