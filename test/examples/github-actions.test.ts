/**
 * examples/invocations/github-actions-dispatch.json against a fake GitHub
 * Actions API on the runner's virtual clock: a dispatch answered 204, the run
 * found in the runs list, its outcome read from `conclusion`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runInvocationFile } from "../../src/cli/run-command.js";
import type { RuntimeResult } from "../../src/contracts/result.js";
import type { Sleep } from "../../src/index.js";
import { exampleInvocation, fakeIo, writeJson } from "../support/cli-harness.js";
import { fakeClock } from "../support/fake-clock.js";
import { startGitHubActionsBackend, type GitHubActionsBackend, type GitHubActionsOptions } from "../support/github-actions-backend.js";
import { makeTempDir } from "../support/temp-dir.js";

const backends: GitHubActionsBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
});

async function github(options: GitHubActionsOptions = {}) {
  const clock = fakeClock();
  const backend = await startGitHubActionsBackend({ now: clock.now, ...options });
  backends.push(backend);
  const path = await writeJson(await makeTempDir(), "job.json", exampleInvocation("github-actions-dispatch", backend.origin));
  return { backend, clock, path };
}

async function run(path: string, options: Parameters<typeof runInvocationFile>[2]) {
  const { io, stdout, stderr } = fakeIo();
  const exitCode = await runInvocationFile(path, io, options);
  return { exitCode, result: JSON.parse(stdout()) as RuntimeResult, stderr: stderr() };
}

const RUNS = "/repos/octo-org/octo-repo/actions/runs";

describe("examples/invocations/github-actions-dispatch.json", () => {
  it("finds the dispatched run in the runs list, not an earlier one, and ends succeeded on conclusion success", async () => {
    const { backend, clock, path } = await github();
    const { exitCode, result } = await run(path, { now: clock.now, sleep: clock.sleep });
    const [dispatched] = backend.dispatched;
    expect(exitCode).toBe(0);
    expect(result).toMatchObject({
      status: "succeeded",
      metadata: { "http.lookup": String(dispatched!.id), "http.last_status": "completed", "http.result": JSON.stringify(`https://github.com/octo-org/octo-repo/actions/runs/${dispatched!.id}`) },
    });
    const polled = new Set(backend.requests.filter((request) => request.path.startsWith(RUNS)).map((request) => request.path));
    expect([...polled]).toEqual([`${RUNS}/${dispatched!.id}`]);
  });

  it.each([
    ["failure", "failed", 1],
    ["timed_out", "failed", 1],
    ["cancelled", "cancelled", 130],
  ] as const)("reads a completed run with conclusion %s as %s, its summary linking the run's page", async (conclusion, status, exitCode) => {
    const { backend, clock, path } = await github({ conclusion });
    const ran = await run(path, { now: clock.now, sleep: clock.sleep });
    const page = JSON.stringify(`https://github.com/octo-org/octo-repo/actions/runs/${backend.dispatched[0]!.id}`);
    expect(ran).toMatchObject({ exitCode, result: { status, error_summary: `backend reported terminal status: completed (outcome '${conclusion}'; http.result ${page})` } });
  });

  it("cancels an interrupted run by the id the lookup found", async () => {
    const { backend, clock, path } = await github({ runMs: Infinity });
    const controller = new AbortController();
    const { io, stdout, stderr } = fakeIo();
    // Waits pass at once on the virtual clock until a poll has shown "in_progress"; the next lasts until the run is stopped.
    const sleep: Sleep = (ms, stop) =>
      stderr().includes('status "in_progress"')
        ? (controller.abort("SIGTERM"), new Promise((resolve) => stop?.addEventListener("abort", () => resolve(), { once: true })))
        : clock.sleep(ms);
    expect(await runInvocationFile(path, io, { now: clock.now, sleep, signal: controller.signal })).toBe(130);
    const [dispatched] = backend.dispatched;
    expect(JSON.parse(stdout())).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "202" } });
    expect(backend.requests.filter((request) => request.method === "POST").map((request) => request.path)).toEqual([
      "/repos/octo-org/octo-repo/actions/workflows/nightly.yml/dispatches",
      `${RUNS}/${dispatched!.id}/cancel`,
    ]);
    expect(dispatched!.cancelledAtMs).toBe(clock.now());
  });
});
