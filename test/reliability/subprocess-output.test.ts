import { stat } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SubprocessRunner } from "../../src/runners/subprocess.js";
import { cleanUp, makeScratchDirectory, nodeFixture, subprocessInvocation } from "../fixtures/subprocess/helpers.js";

const MiB = 1024 * 1024;

beforeEach(async () => {
  // The runner's temporary output directory goes into a scratch directory that cleanUp removes.
  vi.stubEnv("TMPDIR", await makeScratchDirectory());
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await cleanUp();
});

describe(`${SubprocessRunner.name} under a flood of output`, () => {
  it("writes 100 MiB of output to disk without it passing through this process", async () => {
    const invocation = subprocessInvocation({ command: nodeFixture("flood.mjs", "100") });
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5);

    const result = await new SubprocessRunner().run(invocation).finally(() => clearInterval(sampler));

    expect(result.status).toBe("succeeded");
    expect((await stat(result.stdout_path ?? "")).size).toBe(100 * MiB);
    expect(Math.max(rssPeak, process.memoryUsage().rss) - rssBefore).toBeLessThan(20 * MiB);
  }, 20_000);
});
