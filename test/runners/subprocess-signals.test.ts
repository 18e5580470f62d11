import { spawn } from "node:child_process";
import { getEventListeners, once } from "node:events";
import { readdir, readlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { SubprocessRunner } from "../../src/runners/subprocess.js";
import {
  cleanUp,
  fixturePath,
  isGone,
  makeScratchDirectory,
  nodeFixture,
  readyPids,
  subprocessInvocation,
} from "../fixtures/subprocess/helpers.js";
import { useFixtureBundle } from "../support/fixture-bundle.js";
import { watchTimers } from "../support/process-watch.js";

afterEach(cleanUp);

const hostFixture = useFixtureBundle("test/fixtures/subprocess/parent-sigterm.ts");

/** A run of hang.mjs (a child with a grandchild, both waiting forever) in a scratch directory. */
async function hangingRun(mode: "plain" | "ignore-term" | "leave-grandchild" = "plain") {
  const directory = await makeScratchDirectory();
  const pidFile = join(directory, "pids");
  const invocation = subprocessInvocation({
    command: nodeFixture("hang.mjs", pidFile, mode),
    artifact_directory: directory,
  });
  return { invocation, pidFile, directory };
}

/**
 * Starts parent-sigterm.ts (a host process running hang.mjs, which ignores
 * SIGTERM, through the runner); `exited()` sends the host SIGTERM once the
 * hang.mjs processes are up and resolves to its exit code and signal.
 */
async function startHost(mode?: "exit-on-sigterm") {
  const directory = await makeScratchDirectory();
  const pidFile = join(directory, "pids");
  const args = [hostFixture.path(), fixturePath("hang.mjs"), pidFile, directory, ...(mode === undefined ? [] : [mode])];
  const host = spawn(process.execPath, args, { stdio: "inherit" });
  const exit = once(host, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const pids = readyPids(pidFile);
  return {
    pids,
    exited: async () => {
      await pids;
      host.kill("SIGTERM");
      return await exit;
    },
  };
}

describe(SubprocessRunner.name, () => {
  it("kills the child and its grandchild when timeout_seconds passes", async () => {
    const { invocation, pidFile } = await hangingRun();
    // The deadline's timer re-checks this clock when it fires: the second passes only once both processes are up,
    // however long they take to start.
    let nowMs = Date.now();

    const running = new SubprocessRunner({ killGraceMs: 100, now: () => nowMs }).run({ ...invocation, timeout_seconds: 1 });
    const { child, grandchild } = await readyPids(pidFile);
    nowMs += 1000;
    const result = await running;

    expect(result).toMatchObject({ status: "timed_out", exit_code: null, metadata: { "subprocess.signal": "SIGTERM" } });
    expect(result.error_summary).toMatch(/^timed out after 1 s running `.*hang\.mjs.*`; sent SIGTERM to its process group$/);
    expect(await isGone(child)).toBe(true);
    expect(await isGone(grandchild)).toBe(true);
  });

  it("is cancelled and kills the whole process group when the signal aborts", async () => {
    const { invocation, pidFile } = await hangingRun();
    const controller = new AbortController();

    const running = new SubprocessRunner().run(invocation, { signal: controller.signal });
    const { child, grandchild } = await readyPids(pidFile);
    controller.abort();
    const result = await running;

    expect(result).toMatchObject({ status: "cancelled", metadata: { "subprocess.signal": "SIGTERM" } });
    expect(result.error_summary).toMatch(/^cancelled by the abort signal while running `.*hang\.mjs.*`/);
    expect(await isGone(child)).toBe(true);
    expect(await isGone(grandchild)).toBe(true);
  });

  it("sends SIGKILL after killGraceMs to a child that ignores SIGTERM", async () => {
    const { invocation, pidFile } = await hangingRun("ignore-term");
    const controller = new AbortController();

    const running = new SubprocessRunner({ killGraceMs: 50 }).run(invocation, { signal: controller.signal });
    const { child } = await readyPids(pidFile);
    controller.abort();
    const result = await running;

    expect(result).toMatchObject({ status: "cancelled", metadata: { "subprocess.signal": "SIGKILL" } });
    expect(result.error_summary).toContain("sent SIGTERM to its process group, then SIGKILL after 50 ms");
    expect(await isGone(child)).toBe(true);
  });

  it("ends the run when the child exits, even though its grandchild still holds the output open", async () => {
    const { invocation, pidFile } = await hangingRun("leave-grandchild");

    const result = await new SubprocessRunner().run({ ...invocation, timeout_seconds: 3 });

    const { grandchild } = await readyPids(pidFile);
    expect(result).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(() => process.kill(grandchild, 0)).not.toThrow();
  });

  it("leaves no listener, timer, child handle or open file behind", async () => {
    const { invocation, pidFile, directory } = await hangingRun();
    const payload = join(directory, "payload.json");
    await writeFile(payload, "{}");
    const controller = new AbortController();
    const sigtermListeners = process.listenerCount("SIGTERM");
    const timers = watchTimers();
    onTestFinished(() => timers.stop());

    const running = new SubprocessRunner({ killGraceMs: 60_000 }).run(
      { ...invocation, timeout_seconds: 3600, input_payload_path: payload },
      { signal: controller.signal },
    );
    await readyPids(pidFile);
    controller.abort();
    await running;
    await new Promise(setImmediate); // handle closes complete one loop turn later

    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    expect(process.listenerCount("SIGTERM")).toBe(sigtermListeners);
    expect(timers.pending()).toBe(0);
    expect(process.getActiveResourcesInfo().filter((kind) => kind === "ProcessWrap")).toEqual([]);
    expect(await openFilesUnder(directory)).toEqual([]);
  });

  it("shares one SIGTERM and one exit listener between concurrent runs and removes them after the last", async () => {
    const runs = [await hangingRun(), await hangingRun()];
    const controller = new AbortController();
    const counts = () => [process.listenerCount("SIGTERM"), process.listenerCount("exit")];
    const before = counts();

    const running = runs.map(({ invocation }) => new SubprocessRunner().run(invocation, { signal: controller.signal }));
    await Promise.all(runs.map(({ pidFile }) => readyPids(pidFile)));
    const during = counts();
    controller.abort();
    await Promise.all(running);

    expect(during).toEqual(before.map((count) => count + 1));
    expect(counts()).toEqual(before);
  });

  it("stops its runs as cancelled when this process gets SIGTERM and the application handles it", async () => {
    const { invocation, pidFile } = await hangingRun();
    const applicationListener = (): void => undefined;
    process.on("SIGTERM", applicationListener);

    try {
      const running = new SubprocessRunner().run(invocation);
      const { child, grandchild } = await readyPids(pidFile);
      process.emit("SIGTERM", "SIGTERM");
      const result = await running;

      expect(result).toMatchObject({ status: "cancelled", metadata: { "subprocess.signal": "SIGTERM" } });
      expect(result.error_summary).toMatch(/^cancelled: this process received SIGTERM while running/);
      expect(await isGone(child)).toBe(true);
      expect(await isGone(grandchild)).toBe(true);
      expect(process.listeners("SIGTERM")).toEqual([applicationListener]);
    } finally {
      process.off("SIGTERM", applicationListener);
    }
  });

  it("kills the process groups and still dies by SIGTERM when the host has no SIGTERM listener", async () => {
    const { pids, exited } = await startHost();

    const { child, grandchild } = await pids;
    const [code, signal] = await exited();

    expect({ code, signal }).toEqual({ code: null, signal: "SIGTERM" });
    expect(await isGone(child)).toBe(true);
    expect(await isGone(grandchild)).toBe(true);
  }, 20_000);

  it("kills the process groups when the host's own SIGTERM listener calls process.exit", async () => {
    const { pids, exited } = await startHost("exit-on-sigterm");

    const { child, grandchild } = await pids;
    const [code, signal] = await exited();

    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(await isGone(child)).toBe(true);
    expect(await isGone(grandchild)).toBe(true);
  }, 20_000);
});

/** Files under `directory` that this process has open (Linux; empty elsewhere). */
async function openFilesUnder(directory: string): Promise<string[]> {
  const descriptors = await readdir("/proc/self/fd").catch(() => []);
  const targets = await Promise.all(descriptors.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => "")));
  return targets.filter((target) => target.startsWith(directory));
}
