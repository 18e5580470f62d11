import { chmod, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { checkResult } from "../../src/contracts/result.js";
import { SubprocessRunner } from "../../src/runners/subprocess.js";
import {
  cleanUp,
  fixturePath,
  makeScratchDirectory,
  nodeFixture,
  subprocessInvocation,
} from "../fixtures/subprocess/helpers.js";

/** Where the runner makes its temporary directories during a test (TMPDIR points there). */
let temporaryDirectory: string;

beforeEach(async () => {
  temporaryDirectory = await makeScratchDirectory();
  vi.stubEnv("TMPDIR", temporaryDirectory);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await cleanUp();
});

describe(SubprocessRunner.name, () => {
  it("captures stdout in stdout.txt and succeeds on exit 0", async () => {
    const directory = await makeScratchDirectory();
    const invocation = subprocessInvocation({ command: nodeFixture("print.mjs", "hello"), artifact_directory: directory });

    const result = await new SubprocessRunner().run(invocation);

    expect(checkResult(result).ok).toBe(true);
    expect(result).toMatchObject({ status: "succeeded", exit_code: 0, error_summary: null });
    expect(result.stdout_path).toBe(join(directory, "stdout.txt"));
    expect(result.stderr_path).toBe(join(directory, "stderr.txt"));
    expect(await readFile(join(directory, "stdout.txt"), "utf8")).toBe("hello");
    expect(result.artifacts.map((artifact) => [artifact.kind, artifact.path])).toEqual([
      ["stdout", result.stdout_path],
      ["stderr", result.stderr_path],
    ]);
    expect(result.metadata).toEqual({
      "subprocess.pid": expect.stringMatching(/^\d+$/),
      "subprocess.duration_ms": expect.stringMatching(/^\d+$/),
    });
  });

  it("fails on a non-zero exit with the end of stderr in the summary", async () => {
    const invocation = subprocessInvocation({ command: nodeFixture("fail.mjs", "disk is full\n", "1", "3") });

    const result = await new SubprocessRunner().run(invocation);

    expect(result).toMatchObject({ status: "failed", exit_code: 3 });
    expect(result.error_summary).toMatch(/fail\.mjs.* exited with code 3: disk is full$/);
  });

  it("keeps only the last 200 characters of a long stderr in the summary", async () => {
    const invocation = subprocessInvocation({ command: nodeFixture("fail.mjs", "0123456789", "100", "1") });

    const result = await new SubprocessRunner().run(invocation);

    const tail = result.error_summary?.split(": ").at(-1);
    expect(tail).toBe("0123456789".repeat(20));
  });

  it("fails naming the signal when the child is killed by one", async () => {
    const invocation = subprocessInvocation({ command: [process.execPath, "-e", "process.kill(process.pid, 'SIGKILL')"] });

    const result = await new SubprocessRunner().run(invocation);

    expect(result).toMatchObject({ status: "failed", exit_code: null, metadata: { "subprocess.signal": "SIGKILL" } });
    expect(result.error_summary).toContain("was killed by signal SIGKILL (stderr is empty)");
  });

  it("lays environment over the parent's environment", async () => {
    const invocation = subprocessInvocation({
      command: nodeFixture("env.mjs", "EXECUTOR_RUNTIME_TEST"),
      environment: { EXECUTOR_RUNTIME_TEST: "from the invocation" },
    });

    const result = await new SubprocessRunner().run(invocation);

    const printed = JSON.parse(await readFile(result.stdout_path ?? "", "utf8"));
    expect(printed).toEqual({ value: "from the invocation", path: process.env.PATH });
  });

  it("streams input_payload_path to the child's stdin", async () => {
    const directory = await makeScratchDirectory();
    const payload = join(directory, "payload.json");
    await writeFile(payload, '{"job":42}');
    const invocation = subprocessInvocation({ command: nodeFixture("echo-stdin.mjs"), input_payload_path: payload });

    const result = await new SubprocessRunner().run(invocation);

    expect(result.status).toBe("succeeded");
    expect(await readFile(result.stdout_path ?? "", "utf8")).toBe('{"job":42}');
  });

  it("rejects an input_payload_path that does not exist, naming it", async () => {
    const missing = join(await makeScratchDirectory(), "missing.json");
    const invocation = subprocessInvocation({ command: nodeFixture("echo-stdin.mjs"), input_payload_path: missing });

    const result = await new SubprocessRunner().run(invocation);

    expect(result).toMatchObject({ status: "rejected", error_summary: `input_payload_path does not exist: ${missing}` });
  });

  it("creates artifact_directory when it is missing", async () => {
    const directory = join(await makeScratchDirectory(), "nested", "artifacts");
    const invocation = subprocessInvocation({ command: nodeFixture("print.mjs", "x"), artifact_directory: directory });

    const result = await new SubprocessRunner().run(invocation);

    expect(result.status).toBe("succeeded");
    expect((await readdir(directory)).sort()).toEqual(["stderr.txt", "stdout.txt"]);
  });

  it("writes the output into a fresh temporary directory when artifact_directory is null", async () => {
    const result = await new SubprocessRunner().run(subprocessInvocation({ command: nodeFixture("print.mjs", "x") }));

    const directory = dirname(result.stdout_path ?? "");
    expect(dirname(directory)).toBe(temporaryDirectory);
    expect(directory).toMatch(/executor-runtime-[^/\\]+$/);
    expect(dirname(result.stderr_path ?? "")).toBe(directory);
  });

  it("rejects a working directory that does not exist", async () => {
    const missing = join(await makeScratchDirectory(), "nowhere");
    const invocation = subprocessInvocation({ command: nodeFixture("print.mjs"), working_directory: missing });

    const result = await new SubprocessRunner().run(invocation);

    expect(result).toMatchObject({ status: "rejected", error_summary: `working_directory does not exist: ${missing}` });
  });

  it("rejects a working directory that is a file", async () => {
    const file = fixturePath("print.mjs");
    const invocation = subprocessInvocation({ command: nodeFixture("print.mjs"), working_directory: file });

    const result = await new SubprocessRunner().run(invocation);

    expect(result).toMatchObject({ status: "rejected", error_summary: expect.stringContaining("is not a directory") });
  });

  it("rejects an empty command", async () => {
    const result = await new SubprocessRunner().run(subprocessInvocation({ command: [] }));

    expect(result).toMatchObject({ status: "rejected", error_summary: expect.stringMatching(/^command is empty/) });
  });

  it("fails with 'command not found' when the program does not exist", async () => {
    const invocation = subprocessInvocation({ command: ["executor-runtime-no-such-program", "--help"] });

    const result = await new SubprocessRunner().run(invocation);

    expect(result).toMatchObject({ status: "failed", error_summary: "command not found: executor-runtime-no-such-program" });
  });

  it("leaves no output files behind when the command cannot be started", async () => {
    const directory = await makeScratchDirectory();
    const invocation = subprocessInvocation({
      command: ["executor-runtime-no-such-program"],
      artifact_directory: directory,
    });

    const result = await new SubprocessRunner().run(invocation);

    expect(result).toMatchObject({ status: "failed", stdout_path: null, stderr_path: null, artifacts: [] });
    expect(await readdir(directory)).toEqual([]);
  });

  it("removes the temporary directory it made when the command cannot be started", async () => {
    await new SubprocessRunner().run(subprocessInvocation({ command: ["executor-runtime-no-such-program"] }));

    expect(await readdir(temporaryDirectory)).toEqual([]);
  });

  it("fails with 'permission denied' when the program is not executable", async () => {
    const script = join(await makeScratchDirectory(), "script.sh");
    await writeFile(script, "#!/bin/sh\necho hi\n");
    await chmod(script, 0o644);

    const result = await new SubprocessRunner().run(subprocessInvocation({ command: [script] }));

    expect(result).toMatchObject({ status: "failed", error_summary: `permission denied: ${script}` });
  });

  it("is cancelled without starting anything when the signal is already aborted", async () => {
    const directory = await makeScratchDirectory();
    const invocation = subprocessInvocation({ command: nodeFixture("print.mjs", "x"), artifact_directory: directory });

    const result = await new SubprocessRunner().run(invocation, { signal: AbortSignal.abort() });

    expect(result).toMatchObject({ status: "cancelled", stdout_path: null, metadata: {} });
    expect(await readdir(directory)).toEqual([]);
  });

  it("gives the child stdout.txt and stderr.txt themselves as its stdout and stderr", async () => {
    const result = await new SubprocessRunner().run(subprocessInvocation({ command: nodeFixture("stdio-kinds.mjs") }));

    expect(JSON.parse(await readFile(result.stdout_path ?? "", "utf8"))).toEqual({ stdout: true, stderr: true });
  });

  it("stamps the timestamps and the duration with the injected clock", async () => {
    let clock = Date.parse("2030-01-01T00:00:00.000Z");
    const runner = new SubprocessRunner({ now: () => (clock += 250) });

    const result = await runner.run(subprocessInvocation({ command: nodeFixture("print.mjs") }));

    expect(result).toMatchObject({ started_at: "2030-01-01T00:00:00.250Z", finished_at: "2030-01-01T00:00:00.750Z" });
    expect(result.metadata["subprocess.duration_ms"]).toBe("250");
  });

  it("refuses a negative killGraceMs", () => {
    expect(() => new SubprocessRunner({ killGraceMs: -1 })).toThrow(
      "Expected `killGraceMs` to be a non-negative number, got -1",
    );
  });
});
