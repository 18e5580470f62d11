import { afterEach, describe, expect, it } from "vitest";
import { runInvocationFile } from "../../src/cli/run-command.js";
import type { RuntimeResult } from "../../src/contracts/result.js";
import { startFakeBackend, type FakeBackend, type FakeBackendOptions } from "../../examples/fake-backend.js";
import { exampleInvocation, fakeIo, writeJson, type ExampleName } from "../support/cli-harness.js";
import { expectRxpValid } from "../support/rxp-schema.js";
import { fakeClock } from "../support/fake-clock.js";
import { closeScriptedServers, startScriptedServer } from "../support/scripted-server.js";
import { makeTempDir } from "../support/temp-dir.js";
import type { Sleep } from "../../src/index.js";

const backends: FakeBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
  await closeScriptedServers();
});

async function backend(options: FakeBackendOptions = {}): Promise<FakeBackend> {
  const started = await startFakeBackend({ retryAfterSeconds: 0, ...options });
  backends.push(started);
  return started;
}

/** Runs an invocation file in-process; returns the exit code, the parsed stdout and the stderr text. */
async function run(invocation: unknown, options: Parameters<typeof runInvocationFile>[2] = {}) {
  const path = await writeJson(await makeTempDir(), "job.json", invocation);
  const { io, stdout, stderr } = fakeIo();
  const exitCode = await runInvocationFile(path, io, options);
  return { exitCode, result: JSON.parse(stdout()) as RuntimeResult, stdout: stdout(), stderr: stderr() };
}

/** Resolves when `signal` aborts (never without one). */
function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) resolve();
    else signal?.addEventListener("abort", () => resolve(), { once: true });
  });
}

