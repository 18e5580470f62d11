import type { FileHandle } from "node:fs/promises";
import { describeArtifact, type ArtifactDescriptor } from "../contracts/artifact.js";
import type { RuntimeInvocation } from "../contracts/invocation.js";
import { buildResult, type ResultDetails, type ResultOutcome, type RuntimeResult } from "../contracts/result.js";
import { errorMessage } from "../util/error-message.js";
import { RunScope } from "./scope/run-scope.js";
import type { RunOptions, Runner } from "./runner.js";
import { superviseChild, type ChildOutcome, type StopCause } from "./subprocess-child.js";
import {
  checkWorkingDirectory,
  discardOutputFiles,
  openInputPayload,
  openOutputFiles,
  readFileTail,
  type OutputFiles,
} from "./subprocess-files.js";

/** Options of `new SubprocessRunner()`. */
export interface SubprocessRunnerOptions {
  /**
   * Milliseconds a stopped process group gets between SIGTERM and SIGKILL,
   * when a run times out, is aborted, or this process receives SIGTERM and
   * handles it itself.
   * @default 5000
   */
  readonly killGraceMs?: number;
  /**
   * The clock, in epoch milliseconds, for `started_at`, `finished_at`,
   * `subprocess.duration_ms` and the `timeout_seconds` deadline.
   * @default Date.now
   */
  readonly now?: () => number;
}

const DEFAULT_KILL_GRACE_MS = 5000;
const STDERR_TAIL_CHARS = 200;
const COMMAND_DISPLAY_CHARS = 200;

type Finish = (outcome: ResultOutcome, details?: ResultDetails) => RuntimeResult;

/**
 * Runs `invocation.command` as a local process: no shell, in
 * `working_directory`, with `environment` laid over this process's
 * environment, and `input_payload_path` (when set) as its stdin. The child
 * leads its own process group; on `timeout_seconds` or an abort, the whole
 * group (grandchildren included) gets SIGTERM, then SIGKILL after
 * `killGraceMs`.
 *
 * The child writes its stdout and stderr straight into `stdout.txt` and
 * `stderr.txt` in `artifact_directory` (created when missing) or in a fresh
 * `executor-runtime-*` directory under the system's temporary directory: it
 * gets the files' descriptors, so no output passes through this process. The
 * run ends once the child has exited; a grandchild it leaves running may
 * still be writing to the files then.
 *
 * Exit 0 gives `succeeded`; a non-zero exit or a signal gives `failed` with
 * the last 200 characters of stderr in the summary. Result metadata:
 * `subprocess.pid`, `subprocess.signal` (when killed by a signal) and
 * `subprocess.duration_ms` (from the start of the process until it exited).
 *
 * If this process receives SIGTERM during a run and has SIGTERM listeners of
 * its own, the run is stopped as if aborted (`cancelled`); without any, the
 * process groups are sent SIGKILL and the process then dies by SIGTERM as it
 * would have anyway. `process.exit()` during a run SIGKILLs the groups too.
 * Process groups are a POSIX feature: this runner targets Linux and macOS.
 *
 * @example
 * const runtime = new ExecutorRuntime().register("subprocess", new SubprocessRunner({ killGraceMs: 2000 }));
 */
export class SubprocessRunner implements Runner {
  readonly #killGraceMs: number;
  readonly #now: () => number;

