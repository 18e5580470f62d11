/**
 * A fake Slurm REST API (slurmrestd), following what a real slurmrestd
 * 22.05.8 was observed to do with API v0.0.38 and JWT authentication
 * (examples/invocations/slurm-job.json runs against it):
 *
 * - JSON answers start with a `meta` envelope of about 190 characters
 *   (plugin, Slurm version, client) and hold `errors`: `[{"error_code",
 *   "error": "<text>"}]`, empty on success.
 * - `POST /slurm/v0.0.38/job/submit` `{"script": "#!/bin/bash\n...", "job":
 *   {"name", "current_working_directory", "environment", "standard_output",
 *   ...}}` with `X-SLURM-USER-NAME` and `X-SLURM-USER-TOKEN` -> 200 `{meta,
 *   errors: [], job_id, step_id: "batch", ...}`. A submit that Slurm holds
 *   is answered 200 with its `job_id` and `errors` filled.
 * - `GET /slurm/v0.0.38/job/{id}` -> 200 `{meta, errors: [], jobs: [...]}`,
 *   one object per task for an array job, `job_state` one of `PENDING`,
 *   `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, `TIMEOUT`, `NODE_FAIL`,
 *   `OUT_OF_MEMORY`, `PREEMPTED`, `BOOT_FAIL`, `DEADLINE`, and `exit_code` a
 *   POSIX wait status (`exit 3` is 768).
 * - `DELETE /slurm/v0.0.38/job/{id}` cancels: 200, also for a job that has
 *   already ended. `POST` on the same URL updates the job: 200, and nothing
 *   is cancelled.
 * - A request without `X-SLURM-USER-TOKEN` -> 401, the text `Authentication
 *   failure`. An authentication failure, an expired token and an unknown job
 *   -> 500 with the error in `errors` ("Authentication failure", "Zero Bytes
 *   were transmitted or received", "Unable to find job").
 * - A requeued job goes back to `PENDING`.
 *
 * What the fake adds of its own, from Slurm's documented behaviour rather
 * than that observation:
 *
 * - Tokens are HS256 JWTs (`token()`, like `scontrol token`); one that does
 *   not verify or names another user than `X-SLURM-USER-NAME` is the
 *   authentication failure, one past its `exp` the expired token.
 * - A job submitted with `"hold": true` is the held submit ("Job is in held
 *   state, pending scheduler release"); it stays `PENDING` until `release()`.
 * - slurmrestd does not read `#SBATCH` lines, so the job's options are read
 *   from `job`: `time_limit` (minutes; past it the job ends `TIMEOUT`, killed
 *   by signal 15), `array` (`0-3`, `1,4`, `0-9:3`; each task has a `job_id`
 *   of its own, the first the array's). The script is run by reading it:
 *   `sleep N` lines make it run N seconds, `exit N` ends it with that code,
 *   and `[ "$SLURM_ARRAY_TASK_ID" = K ] && <command>` runs the command in
 *   task K only; other lines take no time.
 * - A cancelled job that was running reports signal 15 in `exit_code`. A job
 *   is forgotten (an unknown job) `MinJobAge` after it ended; a requeued job
 *   starts again CredExpire + 1 s later (`SLURM_TIMINGS`).
 * - The job description is not checked (a real slurmrestd rejects a submit
 *   without `environment`), and an update changes nothing.
 *
 * Time comes from `now`, and every state is derived from it when asked, so a
 * test that shares a virtual clock with the runner sees what a real server
 * would show at that moment.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** The API prefix of slurmrestd 22.05's v0.0.38 plugin. */
export const SLURM_API = "/slurm/v0.0.38";

/** Slurm's job states that end a job. */
export const SLURM_TERMINAL_STATES = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE"] as const;

/** A terminal job state. */
export type SlurmEnding = (typeof SLURM_TERMINAL_STATES)[number];

/** Every job state the fake shows. */
export type SlurmJobState = "PENDING" | "RUNNING" | SlurmEnding;

