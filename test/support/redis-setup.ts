/**
 * The queue project's global setup (and the first step of `npm run chaos`):
 * makes sure `redis-server` is on PATH before any BullMQ test starts one. When it is installed but its directory is not on
 * PATH (`/usr/sbin` is not on a user's PATH on some systems), that directory is
 * put on the PATH of the tests, and the setup says so. When it is missing, it
 * is installed from Debian's packages where this process may install (as root,
 * or through `sudo -n`); otherwise the run stops with one line saying what to
 * install and why. `EXECUTOR_RUNTIME_NO_INSTALL=1` forbids installing: the run
 * then stops instead.
 */
import { spawnSync } from "node:child_process";
import { delimiter, posix } from "node:path";

/** Runs a program to completion; `ok` is a zero exit status, `output` is stdout and stderr. */
export type RunProgram = (file: string, args: readonly string[]) => { readonly ok: boolean; readonly output: string };

/**
 * Where the setup stands: redis-server is there (`installed` when this setup
 * installed it; `directory` when it is not on PATH, and the tests must add
 * that directory to theirs), or why it is not.
 */
export type RedisCheck =
  | { readonly ok: true; readonly installed: boolean; readonly directory?: string }
  | { readonly ok: false; readonly problem: string };

/** Where packages put redis-server (Debian and Fedora, a source build, Homebrew, snap). */
export const REDIS_SERVER_PLACES = [
  "/usr/bin/redis-server",
  "/usr/sbin/redis-server",
  "/usr/local/bin/redis-server",
  "/usr/local/sbin/redis-server",
  "/opt/homebrew/bin/redis-server",
  "/snap/bin/redis-server",
] as const;

/** What `ensureRedisServer` works with; the real ones come from this process. */
export interface RedisSetupHost {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isRoot: boolean;
  readonly run: RunProgram;
  /** Says what the setup is doing while it installs. */
  readonly say: (line: string) => void;
  /**
   * Who needs redis-server, for the line that stops the run: what stopped and
   * why it needs one, and what can be run without it.
   * @default the queue project of npm test
   */
  readonly needs?: { readonly stopped: string; readonly otherwise?: string };
}

const QUEUE_TESTS = {
  stopped: "npm test stopped: the queue tests start their own redis-server",
  otherwise: "or run the other projects alone (npm test -- --project unit --project reliability)",
} as const;

/**
 * Finds redis-server on PATH, or where packages put it when PATH lacks that
 * directory; installs it with apt-get when it is missing and installing is possible.
 */
export function ensureRedisServer(host: RedisSetupHost): RedisCheck {
  const { run } = host;
  if (hasRedisServer(run)) return { ok: true, installed: false };
  const found = offPath(host, false);
  if (found !== undefined) return found;
  if (host.env["EXECUTOR_RUNTIME_NO_INSTALL"] === "1") return stopped(host, "EXECUTOR_RUNTIME_NO_INSTALL=1 forbids installing it");
  if (!run("apt-get", ["--version"]).ok) return stopped(host, "there is no apt-get to install it with");
  const asRoot = host.isRoot ? [] : run("sudo", ["-n", "true"]).ok ? ["sudo", "-n"] : undefined;
  if (asRoot === undefined) return stopped(host, "installing it needs root (this user is not root and has no password-less sudo)");

  // `env` rather than the child's environment: sudo resets the environment.
  const apt = (...args: string[]) => {
    const [file = "env", ...rest] = [...asRoot, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", ...args];
    return run(file, rest);
  };
  host.say(`redis-server is not on PATH: installing it with ${[...asRoot, "apt-get"].join(" ")} for the queue tests`);
  if (!run("apt-cache", ["show", "redis-server"]).ok) {
    const updated = apt("update", "-qq");
    if (!updated.ok) return stopped(host, `apt-get update failed (${lastLine(updated.output)})`);
  }
  const installed = apt("install", "-y", "-qq", "--no-install-recommends", "redis-server");
  if (!installed.ok) return stopped(host, `apt-get install redis-server failed (${lastLine(installed.output)})`);
  if (hasRedisServer(run)) return { ok: true, installed: true };
  return offPath(host, true) ?? stopped(host, "apt-get installed the package, but PATH still has no redis-server");
}

/** redis-server where a package put it, outside PATH: says so, and names the directory the tests add to PATH. */
function offPath(host: RedisSetupHost, installed: boolean): RedisCheck | undefined {
  const place = REDIS_SERVER_PLACES.find((path) => host.run(path, ["--version"]).ok);
  if (place === undefined) return undefined;
  const directory = posix.dirname(place);
  host.say(`redis-server is installed at ${place}, but ${directory} is not on PATH: the queue tests add it to theirs (add it to yours to drop this line)`);
  return { ok: true, installed, directory };
}

function hasRedisServer(run: RunProgram): boolean {
  return run("redis-server", ["--version"]).ok;
}

function stopped(host: RedisSetupHost, reason: string): RedisCheck {
  const { stopped: what, otherwise } = host.needs ?? QUEUE_TESTS;
  return {
    ok: false,
    problem:
      `${what}, which is not on PATH, and ${reason}; install Redis (Debian: apt-get install redis-server) and run it again` +
      (otherwise === undefined ? "" : `, ${otherwise}`),
  };
}

function lastLine(output: string): string {
  return output.trim().split("\n").at(-1)?.trim() || "no output";
}

const runProgram: RunProgram = (file, args) => {
  const ran = spawnSync(file, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return { ok: ran.error === undefined && ran.status === 0, output: `${ran.stdout ?? ""}${ran.stderr ?? ""}` };
};

/**
 * Makes sure this process can start redis-server (on PATH, installed if need
 * be); otherwise prints why not, in one line, and exits 1. `npm run chaos`
 * calls it with its own `needs`.
 */
export function prepareRedisServer(needs?: RedisSetupHost["needs"]): void {
  const check = ensureRedisServer({
    env: process.env,
    isRoot: process.getuid?.() === 0,
    run: runProgram,
    say: (line) => void process.stderr.write(`${line}\n`),
    ...(needs === undefined ? {} : { needs }),
  });
  if (check.ok) {
    // What this process starts (test workers, redis-server) inherits its environment.
    if (check.directory !== undefined) process.env.PATH = [check.directory, process.env.PATH].filter(Boolean).join(delimiter);
    return;
  }
  // Not a thrown error: vitest would add "No test files found" and the include
  // patterns of every project, which reads as if the tests were missing.
  process.stderr.write(`${check.problem}\n`);
  process.exit(1);
}

/** Vitest global setup of the queue project. */
export default function setup(): void {
  prepareRedisServer();
}