  constructor(options: SubprocessRunnerOptions = {}) {
    const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    if (typeof killGraceMs !== "number" || !Number.isFinite(killGraceMs) || killGraceMs < 0) {
      throw new TypeError(`Expected \`killGraceMs\` to be a non-negative number, got ${String(killGraceMs)}`);
    }
    if (options.now !== undefined && typeof options.now !== "function") {
      throw new TypeError(`Expected \`now\` to be a function, got ${typeof options.now}`);
    }
    this.#killGraceMs = killGraceMs;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Runs the command and resolves to its result; never rejects for an
   * expected outcome (a bad working directory, a missing command, a timeout).
   */
  async run(invocation: RuntimeInvocation, options: RunOptions = {}): Promise<RuntimeResult> {
    const startedAtMs = this.#now();
    const finish: Finish = (outcome, details = {}) =>
      buildResult(invocation, outcome, { ...details, startedAtMs, finishedAtMs: details.finishedAtMs ?? this.#now() });

    const problem = checkCommand(invocation.command) ?? (await checkWorkingDirectory(invocation.working_directory));
    if (problem !== undefined) return finish({ status: "rejected", summary: problem });
    let input: FileHandle | undefined;
    if (invocation.input_payload_path !== null) {
      const opened = await openInputPayload(invocation.input_payload_path);
      if (!opened.ok) return finish({ status: "rejected", summary: opened.summary });
      input = opened.handle;
    }
    const timeoutSeconds = invocation.timeout_seconds;
    const scope = new RunScope({
      signal: options.signal,
      deadlineAtMs: timeoutSeconds === null ? undefined : startedAtMs + timeoutSeconds * 1000,
      now: this.#now,
    });
    try {
      return await this.#runInScope(invocation, scope, input, finish);
    } finally {
      scope.dispose();
      await input?.close();
    }
  }

  async #runInScope(
    invocation: RuntimeInvocation,
    scope: RunScope,
    input: FileHandle | undefined,
    finish: Finish,
  ): Promise<RuntimeResult> {
    const command = invocation.command as [string, ...string[]];
    const shown = formatCommand(command);
    if (scope.checkStopped()) {
      return finish(stoppedBeforeStart(scope.stopReason ?? "cancelled", shown, invocation.timeout_seconds));
    }
    let output: OutputFiles;
    try {
      output = await openOutputFiles(invocation.artifact_directory);
    } catch (error) {
      return finish({ status: "failed", summary: `could not create the output files: ${errorMessage(error)}` });
    }
    if (scope.checkStopped()) {
      await discardOutputFiles(output);
      return finish(stoppedBeforeStart(scope.stopReason ?? "cancelled", shown, invocation.timeout_seconds));
    }
    const spawnedAtMs = this.#now();
    const ended = await superviseChild({
      command,
      cwd: invocation.working_directory ?? ".",
      env: { ...process.env, ...invocation.environment },
      stdinFd: input?.fd,
      output,
      signal: scope.signal,
      stopCauseOf: () => scope.stopReason ?? "cancelled",
      killGraceMs: this.#killGraceMs,
    });
    const finishedAtMs = this.#now();
    if (!ended.started) {
      await discardOutputFiles(output);
      return finish({ status: "failed", summary: startFailure(command[0], ended.error) });
    }

    const metadata: Record<string, string> = {
      "subprocess.pid": String(ended.pid),
      "subprocess.duration_ms": String(Math.max(0, finishedAtMs - spawnedAtMs)),
    };
    if (ended.exitSignal !== null) metadata["subprocess.signal"] = ended.exitSignal;
    const details: ResultDetails = {
      ...outputDetails(invocation.invocation_id, output),
      exitCode: ended.exitCode,
      metadata,
      finishedAtMs,
    };
    const outcome = await describeEnd(ended, {
      shown,
      timeoutSeconds: invocation.timeout_seconds,
      killGraceMs: this.#killGraceMs,
      stderrPath: output.stderrPath,
    });
    return finish(outcome, details);
  }
}

function checkCommand(command: readonly string[]): string | undefined {
  if (command.length === 0) return "command is empty: give the program and its arguments as an array of strings";
  if (command[0] === "") return "command[0] is empty: it must name the program to run";
  return undefined;
}

function outputDetails(invocationId: string, output: OutputFiles): ResultDetails {
  const artifacts: ArtifactDescriptor[] = [
    describeArtifact({
      artifactId: `${invocationId}:stdout`,
      path: output.stdoutPath,
      kind: "stdout",
      description: "standard output of the command",
    }),
    describeArtifact({
      artifactId: `${invocationId}:stderr`,
      path: output.stderrPath,
      kind: "stderr",
      description: "standard error of the command",
    }),
  ];
  return { stdoutPath: output.stdoutPath, stderrPath: output.stderrPath, artifacts };
}

function startFailure(program: string, error: unknown): string {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === "ENOENT") return `command not found: ${program}`;
  if (code === "EACCES") return `permission denied: ${program}`;
  return `could not start ${program}: ${errorMessage(error)}`;
}

function stoppedBeforeStart(cause: StopCause, shown: string, timeoutSeconds: number | null): ResultOutcome {
  if (cause === "timed_out") {
    return { status: "timed_out", summary: `timed out after ${timeoutSeconds} s before ${shown} was started` };
  }
  return { status: "cancelled", summary: `cancelled by the abort signal before ${shown} was started` };
}

async function describeEnd(
  ended: Extract<ChildOutcome, { started: true }>,
  context: { shown: string; timeoutSeconds: number | null; killGraceMs: number; stderrPath: string },
): Promise<ResultOutcome> {
  const { shown } = context;
  if (ended.stopCause !== undefined) {
    const signals = ended.escalated
      ? `sent SIGTERM to its process group, then SIGKILL after ${context.killGraceMs} ms`
      : "sent SIGTERM to its process group";
    switch (ended.stopCause) {
      case "timed_out":
        return { status: "timed_out", summary: `timed out after ${context.timeoutSeconds} s running ${shown}; ${signals}` };
      case "cancelled":
        return { status: "cancelled", summary: `cancelled by the abort signal while running ${shown}; ${signals}` };
      case "parent_sigterm":
        return {
          status: "cancelled",
          summary: `cancelled: this process received SIGTERM while running ${shown}; ${signals}`,
        };
    }
  }
  if (ended.exitSignal === null && ended.exitCode === 0) return { status: "succeeded" };
  const how = ended.exitSignal !== null ? `was killed by signal ${ended.exitSignal}` : `exited with code ${ended.exitCode}`;
  const tail = await readFileTail(context.stderrPath, STDERR_TAIL_CHARS);
  return { status: "failed", summary: tail === "" ? `${shown} ${how} (stderr is empty)` : `${shown} ${how}: ${tail}` };
}

/** The command as a person would type it, quoted where needed and shortened. */
function formatCommand(command: readonly string[]): string {
  const text = command.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(" ");
  const shortened = text.length > COMMAND_DISPLAY_CHARS ? `${text.slice(0, COMMAND_DISPLAY_CHARS - 1)}…` : text;
  return `\`${shortened}\``;
}
