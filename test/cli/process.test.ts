/**
 * The command as people run it: the bundled CLI (what dist/cli.js is) in a
 * child process, with stderr a pipe (so progress is one plain line per
 * event), against the fake backend of examples/.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, it, onTestFinished } from "vitest";
import { startFakeBackend, type FakeBackend, type FakeBackendOptions } from "../../examples/fake-backend.js";
import { createArchonConversation } from "../../src/cli/demo.js";
import { buildCli, exampleInvocation, spawnCli, writeJson, type ExampleName } from "../support/cli-harness.js";
import { expectRxpValid } from "../support/rxp-schema.js";
import { makeTempDir } from "../support/temp-dir.js";

let cli: { path: string; remove: () => Promise<void> };
beforeAll(async () => {
  cli = await buildCli();
}, 60_000);
afterAll(() => cli.remove());

/** Archon's timings a tenth as long: a worker 14-20 ms after the dispatch, a 500 ms workflow. */
const ARCHON_FAST = { timeScale: 0.1 };
/** Polls 10 times as often as the recipes, to match. */
const ARCHON_POLLS = { "http.poll_interval_seconds": "0.1" };

async function backend(options: FakeBackendOptions = {}): Promise<FakeBackend> {
  const started = await startFakeBackend({ retryAfterSeconds: 0, ...options, archon: { ...ARCHON_FAST, ...options.archon } });
  onTestFinished(() => started.close());
  return started;
}

async function invocationFile(invocation: unknown): Promise<string> {
  return writeJson(await makeTempDir(), "job.json", invocation);
}

