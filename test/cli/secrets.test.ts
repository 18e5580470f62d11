import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/cli.js";
import { runInvocationFile } from "../../src/cli/run-command.js";
import { readSecretFlags } from "../../src/cli/secret-flags.js";
import { fakeIo, writeJson } from "../support/cli-harness.js";
import { fakeClock } from "../support/fake-clock.js";
import { closeScriptedServers, startScriptedServer, type RecordedRequest } from "../support/scripted-server.js";
import { makeTempDir } from "../support/temp-dir.js";

afterEach(closeScriptedServers);

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.slurm-token-value";

/** A Slurm-like job API on 127.0.0.1 that answers 401 to any request without `X-SLURM-USER-TOKEN: <token>`. */
async function slurmBackend(token = TOKEN) {
  const answer = (request: RecordedRequest, response: ServerResponse): void => {
    const send = (status: number, body: unknown): void => void response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (request.headers["x-slurm-user-token"] !== token) send(401, { errors: [{ error: "Authentication failure" }] });
    else if (request.method === "POST") send(200, { job_id: 42 });
    else send(200, { jobs: [{ job_state: "COMPLETED" }] });
  };
  return startScriptedServer([], { fallback: answer });
}

/** An http_async invocation of the backend whose token header is `{secret:SLURM_JWT}`. */
async function slurmJob(
  origin: string,
  headers = '{"X-SLURM-USER-TOKEN": "{secret:SLURM_JWT}", "X-SLURM-USER-NAME": "ci"}',
  metadata: Record<string, string> = {},
): Promise<string> {
  return writeJson(await makeTempDir(), "job.json", {
    invocation_id: "slurm-1",
    runtime_name: "slurm",
    runtime_kind: "http_async",
    metadata: {
      "http.url": `${origin}/slurm/v0.0.40/job/submit`,
      "http.headers": headers,
      "http.poll_url_template": "/slurm/v0.0.40/job/{run_id}",
      "http.poll_run_id_path": "job_id",
      "http.poll_status_path": "jobs[0].job_state",
      "http.poll_terminal_states": "COMPLETED,FAILED,CANCELLED",
      "http.poll_success_states": "COMPLETED",
      ...metadata,
    },
  });
}

async function cli(argv: string[], env: Record<string, string> = {}) {
  const { io, stdout, stderr } = fakeIo({ env });
  const exitCode = await runCli(argv, io);
  return { exitCode, stdout: stdout(), stderr: stderr() };
}

