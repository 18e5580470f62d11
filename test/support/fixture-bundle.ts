/**
 * A fixture script that runs the library's TypeScript source in a child
 * process, bundled into one ES module before a test file's tests and removed
 * after them, as the command is for its child-process tests (cli-harness.ts).
 * A child that loaded the source through the TypeScript compiler took
 * 1.5-2 s to start on an idle 2-core machine and 5-7 s on a busy one, most of
 * the time limit of a test that starts several; the bundle starts in about
 * 0.4 s.
 *
 * @example
 * const host = useFixtureBundle("test/fixtures/subprocess/parent-sigterm.ts");
 * it("...", async () => {
 *   const child = spawn(process.execPath, [host.path(), ...args]);
 * });
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Options } from "tsup";
import { afterAll, beforeAll } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A bundled fixture; `path()` is the bundle's file, there from `beforeAll` to `afterAll`. */
export interface FixtureBundle {
  path(): string;
}

/**
 * Bundles `entry` into one ES module per entry in a new scratch directory
 * named `prefix...` inside the repository, so that the bundle resolves its
 * dependencies from node_modules; returns the directory. `options` adds to
 * tsup's (externals, plugins).
 */
export async function bundle(prefix: string, entry: NonNullable<Options["entry"]>, options: Pick<Options, "external" | "esbuildPlugins"> = {}): Promise<string> {
  await mkdir(join(ROOT, ".tmp"), { recursive: true });
  const directory = await mkdtemp(join(ROOT, ".tmp", prefix));
  await build({
    config: false,
    entry,
    format: ["esm"],
    target: "node20",
    platform: "node",
    outDir: directory,
    dts: false,
    clean: false,
    splitting: false,
    silent: true,
    ...options,
  });
  return directory;
}

/** Bundles `entry` (a path from the repository's root) before the file's tests; undici, zod, bullmq and ioredis stay imports. */
export function useFixtureBundle(entry: string): FixtureBundle {
  let directory: string | undefined;
  beforeAll(async () => {
    directory = await bundle("fixture-", [join(ROOT, entry)]);
  }, 60_000);
  afterAll(async () => {
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
  });
  const file = `${basename(entry, extname(entry))}.js`;
  return {
    path: () => {
      if (directory === undefined) throw new Error(`${entry} is bundled in beforeAll: use its path inside a test`);
      return join(directory, file);
    },
  };
}