/** How long Slurm takes, in milliseconds. */
export interface SlurmTimings {
  /** From the submit (or a release) to `RUNNING`. */
  readonly pendingMs: number;
  /** From a requeue to `RUNNING` again: Slurm sets a requeued job's begin time CredExpire + 1 s (121 s by default) ahead. */
  readonly requeueMs: number;
  /** From a job's end to its purge, after which it is an unknown job (slurm.conf `MinJobAge`, 300 s by default). */
  readonly minJobAgeMs: number;
}

/** The fake's timings: a job starts one second after its submit, 121 s after a requeue, and is kept 300 s after it ends. */
export const SLURM_TIMINGS: SlurmTimings = { pendingMs: 1000, requeueMs: 121_000, minJobAgeMs: 300_000 };

/** Options of the fake Slurm. */
export interface FakeSlurmOptions {
  /** Replaces some of `SLURM_TIMINGS`. */
  readonly timings?: Partial<SlurmTimings>;
}

/** A task of a job as a test sees it, at the time it asks. */
export interface FakeSlurmTask {
  readonly jobId: number;
  /** The task's index in an array job; null for a job that is not one. */
  readonly arrayTaskId: number | null;
  readonly state: SlurmJobState;
  /** The wait status Slurm reports in `exit_code`. */
  readonly exitCode: number;
  /** How many times it was requeued. */
  readonly restarts: number;
}

/** A job as a test sees it, at the time it asks. */
export interface FakeSlurmJob {
  readonly jobId: number;
  readonly name: string;
  readonly userName: string;
  readonly submittedAtMs: number;
  readonly tasks: readonly FakeSlurmTask[];
}

/** An answer of the fake: HTTP status and a JSON body, or the text of the 401. */
export type SlurmAnswer = { readonly status: number; readonly json: unknown } | { readonly status: 401; readonly text: string };

/** What the fake needs of a request. */
export interface SlurmRequest {
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
  readonly body: string;
  /** Header values by lower-case name. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The client's address and port, as `meta.client.source` shows them. */
  readonly client: string;
}

interface Task {
  readonly jobId: number;
  readonly arrayTaskId: number | null;
  /** What the script does in this task: how long it runs, and the code it exits with. */
  readonly runMs: number;
  readonly exit: number;
  /** When it starts running; Infinity while it is held. */
  startsAtMs: number;
  cancelledAtMs: number | undefined;
  /** An end forced from outside the script (a node failure, memory, preemption). */
  forced: { readonly atMs: number; readonly state: SlurmEnding; readonly waitStatus: number } | undefined;
  restarts: number;
  held: boolean;
}

interface Job {
  readonly id: number;
  readonly name: string;
  readonly userName: string;
  readonly workingDirectory: string;
  readonly standardOutput: string;
  /** Minutes; undefined for no limit. */
  readonly timeLimitMinutes: number | undefined;
  readonly array: string;
  readonly submittedAtMs: number;
  readonly tasks: Task[];
}

interface Ending {
  readonly atMs: number;
  readonly state: SlurmEnding;
  readonly waitStatus: number;
}

// Slurm's errno values (slurm_errno.h) for the errors the fake answers.
const SLURM_PROTOCOL_AUTHENTICATION_ERROR = 1007;
const ESLURM_INVALID_JOB_ID = 2017;
const ESLURM_JOB_HELD = 2042;
const SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT = 5005;

const SIGTERM = 15;
const JWT_HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

/** Slurm's state and its answers, as functions of the time. */
export class FakeSlurm {
  readonly #timings: SlurmTimings;
  readonly #now: () => number;
  readonly #key = randomBytes(32);
  readonly #jobs: Job[] = [];
  #nextId = 9;

  constructor(options: FakeSlurmOptions, now: () => number) {
    this.#timings = { ...SLURM_TIMINGS, ...options.timings };
    this.#now = now;
  }