describe("executor-runtime run --secret", () => {
  it("sends the value of the environment variable of that name wherever http.headers says {secret:NAME}", async () => {
    const backend = await slurmBackend();
    const ran = await cli(["run", "--secret", "SLURM_JWT", await slurmJob(backend.origin)], { SLURM_JWT: TOKEN });
    expect(ran.exitCode).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: "succeeded", metadata: { "http.polls": "1" } });
    expect(backend.requests.map((request) => `${request.method} ${request.headers["x-slurm-user-token"]}`)).toEqual([`POST ${TOKEN}`, `GET ${TOKEN}`]);
    expect(ran.stdout + ran.stderr).not.toContain(TOKEN);
  });

  it("reads a secret from another variable with --secret NAME=ENV_VAR", async () => {
    const backend = await slurmBackend();
    const ran = await cli(["run", await slurmJob(backend.origin), "--quiet", "--secret", "SLURM_JWT=CI_SLURM_TOKEN"], { CI_SLURM_TOKEN: TOKEN, SLURM_JWT: "wrong" });
    expect(ran).toMatchObject({ exitCode: 0, stderr: "" });
    expect(backend.requests.every((request) => request.headers["x-slurm-user-token"] === TOKEN)).toBe(true);
  });

  it("takes several --secret flags", async () => {
    const backend = await slurmBackend(`${TOKEN}:k-123`);
    const headers = '{"X-SLURM-USER-TOKEN": "{secret:SLURM_JWT}:{secret:API_KEY}"}';
    const ran = await cli(["run", "-q", "--secret", "SLURM_JWT", "--secret", "API_KEY=KEY", await slurmJob(backend.origin, headers)], { SLURM_JWT: TOKEN, KEY: "k-123" });
    expect(ran.exitCode).toBe(0);
    expect(backend.requests).toHaveLength(2);
  });

  it("never shows a secret's value in progress lines or the result, even when the backend echoes it", async () => {
    const backend = await startScriptedServer([{ status: 200, json: { job_id: 42 } }, { status: 400, body: `token ${TOKEN} is not valid for job 42` }]);
    const ran = await cli(["run", "--secret", "SLURM_JWT", await slurmJob(backend.origin)], { SLURM_JWT: TOKEN });
    expect(ran.exitCode).toBe(1);
    expect(ran.stderr).toContain("token [REDACTED] is not valid for job 42");
    expect(ran.stdout + ran.stderr).not.toContain(TOKEN);
  });

  it.each([
    ["the --otel span tree", { otel: true, quiet: true }],
    ["--json-events", { jsonEvents: true }],
  ])("never shows a secret's value in %s, even when the backend echoes it", async (_output, flags) => {
    const backend = await startScriptedServer([
      { status: 200, json: { job_id: 42 } },
      { status: 503, body: `token ${TOKEN} is being renewed` },
      { status: 400, body: `token ${TOKEN} is not valid for job 42` },
    ]);
    const path = await slurmJob(backend.origin, undefined, { "http.poll_max_consecutive_errors": "1" });
    const { io, stdout, stderr } = fakeIo();
    const clock = fakeClock();
    expect(await runInvocationFile(path, io, { ...flags, secrets: { SLURM_JWT: TOKEN }, now: clock.now, sleep: clock.sleep })).toBe(1);
    expect(stderr()).toContain("token [REDACTED] is being renewed");
    expect(stdout() + stderr()).not.toContain(TOKEN);
    expect(backend.requests.map((request) => request.headers["x-slurm-user-token"])).toEqual([TOKEN, TOKEN, TOKEN]);
  });

  it("exits 2 naming the variable, sending nothing, when the environment lacks it", async () => {
    const backend = await slurmBackend();
    const job = await slurmJob(backend.origin);
    expect(await cli(["run", "--secret", "SLURM_JWT", job])).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: "executor-runtime run: --secret SLURM_JWT: the environment variable SLURM_JWT is not set (see executor-runtime run --help)\n",
    });
    expect((await cli(["run", "--secret", "SLURM_JWT=CI_TOKEN", job], { SLURM_JWT: TOKEN })).stderr).toBe(
      "executor-runtime run: --secret SLURM_JWT=CI_TOKEN: the environment variable CI_TOKEN is not set (see executor-runtime run --help)\n",
    );
    expect((await cli(["run", "--secret", "SLURM_JWT", job], { SLURM_JWT: "" })).stderr).toContain("the environment variable SLURM_JWT is empty");
    expect(backend.requests).toEqual([]);
  });

  it("rejects an invocation that uses a secret the command was not given, and says which flag it needs", async () => {
    const backend = await slurmBackend();
    const ran = await cli(["run", await slurmJob(backend.origin)], { SLURM_JWT: TOKEN });
    expect(ran.exitCode).toBe(2);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: "rejected", metadata: { failure_kind: "invalid_input" } });
    expect(ran.stderr).toContain('metadata["http.headers"] uses {secret:SLURM_JWT}, which the runner does not have');
    expect(ran.stderr.trimEnd().split("\n").at(-1)).toBe(
      "executor-runtime: http.headers uses {secret:SLURM_JWT}: pass --secret SLURM_JWT (the environment variable of that name), or --secret NAME=ENV_VAR",
    );
    expect(backend.requests).toEqual([]);
  });

  it("names no --secret when the invocation was rejected for something else", async () => {
    const job = await writeJson(await makeTempDir(), "job.json", {
      invocation_id: "slurm-2",
      runtime_name: "slurm",
      runtime_kind: "http",
      metadata: { "http.url": "ftp://slurm.test/submit", "http.headers": '{"X-SLURM-USER-TOKEN": "{secret:SLURM_JWT}"}' },
    });
    const ran = await cli(["run", job]);
    expect(ran.exitCode).toBe(2);
    expect(ran.stderr).not.toContain("--secret");
  });

  it("keeps stderr JSON only with --json-events when a secret is missing", async () => {
    const backend = await slurmBackend();
    const ran = await cli(["run", "--json-events", await slurmJob(backend.origin)]);
    expect(ran.exitCode).toBe(2);
    for (const line of ran.stderr.trimEnd().split("\n")) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});

