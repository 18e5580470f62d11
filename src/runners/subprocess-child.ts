import { spawn, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { errorMessage } from "../util/error-message.js";
import { closeFileStream, type OutputFiles } from "./subprocess-files.js";
import { guardProcessGroup, signalProcessGroup } from "./subprocess-group.js";

/**
 * Why a child was stopped: the run's deadline, the caller's abort, or
 * SIGTERM received by this process.
 * @internal
 */
export type StopCause = "timed_out" | "cancelled" | "parent_sigterm";

/**
 * What `superviseChild` needs.
 * @internal
 */
export interface ChildSpec {
  /** The program and its arguments; run without a shell. */
  readonly command: readonly [string, ...string[]];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** A file descriptor to use as stdin, or undefined for none. */
  readonly stdinFd: number | undefined;
  readonly output: OutputFiles;
  /** Aborting it stops the child; `stopCauseOf` says why it was aborted. */
  readonly signal: AbortSignal;
  readonly stopCauseOf: () => StopCause;
  readonly killGraceMs: number;
}

/**
 * How a supervised child ended.
 * @internal
 */
export type ChildOutcome =
  | { readonly started: false; readonly error: unknown }
  | {
      readonly started: true;
      readonly pid: number;
      readonly exitCode: number | null;
      readonly exitSignal: NodeJS.Signals | null;
      readonly stopCause: StopCause | undefined;
      /** Whether SIGKILL was sent after the grace period. */
      readonly escalated: boolean;
      /** The first failure writing an output file, if any. */
      readonly outputError: string | undefined;
    };

/**
 * Runs a command as the leader of its own process group, streams its stdout
 * and stderr into the output files, and resolves once it has exited and both
 * files are written and closed. When `signal` aborts or this process receives
 * SIGTERM, the whole group gets SIGTERM, then SIGKILL after `killGraceMs`.
 * Every timer and listener is removed and both files are closed on every path.
 * @internal
 */
export async function superviseChild(spec: ChildSpec): Promise<ChildOutcome> {
  const [program, ...args] = spec.command;
  let child: ChildProcess;
  try {
    child = spawn(program, args, {
      cwd: spec.cwd,
      env: spec.env,
      // Its own process group, so the whole tree can be signalled at once.
      detached: true,
      stdio: [spec.stdinFd ?? "ignore", "pipe", "pipe"],
      shell: false,
      windowsHide: true,
    });
  } catch (error) {
    await Promise.all([closeFileStream(spec.output.stdout), closeFileStream(spec.output.stderr)]);
    return { started: false, error };
  }
  const failedToStart = new Promise<unknown>((resolve) => child.once("error", resolve));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const written = Promise.all([
    streamToFile(child.stdout, spec.output.stdout, spec.output.stdoutPath),
    streamToFile(child.stderr, spec.output.stderr, spec.output.stderrPath),
  ]);
  const pid = child.pid;
  if (pid === undefined) {
    const error = await failedToStart;
    await written;
    return { started: false, error };
  }
  // A later 'error' (none is expected once spawned) must not crash the process.
  child.on("error", () => undefined);

  let settled = false;
  let stopCause: StopCause | undefined;
  let escalated = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const stop = (cause: StopCause): void => {
    if (settled || stopCause !== undefined) return;
    stopCause = cause;
    signalProcessGroup(pid, "SIGTERM");
    graceTimer = setTimeout(() => {
      graceTimer = undefined;
      escalated = signalProcessGroup(pid, "SIGKILL");
    }, spec.killGraceMs);
  };
  const onAbort = (): void => stop(spec.stopCauseOf());
  spec.signal.addEventListener("abort", onAbort, { once: true });
  const release = guardProcessGroup({ pid, stop: () => stop("parent_sigterm") });
  try {
    if (spec.signal.aborted) onAbort();
    const [exit, outputErrors] = await Promise.all([exited, written]);
    return {
      started: true,
      pid,
      exitCode: exit.code,
      exitSignal: exit.signal,
      stopCause,
      escalated,
      outputError: outputErrors.find((error) => error !== undefined),
    };
  } finally {
    settled = true;
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    spec.signal.removeEventListener("abort", onAbort);
    release();
  }
}

/**
 * Pipes one output stream into its file (with backpressure, so nothing
 * accumulates in memory) and waits until the file is closed. Resolves to a
 * description of the failure, if writing failed.
 */
async function streamToFile(
  source: Readable | null,
  file: OutputFiles["stdout"],
  path: string,
): Promise<string | undefined> {
  try {
    if (source === null) return undefined;
    await pipeline(source, file);
    return undefined;
  } catch (error) {
    return `could not write ${path}: ${errorMessage(error)}`;
  } finally {
    await closeFileStream(file);
  }
}
