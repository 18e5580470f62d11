/**
 * examples/invocations/slurm-job.json against the fake slurmrestd 22.05 of
 * examples/ on a virtual clock: every wait of the run moves the fake's time.
 * The recipe takes its token from the secret SLURM_JWT. Most cases run it as
 * a user does, `executor-runtime run --secret SLURM_JWT job.json` (runCli,
 * in-process), with the token only in the command's environment; those the
 * command cannot express (a secret function that hands out a fresh token per
 * request, a run stopped or changed at one of its events, a resume from a
 * checkpoint) run on an ExecutorRuntime whose AsyncHttpRunner holds the
 * secret, as dispatcher code runs them.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { startFakeSlurm, type FakeSlurmServer, type FakeSlurmServerOptions, type SlurmEnding } from "../../examples/fake-slurm-server.js";
import { runCli } from "../../src/cli/cli.js";
import type * as RunCommandModule from "../../src/cli/run-command.js";
import type { RuntimeResult } from "../../src/contracts/result.js";
import { AsyncHttpRunner, ExecutorRuntime, type Checkpoint, type HttpRunnerOptions, type RunEvent, type Sleep } from "../../src/index.js";
import { exampleInvocation, fakeIo, writeJson } from "../support/cli-harness.js";
import { fakeClock, type FakeClock } from "../support/fake-clock.js";
import { makeTempDir } from "../support/temp-dir.js";

/**
 * The clock of the command's runs. runCli, the command as its bin runs it,
 * takes no clock, so its call of runInvocationFile is given this one: the
 * fake's virtual clock, set for each run.
 */
const commandClock = vi.hoisted(() => {
  let current: { readonly now: () => number; readonly sleep: Sleep } | undefined;
  return {
    use(clock: { readonly now: () => number; readonly sleep: Sleep } | undefined): void {
      current = clock;
    },
    get(): { readonly now: () => number; readonly sleep: Sleep } {
      if (current === undefined) throw new Error("the command was run without a virtual clock");
      return current;
    },
  };
});
vi.mock("../../src/cli/run-command.js", async (importOriginal) => {
  const real = await importOriginal<typeof RunCommandModule>();
  const runInvocationFile: typeof real.runInvocationFile = (path, io, options = {}) => {
    const { now, sleep } = commandClock.get();
    return real.runInvocationFile(path, io, { ...options, now, sleep });
  };
  return { ...real, runInvocationFile };
});

const USER = "executor";
type Secret = NonNullable<HttpRunnerOptions["secrets"]>[string];
const JOB = "/slurm/v0.0.38/job/9";