describe(readSecretFlags.name, () => {
  it.each([
    ["", "--secret '': expected NAME or NAME=ENV_VAR, with a NAME of no spaces, braces or ="],
    ["=TOKEN", "--secret '=TOKEN': expected NAME or NAME=ENV_VAR, with a NAME of no spaces, braces or ="],
    ["MY TOKEN", "--secret 'MY TOKEN': expected NAME or NAME=ENV_VAR, with a NAME of no spaces, braces or ="],
    ["{TOKEN}", "--secret '{TOKEN}': expected NAME or NAME=ENV_VAR, with a NAME of no spaces, braces or ="],
    ["TOKEN=", "--secret 'TOKEN=': expected NAME=ENV_VAR, with the name of an environment variable after the ="],
    ["TOKEN=A=B", "--secret 'TOKEN=A=B': expected NAME=ENV_VAR, with the name of an environment variable after the ="],
  ])("refuses --secret %j", (flag, message) => {
    expect(readSecretFlags([flag], { TOKEN: "t" })).toEqual({ ok: false, message });
  });

  it("refuses a name given twice", () => {
    expect(readSecretFlags(["TOKEN", "TOKEN=OTHER"], { TOKEN: "t", OTHER: "o" })).toEqual({ ok: false, message: "--secret TOKEN is given twice" });
  });

  it("reads each variable once, when called", () => {
    const env: Record<string, string> = { TOKEN: "first" };
    const reading = readSecretFlags(["TOKEN", "KEY=TOKEN"], env);
    env.TOKEN = "second";
    expect(reading).toEqual({
      ok: true,
      secrets: { flags: [{ name: "TOKEN", envVar: "TOKEN" }, { name: "KEY", envVar: "TOKEN" }], values: { TOKEN: "first", KEY: "first" } },
    });
  });

  it("reads only own variables: a name like toString is not set unless the environment has it", () => {
    expect(readSecretFlags(["toString"], {})).toEqual({ ok: false, message: "--secret toString: the environment variable toString is not set" });
  });
});

describe("executor-runtime validate --secret", () => {
  it("lists the secrets http.headers uses and where each comes from, warning of the ones no --secret gives", async () => {
    const headers = '{"X-SLURM-USER-TOKEN": "{secret:SLURM_JWT}", "X-API-Key": "{secret:API_KEY}"}';
    const job = await slurmJob("https://slurm.test", headers);
    const checked = await cli(["validate", job, "--secret", "SLURM_JWT=CI_SLURM_TOKEN"], { CI_SLURM_TOKEN: TOKEN });
    expect(checked.exitCode).toBe(0);
    expect(checked.stdout).toContain("\n  secrets   SLURM_JWT (environment variable CI_SLURM_TOKEN), API_KEY (not given with --secret); resolved when each request is built\n");
    expect(checked.stderr).toBe(
      'warning: metadata["http.headers"]: uses {secret:API_KEY}, which no --secret gives: executor-runtime run rejects the invocation without --secret API_KEY (a runner, without API_KEY in its secrets option)\n',
    );
    expect(checked.stdout + checked.stderr).not.toContain(TOKEN);
  });

  it("lists the secrets without any --secret, and warns of each", async () => {
    const checked = await cli(["validate", await slurmJob("https://slurm.test")]);
    expect(checked.exitCode).toBe(0);
    expect(checked.stdout).toContain("  secrets   SLURM_JWT (not given with --secret); resolved when each request is built\n");
    expect(checked.stderr).toContain("uses {secret:SLURM_JWT}, which no --secret gives");
  });

  it("warns of a --secret the invocation does not use", async () => {
    const checked = await cli(["validate", await slurmJob("https://slurm.test"), "--secret", "SLURM_JWT", "--secret", "SLURM_JTW"], { SLURM_JWT: TOKEN, SLURM_JTW: TOKEN });
    expect(checked).toMatchObject({ exitCode: 0, stderr: "warning: --secret SLURM_JTW: http.headers uses no {secret:SLURM_JTW}\n" });
  });

  it("exits 2 naming the variable when the environment lacks it, as run does", async () => {
    expect(await cli(["validate", "--secret", "SLURM_JWT", await slurmJob("https://slurm.test")])).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: "executor-runtime validate: --secret SLURM_JWT: the environment variable SLURM_JWT is not set (see executor-runtime validate --help)\n",
    });
  });
});