describe("executor-runtime (child process)", { timeout: 30_000 }, () => {
  it.for<[string, ExampleName, FakeBackendOptions, Record<string, string>, Record<string, unknown>, number]>([
    ["succeeded", "archon-background", {}, ARCHON_POLLS, {}, 0],
    ["failed", "archon-background", { outcome: "failure" }, ARCHON_POLLS, {}, 1],
    ["succeeded", "archon-interactive", {}, ARCHON_POLLS, {}, 0],
    ["rejected", "classic-202", {}, { "http.poll_terminal_states": "" }, {}, 2],
    ["timed_out", "classic-202", { runningPolls: Infinity }, { "http.poll_interval_seconds": "0.05" }, { timeout_seconds: 1 }, 124],
    ["cancelled", "classic-202", { outcome: "cancelled" }, {}, {}, 130],
  ])("ends %s with its exit code and exactly one result JSON on stdout", async ([status, name, options, metadata, fields, code], { expect }) => {
    const fake = await backend(options);
    const conversation = name.startsWith("archon") ? { conversationId: await createArchonConversation(fake.origin) } : {};
    const command = spawnCli(cli.path, ["run", await invocationFile(exampleInvocation(name, fake.origin, { metadata, fields, ...conversation }))]);
    expect((await command.exited).code).toBe(code);
    const result: unknown = JSON.parse(command.stdout());
    expect(result).toMatchObject({ status });
    expectRxpValid(result);
    expect(command.stderr()).toMatch(new RegExp(`\\] ${status} in \\S+`));
  });

  it("writes one plain progress line per event on stderr when stderr is not a terminal", async ({ expect }) => {
    const fake = await backend({ runningPolls: 1 });
    const command = spawnCli(cli.path, ["run", await invocationFile(exampleInvocation("classic-202", fake.origin))]);
    expect((await command.exited).code).toBe(0);
    const lines = command.stderr().trimEnd().split("\n");
    expect(lines[0]).toBe(`run classic-demo-1 (http_async, batch-jobs): POST ${fake.origin}/v1/jobs`);
    expect(lines.slice(1).map((line) => line.replace(/^\[ *\d+\.\d+s\] /, "").replace(/\d+\.\d+s/g, "Ns"))).toEqual([
      "kickoff answered HTTP 202",
      `accepted, run id job-0001; status URL ${fake.origin}/v1/jobs/job-0001`,
      "poll 1 answered HTTP 429",
      'poll 1 failed, will retry: HTTP 429: {"error":"slow down"}',
      "waiting Ns (the backend's Retry-After)",
      'poll 2 answered HTTP 200, status "running"',
      "waiting Ns",
      'poll 3 answered HTTP 200, status "succeeded"',
      'backend status "succeeded" is terminal: succeeded',
      'succeeded in Ns (3 polls, last status "succeeded", HTTP 200)',
    ]);
  });

  it("ends an Archon background workflow at the first poll after Archon finished it", async ({ expect }) => {
    const fake = await backend();
    const conversationId = await createArchonConversation(fake.origin);
    const command = spawnCli(cli.path, ["run", await invocationFile(exampleInvocation("archon-background", fake.origin, { metadata: ARCHON_POLLS, conversationId }))]);
    expect((await command.exited).code).toBe(0);
    const [run] = fake.archonRuns();
    const polls = fake.requests.filter((request) => request.path === `/api/workflows/runs/by-worker/${run!.conversationId}`).map((request) => request.atMs);
    // One poll after the finish, the one that saw it: the run ended within one poll interval of Archon.
    expect(polls.filter((atMs) => atMs >= run!.finishedAtMs!)).toHaveLength(1);
    expect(polls.at(-1)).toBeGreaterThanOrEqual(run!.finishedAtMs!);
    const result = JSON.parse(command.stdout()) as { status: string; finished_at: string };
    expect(result.status).toBe("succeeded");
    expect(Date.parse(result.finished_at)).toBeGreaterThanOrEqual(run!.finishedAtMs!);
  });

  it("with --otel, loads the instrumentation beside the command and prints the run's span tree on stderr", async ({ expect }) => {
    const fake = await backend({ runningPolls: 1 });
    const command = spawnCli(cli.path, ["run", "--otel", "--quiet", await invocationFile(exampleInvocation("classic-202", fake.origin))]);
    expect((await command.exited).code).toBe(0);
    expect(JSON.parse(command.stdout())).toMatchObject({ status: "succeeded" });
    const lines = command.stderr().trimEnd().split("\n");
    expect(lines[0]).toMatch(/^trace [0-9a-f]{32}$/);
    expect(lines[1]).toMatch(/^\+0\.000s executor\.run http_async classic-demo-1: succeeded in /);
    expect(lines.slice(2).map((line) => /^[├└]─ \+\d+\.\d{3}s (\S+ \S+)/.exec(line)?.[1])).toEqual([
      "POST kickoff",
      "GET poll",
      "retry after",
      "wait 0",
      "GET poll",
      "wait 0",
      "GET poll",
    ]);
  });

  it.for(["SIGINT", "SIGTERM"] as const)("cancels the run on %s, sends the cancel request for its run id and exits 130", async (signal, { expect }) => {
    const fake = await backend({ archon: { timings: { runMs: Infinity } } });
    const conversationId = await createArchonConversation(fake.origin);
    const invocation = exampleInvocation("archon-background", fake.origin, { metadata: { "http.poll_interval_seconds": "0.05" }, conversationId });
    const command = spawnCli(cli.path, ["run", await invocationFile(invocation)]);
    await command.stderrIncludes('status "running"');
    command.child.kill(signal);
    expect(await command.exited).toEqual({ code: 130, signal: null });
    expect(JSON.parse(command.stdout())).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "200" } });
    expect(command.stderr()).toContain(`received ${signal}: cancelling the run`);
    const [run] = fake.archonRuns();
    expect(fake.requests).toContainEqual(expect.objectContaining({ method: "POST", path: `/api/workflows/runs/${run!.id}/cancel` }));
    expect(run!.status).toBe("cancelled");
  });

  it("exits 130 at once on a second Ctrl-C, without waiting for the cancel request", async ({ expect }) => {
    let cancelArrived!: () => void;
    const cancelRequest = new Promise<void>((resolve) => (cancelArrived = resolve));
    const server = createServer((req: IncomingMessage, res) => {
      if (req.method === "POST" && req.url === "/runs") res.writeHead(202, { location: "/runs/1" }).end('{"status":"queued"}');
      else if (req.method === "GET") res.writeHead(200, { "content-type": "application/json" }).end('{"status":"running"}');
      // The cancel request is never answered.
      else if (req.method === "POST" && req.url === "/runs/1/cancel") cancelArrived();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const command = spawnCli(cli.path, ["run", await invocationFile({
      invocation_id: "hang-1",
      runtime_name: "engine",
      runtime_kind: "http_async",
      metadata: {
        "http.url": `${origin}/runs`,
        "http.poll_status_path": "status",
        "http.poll_terminal_states": "completed",
        "http.poll_interval_seconds": "0.05",
        "http.cancel_url_template": "/runs/1/cancel",
      },
    })]);
    await command.stderrIncludes('status "running"');
    command.child.kill("SIGINT");
    await cancelRequest;
    command.child.kill("SIGINT");
    expect(await command.exited).toEqual({ code: 130, signal: null });
    expect(command.stdout()).toBe("");
    expect(command.stderr()).toContain("received SIGINT again: exiting without waiting for the run to end");
  });

  it("sends a --secret whose value is only in the command's environment, and never prints it", async ({ expect }) => {
    const token = "eyJhbGciOiJIUzI1NiJ9.child-process-token";
    const seen: (string | undefined)[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      const header = req.headers["x-slurm-user-token"];
      seen.push(typeof header === "string" ? header : undefined);
      if (header !== token) res.writeHead(401).end("Authentication failure");
      else if (req.method === "POST") res.writeHead(200, { "content-type": "application/json" }).end('{"job_id": 7}');
      else res.writeHead(200, { "content-type": "application/json" }).end('{"jobs": [{"job_state": "COMPLETED"}]}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const job = await invocationFile({
      invocation_id: "slurm-7",
      runtime_name: "slurm",
      runtime_kind: "http_async",
      metadata: {
        "http.url": `${origin}/slurm/v0.0.40/job/submit`,
        "http.headers": '{"X-SLURM-USER-TOKEN": "{secret:SLURM_JWT}"}',
        "http.poll_url_template": "/slurm/v0.0.40/job/{run_id}",
        "http.poll_run_id_path": "job_id",
        "http.poll_status_path": "jobs[0].job_state",
        "http.poll_terminal_states": "COMPLETED,FAILED",
        "http.poll_success_states": "COMPLETED",
      },
    });
    const command = spawnCli(cli.path, ["run", "--secret", "SLURM_JWT", job], { env: { SLURM_JWT: token } });
    expect((await command.exited).code).toBe(0);
    expect(JSON.parse(command.stdout())).toMatchObject({ status: "succeeded" });
    expect(seen).toEqual([token, token]);
    expect(command.stdout() + command.stderr()).not.toContain(token);
  });

  it("validates a good file with exit 0 and a bad one with exit 2, sending nothing", async ({ expect }) => {
    const fake = await backend();
    const good = spawnCli(cli.path, ["validate", await invocationFile(exampleInvocation("archon-background", fake.origin))]);
    expect((await good.exited).code).toBe(0);
    expect(good.stdout()).toContain("a valid http_async invocation; nothing was sent");
    const bad = spawnCli(cli.path, ["validate", await invocationFile({ invocation_id: "x", runtime_name: "y", runtime_kind: "http_async", metadata: { "http.url": "not a url" } })]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toMatch(/^metadata\["http.url"\]: .+\n/m);
    expect(fake.requests).toEqual([]);
  });

  it("answers a missing file with one line on stderr, exit 2 and no stack trace", async ({ expect }) => {
    const command = spawnCli(cli.path, ["run", "/nonexistent/job.json"]);
    expect((await command.exited).code).toBe(2);
    expect(command.stderr()).toBe("executor-runtime: cannot read /nonexistent/job.json: no such file\n");
    expect(command.stdout()).toBe("");
  });

  it("runs the demo: both flows succeed and it exits 0", async ({ expect }) => {
    const command = spawnCli(cli.path, ["demo"]);
    expect((await command.exited).code).toBe(0);
    const results = command.stdout().trimEnd().split(/\n(?=\{)/).map((text) => JSON.parse(text) as { status: string; invocation_id: string });
    expect(results.map((result) => [result.invocation_id, result.status])).toEqual([
      ["archon-demo-1", "succeeded"],
      ["classic-demo-1", "succeeded"],
    ]);
    expect(command.stderr()).toContain("Both flows reached succeeded");
    expect(command.stderr()).toMatch(/accepted, run found by lookup: web-worker-\d+-[0-9a-z]{6}, run id [0-9a-f]{32}; status URL/);
  });
});
