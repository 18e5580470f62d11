/**
 * The fake slurmrestd of examples/ answers as a real slurmrestd 22.05.8 was
 * observed to, on a virtual clock.
 */
import { afterEach, describe, expect, it } from "vitest";
import { runScript, startFakeSlurm, type FakeSlurmServer } from "../../examples/fake-slurm-server.js";
import { fakeClock } from "../support/fake-clock.js";

const servers: FakeSlurmServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function slurm() {
  const clock = fakeClock();
  const fake = await startFakeSlurm({ now: clock.now });
  servers.push(fake);
  const headers = { "X-SLURM-USER-NAME": "executor", "X-SLURM-USER-TOKEN": fake.slurm.token("executor") };
  const send = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(fake.url(path), { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { status: response.status, text: await response.text() };
  };
  const submit = (script: string, job: Record<string, unknown> = {}) =>
    send("POST", "/slurm/v0.0.38/job/submit", { script, job: { name: "t", environment: { PATH: "/bin" }, ...job } });
  return { fake, clock, send, submit };
}

describe("startFakeSlurm", () => {
  it("answers a submit 200 with job_id and step_id batch, after a meta envelope of about 190 characters", async () => {
    const { submit } = await slurm();
    const { status, text } = await submit("#!/bin/bash\nsleep 5\n");
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ errors: [], job_id: 9, step_id: "batch" });
    expect(text.indexOf('"errors"')).toBeGreaterThan(180);
    expect(text.indexOf('"errors"')).toBeLessThan(200);
  });

  it("lists every task of an array job under the array's job id, each with its own job_id", async () => {
    const { clock, send, submit } = await slurm();
    await submit('#!/bin/bash\n[ "$SLURM_ARRAY_TASK_ID" = 1 ] && exit 2\nsleep 5\n', { array: "0-2" });
    clock.advance(2000);
    const { jobs } = JSON.parse((await send("GET", "/slurm/v0.0.38/job/9")).text) as { jobs: Record<string, unknown>[] };
    expect(jobs.map(({ job_id, array_job_id, array_task_id, job_state, exit_code }) => ({ job_id, array_job_id, array_task_id, job_state, exit_code }))).toEqual([
      { job_id: 9, array_job_id: 9, array_task_id: 0, job_state: "RUNNING", exit_code: 0 },
      { job_id: 10, array_job_id: 9, array_task_id: 1, job_state: "FAILED", exit_code: 512 },
      { job_id: 11, array_job_id: 9, array_task_id: 2, job_state: "RUNNING", exit_code: 0 },
    ]);
  });

  it("answers DELETE of a job that has ended 200, and leaves it as it ended", async () => {
    const { fake, clock, send, submit } = await slurm();
    await submit("#!/bin/bash\nexit 0\n");
    clock.advance(2000);
    expect((await send("DELETE", "/slurm/v0.0.38/job/9")).status).toBe(200);
    expect(fake.slurm.jobs()[0]!.tasks[0]!.state).toBe("COMPLETED");
  });

  it("answers an unknown job 500 with 'Unable to find job' in errors", async () => {
    const { send } = await slurm();
    const { status, text } = await send("GET", "/slurm/v0.0.38/job/77");
    expect(status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ errors: [{ error_code: 2017, error: "Unable to find job" }] });
  });

  it("answers a request without X-SLURM-USER-TOKEN 401 with the text 'Authentication failure'", async () => {
    const { fake } = await slurm();
    const response = await fetch(fake.url("/slurm/v0.0.38/job/submit"), { method: "POST", body: "{}" });
    expect({ status: response.status, type: response.headers.get("content-type"), text: await response.text() }).toEqual({
      status: 401,
      type: "text/plain",
      text: "Authentication failure",
    });
  });

  it("runs a script for the seconds of its sleep lines, up to its first exit", () => {
    expect(runScript("#!/bin/bash\necho hi\nsleep 2\nsleep 0.5\nexit 4\nsleep 100\n", null)).toEqual({ runMs: 2500, exit: 4 });
    expect(runScript('[ "$SLURM_ARRAY_TASK_ID" = 3 ] && exit 1\nsleep 1\n', 2)).toEqual({ runMs: 1000, exit: 0 });
    expect(runScript('[ "$SLURM_ARRAY_TASK_ID" = 3 ] && exit 1\nsleep 1\n', 3)).toEqual({ runMs: 0, exit: 1 });
  });
});
