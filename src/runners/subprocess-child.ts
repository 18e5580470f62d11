import { spawn, type ChildProcess } from "node:child_process";
import { closeOutputFiles, type OutputFiles } from "./subprocess-files.js";
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
  /** The child's stdout and stderr; `superviseChild` closes these handles once it is spawned. */
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
    };

/**
 * Runs a command as the leader of its own process group, with the output
 * files' descriptors as its stdout and stderr, and resolves once it has
 * exited. The output never passes through this process: the child (and any
 * grandchild it hands them to) holds its own copies of the descriptors, and
 * this process's handles are closed right after the spawn, so a grandchild
 * that keeps writing does not keep the run open. When `signal` aborts or this
 * process receives SIGTERM, the whole group gets SIGTERM, then SIGKILL after
 * `killGraceMs`. Every timer and listener is removed and both handles are
 * closed on every path.
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
      stdio: [spec.stdinFd ?? "ignore", spec.output.stdout.fd, spec.output.stderr.fd],
      shell: false,
      windowsHide: true,
    });
  } catch (error) {
    await closeOutputFiles(spec.output);
    return { started: false, error };
  }
  // Both listeners go on before anything is awaited: 'error' is emitted on a
  // later tick when the program cannot be started, and unheard it would throw.
  const failedToStart = new Promise<unknown>((resolve) => child.once("error", resolve));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  // spawn() returns after the child has taken its copies of the descriptors.
  const closed = closeOutputFiles(spec.output);
  const pid = child.pid;
  if (pid === undefined) {
    const [error] = await Promise.all([failedToStart, closed]);
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
    const [exit] = await Promise.all([exited, closed]);
    return { started: true, pid, exitCode: exit.code, exitSignal: exit.signal, stopCause, escalated };
  } finally {
    settled = true;
    if (graceTimer !== undefined) clearTimeout(graceTimer);
    spec.signal.removeEventListener("abort", onAbort);
    release();
  }
}