const servers: FakeSlurmServer[] = [];
afterEach(async () => {
  commandClock.use(undefined);
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

interface Slurm {
  readonly fake: FakeSlurmServer;
  readonly clock: FakeClock;
}

async function slurm(options: FakeSlurmServerOptions = {}): Promise<Slurm> {
  const clock = fakeClock();
  const fake = await startFakeSlurm({ now: clock.now, ...options });
  servers.push(fake);
  return { fake, clock };
}

interface RecipeChanges {
  /** Replaces the batch script. */
  readonly script?: string;
  /** Added to the job description. */
  readonly job?: Record<string, unknown>;
  readonly metadata?: Record<string, string>;
  readonly fields?: Record<string, unknown>;
}

/** The recipe pointed at the fake, its script and job description changed (typed unknown: the runtime checks it). */
function recipe({ fake }: Slurm, changes: RecipeChanges = {}): unknown {
  const invocation = exampleInvocation("slurm-job", fake.origin, { fields: changes.fields ?? {} });
  const body = JSON.parse(invocation.metadata["http.body"]!) as { script: string; job: Record<string, unknown> };
  const submit = { script: changes.script ?? body.script, job: { ...body.job, ...changes.job } };
  return { ...invocation, metadata: { ...invocation.metadata, "http.body": JSON.stringify(submit), ...changes.metadata } };
}

/** The statuses the polls saw, in order. */
function polled(events: readonly { readonly type: string; readonly status?: unknown }[]): unknown[] {
  return events.flatMap((event) => (event.type === "poll" ? [event.status] : []));
}

function requestsTo(fake: FakeSlurmServer, method: string, path: string): number {
  return fake.requests.filter((request) => request.method === method && request.path === path).length;
}

interface CommandChanges extends RecipeChanges {
  /** The value of the environment variable SLURM_JWT. @default a token of the fake, valid 30 minutes */
  readonly token?: string;
  /** The command's arguments before the file. @default ["--secret", "SLURM_JWT", "--json-events"] */
  readonly args?: readonly string[];
  /** Every wait of the run. @default the fake's clock */
  readonly sleep?: Sleep;
}

/** A progress event of `--json-events`: a run event with the time since the start. */
interface JsonEvent {
  readonly type: string;
  readonly elapsedMs: number;
  readonly status?: string;
  readonly httpStatus?: number;
}

interface CommandRun {
  readonly exitCode: number;
  /** The result JSON the command printed on stdout. */
  readonly result: RuntimeResult;
  readonly stderr: string;
  /** The run's events, with `--json-events`: the stderr lines between `start` and `result`. */
  readonly events: JsonEvent[];
}

/**
 * Runs the recipe as `executor-runtime run --secret SLURM_JWT --json-events
 * job.json` (runCli in-process) with SLURM_JWT in the command's environment
 * only, on the fake's clock. The token never shows in the file, stdout or stderr.
 */
async function runCommand(backend: Slurm, changes: CommandChanges = {}): Promise<CommandRun> {
  const token = changes.token ?? backend.fake.slurm.token(USER);
  const path = await writeJson(await makeTempDir(), "job.json", recipe(backend, changes));
  const { io, stdout, stderr } = fakeIo({ env: { SLURM_JWT: token } });
  commandClock.use({ now: backend.clock.now, sleep: changes.sleep ?? backend.clock.sleep });
  const exitCode = await runCli(["run", ...(changes.args ?? ["--secret", "SLURM_JWT", "--json-events"]), path], io);
  const lines = stderr().trimEnd().split("\n");
  const events = lines[0]?.startsWith("{") === true ? lines.map((line) => JSON.parse(line) as JsonEvent).slice(1, -1) : [];
  expect(JSON.stringify(recipe(backend, changes)) + stdout() + stderr()).not.toContain(token);
  return { exitCode, result: JSON.parse(stdout()) as RuntimeResult, stderr: stderr(), events };
}

/** A script that fails in task 2 of an array job as it starts; the other tasks run 60 s. */
const TASK_2_FAILS = '#!/bin/bash\n[ "$SLURM_ARRAY_TASK_ID" = 2 ] && exit 1\nsleep 60\n';

describe("examples/invocations/slurm-job.json with executor-runtime run --secret SLURM_JWT", () => {
  it("reads a job that ran `exit 3` (Slurm's wait status 768) as failed with exit_code 3, and exits 1", async () => {
    const backend = await slurm();
    const { exitCode, result } = await runCommand(backend, { script: "#!/bin/bash\nsleep 10\nexit 3\n" });
    expect(backend.fake.slurm.jobs()[0]!.tasks[0]).toMatchObject({ state: "FAILED", exitCode: 768 });
    expect(exitCode).toBe(1);
    expect(result).toMatchObject({
      status: "failed",
      exit_code: 3,
      error_summary: "backend reported terminal status: FAILED",
      metadata: { "failure_kind": "backend_failed", "http.backend_job": "finished" },
    });
  });

  it("ends an array job with one failed task failed, once every task has ended", async () => {
    const backend = await slurm();
    const { exitCode, result } = await runCommand(backend, { script: TASK_2_FAILS, job: { array: "0-3" } });
    const tasks = backend.fake.slurm.jobs()[0]!.tasks;
    expect(tasks.map((task) => task.state)).toEqual(["COMPLETED", "COMPLETED", "FAILED", "COMPLETED"]);
    expect(exitCode).toBe(1);
    expect(result).toMatchObject({ status: "failed", metadata: { "http.last_status": "FAILED", "failure_kind": "backend_failed" } });
    // Task 2 failed as it started; the run waited for the other three, which ran 60 s.
    expect(Date.parse(result.finished_at) - Date.parse(result.started_at)).toBeGreaterThanOrEqual(61_000);
  });

  // `http.exit_code_path` (`jobs.*.exit_code`) gives the first task that did not exit 0: task 2's `exit 1`.
  it("never reports exit_code 0 for a failed array job", async () => {
    const backend = await slurm();
    const { result } = await runCommand(backend, { script: TASK_2_FAILS, job: { array: "0-3" } });
    expect(result).toMatchObject({ status: "failed", exit_code: 1 });
  });

  it("ends a job that Slurm stops at its time limit (TIMEOUT) timed_out, backend_timed_out, exits 124, and sends no cancel", async () => {
    const backend = await slurm();
    const { exitCode, result } = await runCommand(backend, { script: "#!/bin/bash\nsleep 120\n", job: { time_limit: 1 } });
    expect(exitCode).toBe(124);
    expect(result).toMatchObject({
      status: "timed_out",
      exit_code: 143,
      error_summary: "backend reported terminal status: TIMEOUT",
      metadata: { "failure_kind": "backend_timed_out", "http.backend_job": "finished" },
    });
    expect(requestsTo(backend.fake, "DELETE", JOB)).toBe(0);
  });

  it("reads jobs[0].job_state as jobs.0.job_state", async () => {
    const changes = { script: "#!/bin/bash\nsleep 10\nexit 3\n" };
    const brackets = await runCommand(await slurm(), { ...changes, metadata: { "http.poll_status_path": "jobs[0].job_state" } });
    const dots = await runCommand(await slurm(), { ...changes, metadata: { "http.poll_status_path": "jobs.0.job_state" } });
    expect(brackets.exitCode).toBe(1);
    expect(brackets.result).toMatchObject({ status: "failed", metadata: { "http.last_status": "FAILED" } });
    expect(polled(brackets.events)).toEqual(["PENDING", "RUNNING", "FAILED"]);
    expect(polled(brackets.events)).toEqual(polled(dots.events));
    expect({ ...brackets.result.metadata, "http.poll_url": "" }).toEqual({ ...dots.result.metadata, "http.poll_url": "" });
  });
});

describe("examples/invocations/slurm-job.json with executor-runtime run: Slurm's errors in the summary", () => {
  it("quotes 'Authentication failure' for a token that does not verify, and submits nothing", async () => {
    const backend = await slurm();
    const { exitCode, result } = await runCommand(backend, { token: "eyJhbGciOiJIUzI1NiJ9.e30.forged" });
    expect(exitCode).toBe(1);
    expect(result).toMatchObject({
      status: "failed",
      error_summary: expect.stringMatching(/^kickoff POST http:\/\/127\.0\.0\.1:\d+\/slurm\/v0\.0\.38\/job\/submit answered HTTP 500 with error "Authentication failure": \{"meta":/),
      metadata: { "http.error": '"Authentication failure"', "failure_kind": "transport", "http.backend_job": "not_started" },
    });
    expect(backend.fake.slurm.jobs()).toEqual([]);
  });

  it("quotes 'Zero Bytes were transmitted or received' when the token expires mid-run, leaving the job running", async () => {
    const backend = await slurm();
    const { exitCode, result } = await runCommand(backend, { script: "#!/bin/bash\nsleep 300\n", token: backend.fake.slurm.token(USER, 60) });
    expect(exitCode).toBe(1);
    expect(result).toMatchObject({
      status: "failed",
      error_summary: expect.stringContaining(
        'failed 4 times in a row (http.poll_max_consecutive_errors is 3); last error: HTTP 500 with error "Zero Bytes were transmitted or received": {"meta":',
      ),
      metadata: { "http.error": '"Zero Bytes were transmitted or received"', "failure_kind": "transport", "http.backend_job": "may_still_run" },
    });
    expect(result.error_summary).toMatch(/; the backend job may still be running \(run id 9\); no cancel request was sent$/);
    expect(backend.fake.slurm.jobs()[0]!.tasks[0]!.state).toBe("RUNNING");
  });

  it("quotes 'Unable to find job' when Slurm purged the job before the next poll (a wait that lasted 10 minutes), once the poll error budget is spent", async () => {
    const backend = await slurm();
    let suspended = false;
    // The first wait, after the poll that saw the job PENDING, lasts 10 minutes (a machine suspended):
    // the job ran its 30 s meanwhile, and slurmctld forgot it MinJobAge (300 s) after it ended.
    const sleep: Sleep = (ms, signal) => {
      if (!suspended) backend.clock.advance(10 * 60_000);
      suspended = true;
      return backend.clock.sleep(ms, signal);
    };
    const { exitCode, result, events } = await runCommand(backend, { sleep });
    expect(exitCode).toBe(1);
    // The job was seen PENDING; then four polls answered an error, with no status.
    expect(polled(events)).toEqual(["PENDING", undefined, undefined, undefined, undefined]);
    expect(backend.fake.slurm.jobs()[0]!.tasks[0]!.state).toBe("COMPLETED");
    expect(result).toMatchObject({
      status: "failed",
      error_summary: expect.stringContaining('failed 4 times in a row (http.poll_max_consecutive_errors is 3); last error: HTTP 500 with error "Unable to find job"'),
      metadata: { "http.error": '"Unable to find job"', "failure_kind": "transport" },
    });
  });

  it("polls a held submit (answered 200 with Slurm's error) PENDING until the deadline, then cancels the job with DELETE, and exits 124", async () => {
    const backend = await slurm();
    const { exitCode, result, events } = await runCommand(backend, { job: { hold: true }, fields: { timeout_seconds: 60 } });
    expect(events[0]).toMatchObject({ type: "kickoff", httpStatus: 200 });
    expect(new Set(polled(events))).toEqual(new Set(["PENDING"]));
    expect(exitCode).toBe(124);
    expect(result).toMatchObject({ status: "timed_out", metadata: { "failure_kind": "deadline", "http.cancel_status": "200", "http.backend_job": "cancelled" } });
    expect(backend.fake.slurm.jobs()[0]!.tasks[0]!.state).toBe("CANCELLED");
  });

  // A held submit is answered 200 with Slurm's error in `errors`: the run keeps it (`http.error`) and its failure quotes it.
  it("quotes the error of a held submit in the summary", async () => {
    const backend = await slurm();
    const { result } = await runCommand(backend, { job: { hold: true }, fields: { timeout_seconds: 60 } });
    expect(result.error_summary).toContain("Job is in held state, pending scheduler release");
  });

  it("quotes Slurm's 401 'Authentication failure' for a submit without X-SLURM-USER-TOKEN", async () => {
    const backend = await slurm();
    const { exitCode, result, stderr } = await runCommand(backend, {
      args: ["--secret", "SLURM_JWT"],
      metadata: { "http.headers": JSON.stringify({ "X-SLURM-USER-NAME": USER }) },
    });
    expect(exitCode).toBe(1);
    expect(result).toMatchObject({
      status: "failed",
      error_summary: `kickoff POST ${backend.fake.url("/slurm/v0.0.38/job/submit")} answered HTTP 401: Authentication failure`,
      metadata: { "failure_kind": "kickoff_refused", "http.backend_job": "not_started" },
    });
    expect(stderr).toContain("failed in 0.00s (failure_kind kickoff_refused, HTTP 401)");
    expect(backend.fake.requests.map((request) => request.token)).toEqual([undefined]);
  });

  it("is rejected, nothing sent, without --secret SLURM_JWT, even with the variable set", async () => {
    const backend = await slurm();
    const { exitCode, result, stderr } = await runCommand(backend, { args: [] });
    expect(exitCode).toBe(2);
    expect(result).toMatchObject({ status: "rejected", error_summary: expect.stringContaining("uses {secret:SLURM_JWT}, which the runner does not have") });
    expect(stderr).toContain("pass --secret SLURM_JWT");
    expect(backend.fake.requests).toEqual([]);
  });
});

interface RunChanges extends RecipeChanges {
  /** SLURM_JWT. @default a fresh token for every request */
  readonly secret?: Secret;
  /** Called with each event; `stop` aborts the run. */
  readonly onEvent?: (event: RunEvent, stop: () => void) => void;
  readonly resume?: Checkpoint;
}

/** Runs the recipe on a runner that shares the fake's clock and holds SLURM_JWT. */
async function runRecipe(backend: Slurm, changes: RunChanges = {}): Promise<{ result: RuntimeResult; events: RunEvent[] }> {
  const { fake, clock } = backend;
  const secret = changes.secret ?? (() => fake.slurm.token(USER));
  const runner = new AsyncHttpRunner({ now: clock.now, sleep: clock.sleep, secrets: { SLURM_JWT: secret } });
  const runtime = new ExecutorRuntime().register("http_async", runner);
  const controller = new AbortController();
  const events: RunEvent[] = [];
  try {
    const result = await runtime.run(recipe(backend, changes), {
      signal: controller.signal,
      onEvent: (event) => {
        events.push(event);
        changes.onEvent?.(event, () => controller.abort());
      },
      ...(changes.resume === undefined ? {} : { resume: changes.resume }),
    });
    return { result, events };
  } finally {
    await runtime.close();
  }
}

/** Stops the run at the first poll that sees the job running. */
const stopWhenRunning = (event: RunEvent, stop: () => void): void => {
  if (event.type === "poll" && event.status === "RUNNING") stop();
};

describe("examples/invocations/slurm-job.json on a runtime whose runner holds SLURM_JWT", () => {
  it("submits with the token of the SLURM_JWT secret, which the invocation never holds, and ends succeeded on COMPLETED", async () => {
    const backend = await slurm();
    const { result, events } = await runRecipe(backend);
    expect(result).toMatchObject({ status: "succeeded", exit_code: 0, metadata: { "http.run_id": "9", "http.last_status": "COMPLETED", "http.backend_job": "finished" } });
    expect(polled(events)).toEqual(["PENDING", "RUNNING", "RUNNING", "RUNNING", "COMPLETED"]);
    const [job] = backend.fake.slurm.jobs();
    expect(job).toMatchObject({ jobId: 9, name: "slurm-demo-1", userName: USER, tasks: [{ state: "COMPLETED" }] });
    expect(backend.fake.requests.every((request) => request.token?.startsWith("eyJ"))).toBe(true);
    expect(JSON.stringify(recipe(backend))).not.toContain("eyJ");
  });

  it.each([
    ["NODE_FAIL", "failed"],
    ["OUT_OF_MEMORY", "failed"],
    ["PREEMPTED", "failed"],
    ["BOOT_FAIL", "failed"],
    ["DEADLINE", "timed_out"],
  ] as const)("ends a job that Slurm ends %s %s", async (state: SlurmEnding, status) => {
    const backend = await slurm();
    const { result } = await runRecipe(backend, {
      script: "#!/bin/bash\nsleep 300\n",
      onEvent: (event) => event.type === "poll" && event.status === "RUNNING" && backend.fake.slurm.end(9, state),
    });
    expect(result).toMatchObject({ status, error_summary: `backend reported terminal status: ${state}`, metadata: { "http.backend_job": "finished" } });
  });

  it("follows a requeued job back to PENDING and on to COMPLETED", async () => {
    const backend = await slurm();
    let requeued = false;
    const { result, events } = await runRecipe(backend, {
      onEvent: (event) => {
        if (requeued || event.type !== "poll" || event.status !== "RUNNING") return;
        backend.fake.slurm.requeue(9);
        requeued = true;
      },
    });
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.last_status": "COMPLETED" } });
    expect(polled(events)).toEqual(expect.arrayContaining(["RUNNING", "PENDING"]));
    expect(polled(events).indexOf("PENDING", 1)).toBeGreaterThan(polled(events).indexOf("RUNNING"));
    expect(backend.fake.slurm.jobs()[0]!.tasks[0]).toMatchObject({ state: "COMPLETED", restarts: 1 });
  });

  it("cancels an interrupted job with DELETE, and Slurm shows it CANCELLED", async () => {
    const backend = await slurm();
    const { result } = await runRecipe(backend, { script: "#!/bin/bash\nsleep 300\n", onEvent: stopWhenRunning });
    expect(result).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "200", "http.backend_job": "cancelled" } });
    expect(requestsTo(backend.fake, "DELETE", JOB)).toBe(1);
    expect(backend.fake.slurm.jobs()[0]!.tasks[0]).toMatchObject({ state: "CANCELLED", exitCode: 15 });
  });

  it("with http.cancel_method POST, sends an update that Slurm answers 200 without cancelling: the job runs on", async () => {
    const backend = await slurm();
    const { result } = await runRecipe(backend, {
      script: "#!/bin/bash\nsleep 300\n",
      metadata: { "http.cancel_method": "POST" },
      onEvent: stopWhenRunning,
    });
    expect(requestsTo(backend.fake, "POST", JOB)).toBe(1);
    // The runner cannot tell an update from a cancel: both are answered 200.
    expect(result).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "200", "http.backend_job": "cancelled" } });
    expect(backend.fake.slurm.jobs()[0]!.tasks[0]!.state).toBe("RUNNING");
  });

  it("runs past the token's lifespan when SLURM_JWT is a function that hands out a fresh token", async () => {
    const backend = await slurm();
    const { result } = await runRecipe(backend, { script: "#!/bin/bash\nsleep 300\n", secret: () => backend.fake.slurm.token(USER, 60) });
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.last_status": "COMPLETED" } });
  });

  it("reads SLURM_JWT again and repeats the poll once when a poll is answered 401 (a token file read while it was rewritten)", async () => {
    const backend = await slurm();
    let reads = 0;
    const { result, events } = await runRecipe(backend, { secret: () => (++reads === 3 ? "" : backend.fake.slurm.token(USER)) });
    expect(result).toMatchObject({ status: "succeeded" });
    expect(events).toContainEqual(expect.objectContaining({ type: "retry", attempt: 2, error: "HTTP 401: the credentials are resolved again" }));
  });

  it("quotes 'Unable to find job' when resumed after Slurm purged the job, once the poll error budget is spent", async () => {
    const backend = await slurm();
    let checkpoint: Checkpoint | undefined;
    await runRecipe(backend, { onEvent: (event) => event.type === "accepted" && (checkpoint = event.checkpoint) });
    // slurmctld forgets a job MinJobAge (300 s) after it ended.
    backend.clock.advance(10 * 60_000);
    const { result } = await runRecipe(backend, { resume: checkpoint! });
    expect(result).toMatchObject({
      status: "failed",
      error_summary: expect.stringContaining('failed 4 times in a row (http.poll_max_consecutive_errors is 3); last error: HTTP 500 with error "Unable to find job"'),
      metadata: { "http.error": '"Unable to find job"', "failure_kind": "transport" },
    });
  });
});