describe(runInvocationFile.name, () => {
  it.each<[ExampleName, NonNullable<FakeBackendOptions["outcome"]>, RuntimeResult["status"], number]>([
    ["classic-202", "success", "succeeded", 0],
    ["classic-202", "failure", "failed", 1],
    ["classic-202", "cancelled", "cancelled", 130],
  ])("runs %s against a backend whose job ends in %s: %s, exit %d", async (name, outcome, status, exitCode) => {
    const fake = await backend({ outcome });
    const ran = await run(exampleInvocation(name, fake.origin));
    expect(ran).toMatchObject({ exitCode, result: { status } });
    expectRxpValid(ran.result);
  });

  it("prints exactly one result as JSON on stdout", async () => {
    const fake = await backend();
    const { stdout } = await run(exampleInvocation("classic-202", fake.origin));
    expect(stdout.endsWith("}\n")).toBe(true);
    expect(() => JSON.parse(stdout) as unknown).not.toThrow();
  });

  it("exits 124 when the invocation times out", async () => {
    const fake = await backend({ runningPolls: Infinity });
    const invocation = exampleInvocation("classic-202", fake.origin, {
      fields: { timeout_seconds: 1 },
      metadata: { "http.poll_interval_seconds": "0.05" },
    });
    const clock = fakeClock();
    const ran = await run(invocation, { now: clock.now, sleep: clock.sleep });
    expect(ran).toMatchObject({ exitCode: 124, result: { status: "timed_out", metadata: { "http.cancel_status": "202" } } });
    expect(ran.stderr).toMatch(/\] timed_out in 1\.00s \(failure_kind deadline, \d+ polls, last status "running", HTTP 200, cancel request HTTP 202, backend job cancelled\): /);
  });

  it("ends with the failure kind and a backend job the run leaves running", async () => {
    const server = await startScriptedServer([{ status: 202, json: { id: "r-7" } }], { fallback: { json: { id: "r-7", status: "running" } } });
    const clock = fakeClock();
    const ran = await run({
      invocation_id: "left-1",
      runtime_name: "engine",
      runtime_kind: "http_async",
      timeout_seconds: 3,
      metadata: {
        "http.url": server.url("/runs"),
        "http.poll_url_template": "/runs/{run_id}",
        "http.poll_run_id_path": "id",
        "http.poll_status_path": "status",
        "http.poll_terminal_states": "completed,failed",
        "http.poll_interval_seconds": "1",
      },
    }, { now: clock.now, sleep: clock.sleep });
    expect(ran.result).toMatchObject({ status: "timed_out", metadata: { failure_kind: "deadline", "http.backend_job": "may_still_run" } });
    expect(ran.stderr.trimEnd().split("\n").at(-1)).toBe(
      '[  3.00s] timed_out in 3.00s (failure_kind deadline, 3 polls, last status "running", HTTP 200, backend job may_still_run): ' +
        `${ran.result.error_summary}`,
    );
    expect(ran.result.error_summary).toMatch(/; the backend job may still be running \(run id r-7\); no cancel request was sent$/);
  });

  it("exits 2 with a rejected result that names the bad metadata key", async () => {
    const invocation = exampleInvocation("archon-background", "http://127.0.0.1:9", { metadata: { "http.poll_intervall_seconds": "1" } });
    const ran = await run(invocation);
    expect(ran.exitCode).toBe(2);
    expect(ran.result.status).toBe("rejected");
    expect(ran.stderr).toContain('metadata["http.poll_intervall_seconds"]');
  });

  it("exits 2 with a rejected result for an invocation of the wrong shape", async () => {
    const ran = await run({ invocation_id: "x", runtime_kind: "http_async", timeout_second: 5 });
    expect(ran).toMatchObject({ exitCode: 2, result: { status: "rejected", invocation_id: "x" } });
    expect(ran.stderr).toMatch(/^\[ *\S+\] rejected in \S+ \(failure_kind invalid_input\): invalid invocation: runtime_name is required; timeout_second is not a known field \(did you mean 'timeout_seconds'\?\)\n$/);
  });

  it("rejects a subprocess invocation unless --allow-subprocess is given", async () => {
    const invocation = { invocation_id: "local", runtime_name: "sh", runtime_kind: "subprocess", working_directory: process.cwd(), command: [process.execPath, "-e", "process.exit(3)"] };
    const refused = await run(invocation);
    expect(refused).toMatchObject({ exitCode: 2, result: { status: "rejected", error_summary: expect.stringContaining("--allow-subprocess") } });
    const allowed = await run(invocation, { allowSubprocess: true });
    expect(allowed).toMatchObject({ exitCode: 1, result: { status: "failed", exit_code: 3 } });
  });

  it("cancels the run when the signal aborts, sends the cancel request and exits 130", async () => {
    const fake = await backend({ runningPolls: Infinity });
    const controller = new AbortController();
    const path = await writeJson(await makeTempDir(), "job.json", exampleInvocation("classic-202", fake.origin, {
      metadata: { "http.poll_interval_seconds": "0.05" },
    }));
    const { io, stdout, stderr } = fakeIo();
    // Waits end at once until a poll has shown "running"; the next wait lasts until the run is stopped.
    let runningAndWaiting = (): void => undefined;
    const waiting = new Promise<void>((resolve) => (runningAndWaiting = resolve));
    const sleep: Sleep = (_ms, stop) =>
      stderr().includes('status "running"') ? (runningAndWaiting(), untilAborted(stop)) : Promise.resolve();
    const running = runInvocationFile(path, io, { signal: controller.signal, sleep });
    await waiting;
    controller.abort("SIGINT");
    expect(await running).toBe(130);
    expect(JSON.parse(stdout())).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "202" } });
    expect(stderr()).toContain("received SIGINT: cancelling the run (Ctrl-C again exits at once)");
    expect(fake.requests).toContainEqual(expect.objectContaining({ method: "DELETE", path: "/v1/jobs/job-0001" }));
  });

  it("prints the elapsed times of an interrupted run in order, though the runner starts its clock after the command", async () => {
    const fake = await backend({ runningPolls: Infinity });
    const controller = new AbortController();
    const path = await writeJson(await makeTempDir(), "job.json", exampleInvocation("classic-202", fake.origin, {
      metadata: { "http.poll_interval_seconds": "1" },
    }));
    const { io, stderr } = fakeIo();
    // Time passes while the command sets the run up (10 ms a reading until the kickoff arrives), then only in waits.
    let nowMs = Date.UTC(2026, 0, 1);
    const now = (): number => (fake.requests.length === 0 ? (nowMs += 10) : nowMs);
    const sleep: Sleep = async (ms) => {
      nowMs += ms;
      if (stderr().includes('status "running"')) controller.abort("SIGINT");
    };
    expect(await runInvocationFile(path, io, { signal: controller.signal, now, sleep })).toBe(130);
    const lines = stderr().trimEnd().split("\n").slice(1);
    const fromInterrupt = lines.slice(lines.findIndex((line) => line.includes("received SIGINT")));
    expect(fromInterrupt.map((line) => /\] (\w+ \w+)/.exec(line)?.[1])).toEqual(["received SIGINT", "cancel request", "cancelled in"]);
    // No time passes after the interrupt: every line after it shows the interrupt's time.
    const stamp = fromInterrupt[0]!.slice(0, 9);
    expect(stamp).toMatch(/^\[ {2}1\.\d\ds\]$/);
    expect(fromInterrupt.map((line) => line.slice(0, 9))).toEqual([stamp, stamp, stamp]);
  });

  it("calls the lookup before the kickoff a lookup, not a poll", async () => {
    const server = await startScriptedServer([
      { status: 404 },
      { json: { accepted: true } },
      { json: { runs: [{ key: "w-1" }] } },
      { json: { status: "completed" } },
    ]);
    const clock = fakeClock();
    const ran = await run({
      invocation_id: "found-1",
      runtime_name: "engine",
      runtime_kind: "http_async",
      metadata: {
        "http.url": server.url("/runs"),
        "http.run_lookup_url": server.url("/runs/list"),
        "http.run_lookup_path": "runs.*.key",
        "http.poll_url_template": "/runs/by-key/{lookup}",
        "http.poll_status_path": "status",
        "http.poll_terminal_states": "completed,failed",
        "http.poll_pending_codes": "404",
      },
    }, { now: clock.now, sleep: clock.sleep });
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual(["GET /runs/list", "POST /runs", "GET /runs/list", "GET /runs/by-key/w-1"]);
    expect(ran.result).toMatchObject({ status: "succeeded", metadata: { "http.lookups": "2", "http.polls": "1" } });
    expect(ran.stderr.split("\n").map((line) => line.slice(10, 50))).toEqual([
      expect.any(String),
      "lookup 1: HTTP 404 means not ready yet (",
      "kickoff answered HTTP 200, naming no run",
      "accepted, run found by lookup: w-1; stat",
      'poll 1 answered HTTP 200, status "comple',
      expect.stringContaining("is terminal"),
      expect.stringContaining("succeeded in"),
      "",
    ]);
  });

  it("says the HTTP code a Location monitor reports as the status as an HTTP answer", async () => {
    const server = await startScriptedServer([{ status: 202, headers: { location: "/operations/1" } }, { status: 202 }, { json: { name: "report" } }]);
    const clock = fakeClock();
    const ran = await run({
      invocation_id: "lro-1",
      runtime_name: "engine",
      runtime_kind: "http_async",
      metadata: { "http.url": server.url("/reports"), "http.poll_protocol": "lro", "http.poll_interval_seconds": "1" },
    }, { now: clock.now, sleep: clock.sleep });
    expect(ran.result).toMatchObject({ status: "succeeded", metadata: { "http.poll_mode": "location", "http.last_status": "200" } });
    expect(ran.stderr.split("\n").slice(3, -1)).toEqual([
      "[  0.00s] poll 1 answered HTTP 202",
      "[  0.00s] waiting 1.00s",
      "[  1.00s] poll 2 answered HTTP 200",
      "[  1.00s] backend answered HTTP 200: succeeded",
      "[  1.00s] succeeded in 1.00s (2 polls, HTTP 200)",
    ]);
  });

  it("writes one JSON object per line on stderr with --json-events", async () => {
    const fake = await backend();
    const ran = await run(exampleInvocation("classic-202", fake.origin), { jsonEvents: true });
    const lines = ran.stderr.trimEnd().split("\n").map((line) => JSON.parse(line) as { type: string });
    const types = lines.map((line) => line.type);
    expect(types[0]).toBe("start");
    expect(types).toContain("retry");
    expect(types.at(-1)).toBe("result");
    expect(lines.at(-1)).toMatchObject({ status: "succeeded", failureKind: null, backendJob: "finished", exitCode: 0, commandExitCode: 0, errorSummary: null });
  });

  it("writes nothing on stderr with --quiet", async () => {
    const fake = await backend();
    expect(await run(exampleInvocation("classic-202", fake.origin), { quiet: true })).toMatchObject({ exitCode: 0, stderr: "" });
  });

  it("never shows the values of http.headers or secret query parameters in progress lines", async () => {
    const fake = await backend();
    const invocation = exampleInvocation("classic-202", fake.origin, {
      metadata: { "http.headers": '{"Authorization":"Bearer s3cr3t-value"}', "http.url": fake.url("/v1/jobs?api_key=k3y-value") },
    });
    const ran = await run(invocation);
    expect(ran.exitCode).toBe(0);
    expect(ran.stderr).toContain("api_key=[REDACTED]");
    expect(ran.stderr).not.toMatch(/s3cr3t-value|k3y-value/);
  });

  it("exits 2 with one line on stderr and nothing on stdout for a missing file", async () => {
    const { io, stdout, stderr } = fakeIo();
    expect(await runInvocationFile("/nonexistent/job.json", io)).toBe(2);
    expect(stdout()).toBe("");
    expect(stderr()).toBe("executor-runtime: cannot read /nonexistent/job.json: no such file\n");
  });
});
