import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";

/** Creates a temporary directory that is removed when the current test finishes. */
export async function makeTempDir(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), "executor-runtime-test-"));
  onTestFinished(() => rm(directory, { recursive: true, force: true }));
  return directory;
}
