import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { checkInvocation, validateInvocationFile } from "../../src/cli/validate-command.js";
import { EXAMPLE_NAMES, fakeIo, writeJson } from "../support/cli-harness.js";
import { makeTempDir } from "../support/temp-dir.js";

const EXAMPLES = new URL("../../examples/invocations/", import.meta.url).pathname;

const STATUS_METADATA: Readonly<Record<string, string>> = {
  "http.url": "https://engine.test/api/runs",
  "http.poll_status_path": "status",
  "http.poll_terminal_states": "completed,failed",
};

/** A file holding an http_async invocation with `metadata`. */
async function invocationFile(metadata: Readonly<Record<string, string>>, invocationId = "job-1"): Promise<string> {
  return writeJson(await makeTempDir(), "job.json", { invocation_id: invocationId, runtime_name: "engine", runtime_kind: "http_async", metadata });
}

describe(validateInvocationFile.name, () => {
  it.each(EXAMPLE_NAMES)("accepts examples/invocations/%s.json and says what would be sent, with no problem on stderr", async (name) => {
    const { io, stdout, stderr } = fakeIo();
    const path = `${EXAMPLES}${name}.json`;
    expect(await validateInvocationFile(path, io)).toBe(0);
    const origin = name.startsWith("github") ? "https://api.github.com" : "http://127.0.0.1:8080";
    expect(stdout()).toContain(`${path}: a valid http_async invocation; nothing was sent\n  kickoff   POST ${origin}/`);
    expect(stderr().split("\n").filter((line) => line !== "" && !line.startsWith("warning: "))).toEqual([]);
  });

  it("ships every example of examples/invocations/ in the list the tests run", async () => {
    expect((await readdir(EXAMPLES)).sort()).toEqual(EXAMPLE_NAMES.map((name) => `${name}.json`).sort());
  });

  it("describes a run lookup and a two-field outcome", async () => {
    const { io, stdout } = fakeIo();
    expect(await validateInvocationFile(`${EXAMPLES}github-actions-dispatch.json`, io)).toBe(0);
    expect(stdout()).toContain(
      "  lookup    GET https://api.github.com/repos/octo-org/octo-repo/actions/workflows/nightly.yml/runs?event=workflow_dispatch&per_page=20, keys at workflow_runs.*.id\n" +
        "            read before the kickoff, then polled until a key new since then appears (the last, if several), which fills {lookup}\n" +
        "  status    GET https://api.github.com/repos/octo-org/octo-repo/actions/runs/{lookup}\n" +
        "            status at status (protocol status); terminal: completed\n" +
        "            once terminal, the outcome at conclusion decides: success: success; cancelled: cancelled, canceled; any other: failure (any case)\n",
    );
    expect(stdout()).toContain(
      "  cancel    POST https://api.github.com/repos/octo-org/octo-repo/actions/runs/{lookup}/cancel\n" +
        "            sent when a run the backend accepted ends timed_out or cancelled\n",
    );
  });

  it("prints every problem with the key it concerns and exits 2", async () => {
    const path = await writeJson(await makeTempDir(), "bad.json", {
      invocation_id: "",
      runtime_name: "engine",
      runtime_kind: "http_async",
      metadata: { "http.url": "ftp://example.com/x", "http.poll_status_path": "status", "http.poll_interval_secs": "2" },
    });
    const { io, stdout, stderr } = fakeIo();
    expect(await validateInvocationFile(path, io)).toBe(2);
    expect(stdout()).toBe("");
    const lines = stderr().trimEnd().split("\n");
    expect(lines).toContain("invocation_id: must be a non-empty string");
    expect(lines.some((line) => line.startsWith('metadata["http.url"]: '))).toBe(true);
    expect(lines.some((line) => line.startsWith('metadata["http.poll_terminal_states"]: '))).toBe(true);
    expect(lines.some((line) => line.startsWith('metadata["http.poll_interval_secs"]: ') && line.includes("http.poll_interval_seconds"))).toBe(true);
    expect(lines.at(-1)).toBe(`${path}: ${lines.length - 1} problems; nothing was sent`);
  });

  it("describes a run of protocol lro: where its status and its result are read", async () => {
    const path = await writeJson(await makeTempDir(), "arm.json", {
      invocation_id: "vm-1",
      runtime_name: "arm",
      runtime_kind: "http_async",
      metadata: { "http.url": "https://management.example.com/vms/1", "http.method": "PUT", "http.poll_protocol": "lro" },
    });
    const { io, stdout } = fakeIo();
    expect(await validateInvocationFile(path, io)).toBe(0);
    expect(stdout()).toContain("kickoff   PUT https://management.example.com/vms/1; retried up to 3 times on a network error, 5xx or 429");
    expect(stdout()).toContain("status    protocol lro: the kickoff's Operation-Location, Azure-AsyncOperation or Location header, else the resource itself");
    expect(stdout()).toContain("Succeeded, Failed, Canceled (any case); the final result read at the request URL");
    expect(stdout()).toContain("polling   first poll at once, then every 2.00s; pending codes: (none); errors tolerated in a row: 3\n");
  });

  it("describes a Slurm job: its state at a bracketed path, its timed-out states, the error it quotes and its own exit code", async () => {
    const metadata = {
      "http.url": "https://slurm.test/slurm/v0.0.38/job/submit",
      "http.poll_url_template": "/slurm/v0.0.38/job/{run_id}",
      "http.poll_run_id_path": "job_id",
      "http.poll_status_path": "jobs[0].job_state",
      "http.poll_terminal_states": "COMPLETED,FAILED,CANCELLED,TIMEOUT,DEADLINE",
      "http.poll_success_states": "COMPLETED",
      "http.poll_timed_out_states": "TIMEOUT,DEADLINE",
      "http.error_path": "errors[0].error",
      "http.exit_code_path": "jobs[0].exit_code",
      "http.exit_code_format": "wait_status",
    };
    const { io, stdout } = fakeIo();
    expect(await validateInvocationFile(await invocationFile(metadata), io)).toBe(0);
    expect(stdout()).toContain(
      "            status at jobs[0].job_state (protocol status)\n" +
        "            success: completed; failure: failed; cancelled: cancelled; timed out: timeout, deadline (any case)\n",
    );
    expect(stdout()).toContain("errors tolerated in a row: 0\n");
    expect(stdout()).toContain(
      "  error     errors[0].error of a failed answer -> quoted in the summary, and metadata http.error\n" +
        "  exit code jobs[0].exit_code of the terminal answer (a POSIX wait status: 768 is exit 3, a signal n is 128+n) -> the result's exit_code\n",
    );
  });

  it("says that a status path with * reads every value, the worst outcome deciding", async () => {
    const { io, stdout } = fakeIo();
    expect(await validateInvocationFile(await invocationFile({ ...STATUS_METADATA, "http.poll_status_path": "jobs[*].job_state" }), io)).toBe(0);
    expect(stdout()).toContain("  status at jobs[*].job_state (protocol status), every value: terminal when all are, and the worst outcome decides\n");
  });

  it("describes an ownership check and a cancel request also sent when the runner gives up", async () => {
    const path = await writeJson(await makeTempDir(), "owned.json", {
      invocation_id: "job-7",
      runtime_name: "engine",
      runtime_kind: "http_async",
      metadata: {
        "http.url": "https://engine.test/api/runs",
        "http.poll_url_template": "/api/runs/{run_id}",
        "http.poll_run_id_path": "run.id",
        "http.poll_status_path": "run.status",
        "http.poll_terminal_states": "completed,failed",
        "http.run_owner_path": "run.user_message",
        "http.run_owner_value": "nightly {invocation_id}",
        "http.cancel_url_template": "/api/runs/{run_id}/cancel",
        "http.cancel_method": "DELETE",
        "http.cancel_on_failure": "true",
      },
    });
    const { io, stdout } = fakeIo();
    expect(await validateInvocationFile(path, io)).toBe(0);
    expect(stdout()).toContain(`  owner     a poll answer is this run's only when its value at run.user_message contains "nightly job-7"\n`);
    expect(stdout()).toContain(
      "  cancel    DELETE https://engine.test/api/runs/{run_id}/cancel\n" +
        "            sent when a run the backend accepted ends timed_out or cancelled, or when the runner gives up on it (poll error budget spent, an answer it cannot read, the run's identity lost)\n",
    );
  });

  it("warns, on stderr and exiting 0, that a cancel request goes out as POST when http.cancel_method is not set", async () => {
    const metadata = { ...STATUS_METADATA, "http.cancel_url_template": "/runs/cancel" };
    const { io, stdout, stderr } = fakeIo();
    expect(await validateInvocationFile(await invocationFile(metadata), io)).toBe(0);
    expect(stdout()).toContain("a valid http_async invocation; nothing was sent");
    expect(stderr()).toBe(
      'warning: metadata["http.cancel_method"]: is not set, so the cancel request goes out as POST (the default), but many REST APIs cancel with DELETE: set it, even to POST, to say which method the backend expects\n',
    );
  });

  it.each([
    ["an explicit cancel method, POST included", { "http.cancel_url_template": "/runs/cancel", "http.cancel_method": "POST" }],
    ["no cancel request", {}],
  ])("does not warn about the cancel method with %s", async (_, extra) => {
    const { io, stderr } = fakeIo();
    expect(await validateInvocationFile(await invocationFile({ ...STATUS_METADATA, ...extra }), io)).toBe(0);
    expect(stderr()).toBe("");
  });

  it("shows what would be sent with the invocation's id in place of {invocation_id}", async () => {
    const metadata = {
      ...STATUS_METADATA,
      "http.url": "https://engine.test/api/{invocation_id}/run",
      "http.poll_url_template": "/api/runs/{run_id}?for={invocation_id}",
      "http.poll_run_id_path": "id",
    };
    const { io, stdout } = fakeIo();
    expect(await validateInvocationFile(await invocationFile(metadata, "job 7"), io)).toBe(0);
    expect(stdout()).toContain("  kickoff   POST https://engine.test/api/job%207/run; never sent twice\n");
    expect(stdout()).toContain("  status    GET https://engine.test/api/runs/{run_id}?for=job%207\n");
  });

  it("names an invocation id that a header using {invocation_id} cannot carry, and exits 2", async () => {
    const metadata = { ...STATUS_METADATA, "http.headers": '{"X-Run": "{invocation_id}"}' };
    const { io, stderr } = fakeIo();
    expect(await validateInvocationFile(await invocationFile(metadata, "job\n7"), io)).toBe(2);
    expect(stderr()).toContain(
      "invocation_id: contains CR, LF or NUL, which may not go in the header 'x-run' (its value in http.headers uses {invocation_id})\n",
    );
  });

  it("gives one line for a file that is not JSON", async () => {
    const path = await writeJson(await makeTempDir(), "bad.json", "{ nope");
    const { io, stderr } = fakeIo();
    expect(await validateInvocationFile(path, io)).toBe(2);
    expect(stderr()).toMatch(/^executor-runtime: \S+ is not valid JSON: [^\n]+\n$/);
  });
});

describe(checkInvocation.name, () => {
  it("names a kind the command cannot run", () => {
    expect(checkInvocation({ invocation_id: "a", runtime_name: "b", runtime_kind: "container" })).toEqual({
      ok: false,
      issues: [{ path: "runtime_kind", message: 'is "container", which executor-runtime cannot run (it runs http, http_async, subprocess)' }],
    });
  });

  it("checks http metadata", () => {
    expect(checkInvocation({ invocation_id: "a", runtime_name: "b", runtime_kind: "http", metadata: {} })).toEqual({
      ok: false,
      issues: [{ path: 'metadata["http.url"]', message: "is required" }],
    });
  });

  it("wants a command and a working directory for a subprocess invocation", () => {
    expect(checkInvocation({ invocation_id: "a", runtime_name: "b", runtime_kind: "subprocess" })).toMatchObject({
      ok: false,
      issues: [{ path: "command" }, { path: "working_directory" }],
    });
  });

  it("names the value itself when it is not an object", () => {
    expect(checkInvocation([])).toEqual({ ok: false, issues: [{ path: "", message: "an invocation must be a JSON object, got an array" }] });
  });
});
