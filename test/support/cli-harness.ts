/**
 * Helpers for testing the `executor-runtime` command: in-process with a fake
 * CliIo, or as a child process running the bundled command.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { CliIo } from "../../src/cli/io.js";
import { withConversation, withOrigin } from "../../src/cli/demo.js";
import { OTEL_EXTERNAL, cliLoadsOtelEntry } from "../../tsup.config.js";
import { bundle } from "./fixture-bundle.js";

/** A CliIo whose output is collected; `isTTY` makes stderr a terminal. */
export function fakeIo(options: { isTTY?: boolean; columns?: number; stdin?: string; env?: Record<string, string> } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: (text: string) => out.push(text), isTTY: false },
    stderr: {
      write: (text: string) => err.push(text),
      isTTY: options.isTTY ?? false,
      ...(options.columns === undefined ? {} : { columns: options.columns }),
    },
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    env: options.env ?? {},
  };
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}

/** The example invocations of examples/invocations/. */
export type ExampleName = "archon-background" | "archon-interactive" | "classic-202" | "github-actions-dispatch" | "slurm-job";

/** The example invocations, by name. */
export const EXAMPLE_NAMES: readonly ExampleName[] = ["archon-background", "archon-interactive", "classic-202", "github-actions-dispatch", "slurm-job"];

/**
 * An example invocation pointed at `origin`; `fields` and `metadata` replace
 * or add entries. The classic example polls without waits unless `metadata`
 * says otherwise; the others keep their interval, since their fakes' time
 * moves with the runner's waits. An Archon example runs in `conversationId`
 * when given (it must exist: see `createArchonConversation`).
 */
export function exampleInvocation(
  name: ExampleName,
  origin: string,
  changes: { fields?: Record<string, unknown>; metadata?: Record<string, string>; conversationId?: string } = {},
): Record<string, unknown> & { metadata: Record<string, string> } {
  const file = new URL(`../../examples/invocations/${name}.json`, import.meta.url);
  const example = JSON.parse(readFileSync(file, "utf8")) as { metadata: Record<string, string> };
  const moved = withOrigin(example, origin);
  const placed = changes.conversationId === undefined ? moved : withConversation(moved, changes.conversationId);
  const interval = name === "classic-202" ? { "http.poll_interval_seconds": "0" } : {};
  return {
    ...placed,
    ...changes.fields,
    metadata: { ...placed.metadata, ...interval, ...changes.metadata },
  };
}

/** Writes `value` as JSON to `name` in `directory`; returns the path. */
export async function writeJson(directory: string, name: string, value: unknown): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  return path;
}

/**
 * The command bundled by tsup, as it is published (dist/cli.js, with the
 * otel.js it loads for `--otel`), into a scratch directory inside the repository.
 */
export async function buildCli(): Promise<{ path: string; remove: () => Promise<void> }> {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const entry = { cli: join(root, "src/cli/main.ts"), otel: join(root, "src/otel/index.ts") };
  const directory = await bundle("cli-test-", entry, { external: OTEL_EXTERNAL, esbuildPlugins: [cliLoadsOtelEntry] });
  return { path: join(directory, "cli.js"), remove: () => rm(directory, { recursive: true, force: true }) };
}

/** A running command: its output so far, and how it ended. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once `text` has appeared on stderr. */
  stderrIncludes(text: string): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node <cli> ...args` with piped stdio (so stderr is not a terminal); `env` adds to this process's environment. */
export function spawnCli(cli: string, args: readonly string[], options: { input?: string; env?: Readonly<Record<string, string>> } = {}): CliProcess {
  const child = spawn(process.execPath, [cli, ...args], { stdio: "pipe", env: { ...process.env, NO_COLOR: "1", ...options.env } });
  let out = "";
  let err = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
    for (const waiter of waiters.filter((candidate) => err.includes(candidate.text))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  child.stdin.end(options.input ?? "");
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    stderrIncludes: (text) =>
      err.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ text, resolve });
            void exited.then(() => reject(new Error(`exited before printing ${JSON.stringify(text)}; stderr:\n${err}`)));
          }),
    exited,
  };
}
