import { mkdir, mkdtemp, open, rm, stat, type FileHandle } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { errorMessage } from "../util/error-message.js";

/**
 * The two files a child writes its output to, open for writing until they are
 * handed to the child.
 * @internal
 */
export interface OutputFiles {
  /** The directory holding both files. */
  readonly directory: string;
  /** Whether `directory` was made for this run (no `artifact_directory` given). */
  readonly temporary: boolean;
  /** Absolute path of `stdout.txt`. */
  readonly stdoutPath: string;
  /** Absolute path of `stderr.txt`. */
  readonly stderrPath: string;
  /** `stdout.txt`, open for writing; its fd becomes the child's stdout. */
  readonly stdout: FileHandle;
  /** `stderr.txt`, open for writing; its fd becomes the child's stderr. */
  readonly stderr: FileHandle;
}

/**
 * Why `working_directory` cannot be used, or undefined when it is an
 * existing directory.
 * @internal
 */
export async function checkWorkingDirectory(path: string | null): Promise<string | undefined> {
  if (path === null || path === "") return "working_directory is required to run a command";
  try {
    const stats = await stat(path);
    return stats.isDirectory() ? undefined : `working_directory is not a directory: ${path}`;
  } catch (error) {
    if (codeOf(error) === "ENOENT") return `working_directory does not exist: ${path}`;
    return `working_directory cannot be used: ${path} (${errorMessage(error)})`;
  }
}

/**
 * Opens `input_payload_path` for reading, to become the child's stdin.
 * @internal
 */
export async function openInputPayload(
  path: string,
): Promise<{ readonly ok: true; readonly handle: FileHandle } | { readonly ok: false; readonly summary: string }> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if (codeOf(error) === "ENOENT") return { ok: false, summary: `input_payload_path does not exist: ${path}` };
    return { ok: false, summary: `input_payload_path cannot be read: ${path} (${errorMessage(error)})` };
  }
  try {
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      return { ok: false, summary: `input_payload_path is a directory: ${path}` };
    }
  } catch (error) {
    await handle.close();
    return { ok: false, summary: `input_payload_path cannot be read: ${path} (${errorMessage(error)})` };
  }
  return { ok: true, handle };
}

/**
 * Creates `stdout.txt` and `stderr.txt` in `artifactDirectory` (created when
 * missing; relative paths resolve against the current directory), or in a
 * fresh directory under the system's temporary directory when it is null.
 * Throws when a file cannot be created; nothing stays open then.
 * @internal
 */
export async function openOutputFiles(artifactDirectory: string | null): Promise<OutputFiles> {
  let directory: string;
  if (artifactDirectory === null) {
    directory = await mkdtemp(join(tmpdir(), "executor-runtime-"));
  } else {
    directory = resolve(artifactDirectory);
    await mkdir(directory, { recursive: true });
  }
  const stdoutPath = join(directory, "stdout.txt");
  const stderrPath = join(directory, "stderr.txt");
  const stdoutHandle = await open(stdoutPath, "w");
  let stderrHandle: FileHandle;
  try {
    stderrHandle = await open(stderrPath, "w");
  } catch (error) {
    await stdoutHandle.close();
    throw error;
  }
  return {
    directory,
    temporary: artifactDirectory === null,
    stdoutPath,
    stderrPath,
    stdout: stdoutHandle,
    stderr: stderrHandle,
  };
}

/**
 * Closes and deletes the output files of a command that never started, and
 * their directory when it was made for the run. Best effort: never throws.
 * @internal
 */
export async function discardOutputFiles(output: OutputFiles): Promise<void> {
  await closeOutputFiles(output);
  const removals = output.temporary
    ? [rm(output.directory, { recursive: true, force: true })]
    : [rm(output.stdoutPath, { force: true }), rm(output.stderrPath, { force: true })];
  await Promise.all(removals).catch(() => undefined);
}

/**
 * Closes this process's handles of both output files; calling it again does
 * nothing. A child they were handed to keeps its own copies of the
 * descriptors. Never throws: nothing was written through these handles, so a
 * failing close loses no output.
 * @internal
 */
export async function closeOutputFiles(output: OutputFiles): Promise<void> {
  await Promise.allSettled([output.stdout.close(), output.stderr.close()]);
}

/**
 * The last `maxChars` characters of a text file, read from its end (never the
 * whole file), with surrounding whitespace trimmed; "" when it cannot be read.
 * @internal
 */
export async function readFileTail(path: string, maxChars: number): Promise<string> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, "r");
    const { size } = await handle.stat();
    // Up to 4 bytes per character, plus 3 for a character cut at the start.
    const length = Math.min(size, maxChars * 4 + 3);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, size - length);
    const text = buffer.subarray(0, bytesRead).toString("utf8").trimEnd();
    return Array.from(text).slice(-maxChars).join("").trimStart();
  } catch {
    return "";
  } finally {
    await handle?.close();
  }
}

function codeOf(error: unknown): unknown {
  return typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
}