  /** A JWT for `user`, valid for `lifespanSeconds` from now, as `scontrol token username=<user> lifespan=<s>` prints it. */
  token(user: string, lifespanSeconds = 1800): string {
    const iat = Math.floor(this.#now() / 1000);
    const payload = base64url(JSON.stringify({ exp: iat + lifespanSeconds, iat, sun: user }));
    return `${JWT_HEADER}.${payload}.${this.#sign(`${JWT_HEADER}.${payload}`)}`;
  }

  /** Every job submitted so far, in submit order, as it is now. */
  jobs(): FakeSlurmJob[] {
    const now = this.#now();
    return this.#jobs.map((job) => ({
      jobId: job.id,
      name: job.name,
      userName: job.userName,
      submittedAtMs: job.submittedAtMs,
      tasks: job.tasks.map((task) => ({ jobId: task.jobId, arrayTaskId: task.arrayTaskId, ...this.#stateAt(job, task, now), restarts: task.restarts })),
    }));
  }

  /** Releases a held job (`scontrol release`): it starts after `pendingMs`. */
  release(jobId: number): void {
    const now = this.#now();
    for (const task of this.#job(jobId).tasks.filter((candidate) => candidate.held)) {
      task.held = false;
      task.startsAtMs = now + this.#timings.pendingMs;
    }
  }

  /** Requeues a job (`scontrol requeue`, or a node failure with requeue on): its running tasks go back to `PENDING` and run the script again. */
  requeue(jobId: number): void {
    const now = this.#now();
    const job = this.#job(jobId);
    for (const task of job.tasks.filter((candidate) => this.#stateAt(job, candidate, now).state === "RUNNING")) {
      task.startsAtMs = now + this.#timings.requeueMs;
      task.restarts += 1;
    }
  }

  /** Ends a job's unfinished tasks now in `state` (NODE_FAIL, OUT_OF_MEMORY, PREEMPTED, BOOT_FAIL, DEADLINE...), with `waitStatus` as its `exit_code`. */
  end(jobId: number, state: SlurmEnding, waitStatus = 0): void {
    const now = this.#now();
    const job = this.#job(jobId);
    for (const task of job.tasks.filter((candidate) => this.#endOf(job, candidate).atMs > now)) {
      task.forced = { atMs: now, state, waitStatus };
    }
  }

  /** The answer to a request; undefined when it is not on a route of the API. */
  answer(request: SlurmRequest): SlurmAnswer | undefined {
    const now = this.#now();
    const meta = metaOf(request.client);
    const route = /^\/slurm\/v0\.0\.38\/job\/(submit|[^/]+)$/.exec(request.path);
    if (route === null) return undefined;
    const token = request.headers["x-slurm-user-token"];
    if (token === undefined || token === "") return { status: 401, text: "Authentication failure" };
    const refused = this.#authenticate(token, request.headers["x-slurm-user-name"], now);
    if (refused !== undefined) return failure(meta, refused.code, refused.error);
    const target = route[1]!;
    if (target === "submit") {
      return request.method === "POST" ? this.#submit(request.body, userOf(token), meta, now) : undefined;
    }
    if (!["GET", "DELETE", "POST"].includes(request.method)) return undefined;
    const found = this.#find(target, now);
    if (found === undefined) return failure(meta, ESLURM_INVALID_JOB_ID, "Unable to find job");
    const { job, tasks } = found;
    switch (request.method) {
      case "GET":
        return { status: 200, json: { meta, errors: [], jobs: tasks.map((task) => this.#taskJson(job, task, now)) } };
      case "DELETE":
        for (const task of tasks.filter((candidate) => this.#endOf(job, candidate).atMs > now)) task.cancelledAtMs = now;
        return { status: 200, json: { meta, errors: [] } };
      default:
        // An update (scontrol update): the fake changes nothing, and nothing is cancelled.
        return { status: 200, json: { meta, errors: [] } };
    }
  }

  #submit(body: string, userName: string, meta: unknown, now: number): SlurmAnswer {
    const fields = readObject(body) ?? {};
    const script = typeof fields.script === "string" ? fields.script : "";
    const description = readObject(fields.job) ?? {};
    const text = (key: string, fallback: string): string => (typeof description[key] === "string" ? description[key] : fallback);
    const id = this.#nextId;
    const array = text("array", "");
    const indexes = array === "" ? [null] : taskIndexes(array);
    const held = description.hold === true;
    const tasks = indexes.map((arrayTaskId, index): Task => {
      const { runMs, exit } = runScript(script, arrayTaskId);
      const startsAtMs = held ? Infinity : now + this.#timings.pendingMs;
      return { jobId: id + index, arrayTaskId, runMs, exit, startsAtMs, cancelledAtMs: undefined, forced: undefined, restarts: 0, held };
    });
    this.#nextId += tasks.length;
    const timeLimit = description.time_limit;
    this.#jobs.push({
      id,
      name: text("name", "sbatch"),
      userName,
      workingDirectory: text("current_working_directory", "/tmp"),
      standardOutput: text("standard_output", ""),
      timeLimitMinutes: typeof timeLimit === "number" && timeLimit > 0 ? timeLimit : undefined,
      array,
      submittedAtMs: now,
      tasks,
    });
    const errors = held ? [{ error_code: ESLURM_JOB_HELD, error: "Job is in held state, pending scheduler release" }] : [];
    return { status: 200, json: { meta, errors, job_id: id, step_id: "batch", job_submit_user_msg: "" } };
  }

  /** Refuses a token that does not verify, names another user, or has expired. */
  #authenticate(token: string, userName: string | undefined, now: number): { code: number; error: string } | undefined {
    const [header, payload, signature] = token.split(".");
    const claims = payload === undefined ? undefined : readObject(Buffer.from(payload, "base64url").toString("utf8"));
    const expected = Buffer.from(this.#sign(`${header}.${payload}`));
    const verified = signature !== undefined && Buffer.byteLength(signature) === expected.length && timingSafeEqual(Buffer.from(signature), expected);
    if (!verified || claims === undefined || (userName !== undefined && userName !== claims.sun)) {
      return { code: SLURM_PROTOCOL_AUTHENTICATION_ERROR, error: "Authentication failure" };
    }
    if (typeof claims.exp !== "number" || now >= claims.exp * 1000) {
      return { code: SLURM_PROTOCOL_SOCKET_ZERO_BYTES_SENT, error: "Zero Bytes were transmitted or received" };
    }
    return undefined;
  }

  /** The job and the tasks that a job id names: every task of an array job by its id, or one task by its own; none once purged. */
  #find(id: string, now: number): { job: Job; tasks: Task[] } | undefined {
    if (!/^\d+$/.test(id)) return undefined;
    const jobId = Number(id);
    for (const job of this.#jobs) {
      const tasks = job.id === jobId && job.array !== "" ? job.tasks : job.tasks.filter((task) => task.jobId === jobId);
      const kept = tasks.filter((task) => now < this.#endOf(job, task).atMs + this.#timings.minJobAgeMs);
      if (kept.length > 0) return { job, tasks: kept };
    }
    return undefined;
  }

  #job(jobId: number): Job {
    const job = this.#jobs.find((candidate) => candidate.id === jobId);
    if (job === undefined) throw new Error(`no job ${jobId}`);
    return job;
  }

  /** How a task ends: the script's end or its time limit, unless it was cancelled or ended from outside first. */
  #endOf(job: Job, task: Task): Ending {
    const limitMs = job.timeLimitMinutes === undefined ? Infinity : job.timeLimitMinutes * 60_000;
    const natural: Ending =
      task.runMs > limitMs
        ? { atMs: task.startsAtMs + limitMs, state: "TIMEOUT", waitStatus: SIGTERM }
        : { atMs: task.startsAtMs + task.runMs, state: task.exit === 0 ? "COMPLETED" : "FAILED", waitStatus: (task.exit & 0xff) << 8 };
    const cancelled: Ending | undefined =
      task.cancelledAtMs === undefined ? undefined : { atMs: task.cancelledAtMs, state: "CANCELLED", waitStatus: task.cancelledAtMs >= task.startsAtMs ? SIGTERM : 0 };
    return [natural, cancelled, task.forced].filter((ending) => ending !== undefined).reduce((first, ending) => (ending.atMs < first.atMs ? ending : first));
  }

  #stateAt(job: Job, task: Task, now: number): { state: SlurmJobState; exitCode: number } {
    const ending = this.#endOf(job, task);
    if (now >= ending.atMs) return { state: ending.state, exitCode: ending.waitStatus };
    return { state: now >= task.startsAtMs ? "RUNNING" : "PENDING", exitCode: 0 };
  }

  #taskJson(job: Job, task: Task, now: number) {
    const { state, exitCode } = this.#stateAt(job, task, now);
    const ending = this.#endOf(job, task);
    const started = now >= task.startsAtMs && Number.isFinite(task.startsAtMs);
    return {
      account: "",
      array_job_id: job.array === "" ? 0 : job.id,
      array_task_id: task.arrayTaskId,
      array_task_string: job.array,
      batch_flag: true,
      current_working_directory: job.workingDirectory,
      end_time: now >= ending.atMs ? seconds(ending.atMs) : 0,
      exit_code: exitCode,
      job_id: task.jobId,
      job_state: state,
      name: job.name,
      nodes: started ? "node1" : "",
      partition: "debug",
      restart_cnt: task.restarts,
      standard_output: job.standardOutput,
      start_time: started ? seconds(task.startsAtMs) : 0,
      state_reason: reasonOf(state, task),
      submit_time: seconds(job.submittedAtMs),
      time_limit: job.timeLimitMinutes ?? null,
      user_name: job.userName,
    };
  }

  #sign(text: string): string {
    return createHmac("sha256", this.#key).update(text).digest("base64url");
  }
}

/**
 * What a batch script does in one task, as the fake reads it: the seconds of
 * its `sleep` lines until it exits, and the code of its first `exit` (0 when
 * it has none). `[ "$SLURM_ARRAY_TASK_ID" = K ] && <command>` runs the
 * command in task K only.
 */
export function runScript(script: string, arrayTaskId: number | null): { runMs: number; exit: number } {
  let runMs = 0;
  for (const line of script.split("\n")) {
    const guarded = /^\s*\[\s+"?\$\{?SLURM_ARRAY_TASK_ID\}?"?\s+(?:=|==|-eq)\s+"?(\d+)"?\s+\]\s*&&\s*(.*)$/.exec(line);
    if (guarded !== null && Number(guarded[1]) !== arrayTaskId) continue;
    const command = (guarded?.[2] ?? line).trim();
    const sleep = /^sleep\s+(\d+(?:\.\d+)?)\s*$/.exec(command);
    if (sleep !== null) runMs += Number(sleep[1]) * 1000;
    const exit = /^exit(?:\s+(\d+))?\s*$/.exec(command);
    if (exit !== null) return { runMs, exit: Number(exit[1] ?? 0) };
  }
  return { runMs, exit: 0 };
}

/** The task indexes of an array specification: `0-3`, `1,4,7`, `0-9:3`. */
function taskIndexes(array: string): number[] {
  const indexes: number[] = [];
  for (const part of array.split(",")) {
    const range = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim());
    if (range === null) continue;
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    const step = Math.max(1, Number(range[3] ?? 1));
    for (let index = first; index <= last; index += step) indexes.push(index);
  }
  return indexes.length === 0 ? [0] : indexes;
}

function reasonOf(state: SlurmJobState, task: Task): string {
  switch (state) {
    case "PENDING":
      return task.held ? "JobHeldUser" : task.restarts > 0 ? "BeginTime" : "None";
    case "FAILED":
      return "NonZeroExitCode";
    case "TIMEOUT":
      return "TimeLimit";
    default:
      return "None";
  }
}

/** slurmrestd's envelope: the plugin, the Slurm version, and the client it answers. */
function metaOf(client: string) {
  return {
    plugin: { type: "openapi/v0.0.38", name: "Slurm OpenAPI v0.0.38" },
    Slurm: { version: { major: 22, micro: 8, minor: 5 }, release: "22.05.8" },
    client: { source: client },
  };
}

function failure(meta: unknown, code: number, error: string): SlurmAnswer {
  return { status: 500, json: { meta, errors: [{ error_code: code, error }] } };
}

/** The user a token names (its `sun` claim); the token has been verified. */
function userOf(token: string): string {
  const claims = readObject(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
  return typeof claims?.sun === "string" ? claims.sun : "";
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function base64url(text: string): string {
  return Buffer.from(text).toString("base64url");
}

function readObject(value: unknown): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = typeof value === "string" ? JSON.parse(value) : value;
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
