import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { RuntimeInvocationSchema } from "../../src/contracts/invocation.js";
import { createRedactor } from "../../src/http/redact.js";
import type { Failure } from "../../src/runners/failure.js";
import { Echoes } from "../../src/runners/echoes.js";
import { RunReport } from "../../src/runners/run-report.js";
import type { RunEvent, RunOptions } from "../../src/runners/runner.js";
import { makeTempDir } from "../support/temp-dir.js";

const API = "https://api.test";
const STARTED_AT = Date.UTC(2026, 0, 1, 12);
const SECRET = "s3cr3t-token-42";

/** A report of an http_async invocation (its fields laid over a minimal one) whose header value is SECRET. */
function reportOf(fields: Record<string, unknown> = {}, options: RunOptions = {}, now = () => STARTED_AT + 1500): RunReport {
  const invocation = RuntimeInvocationSchema.parse({ invocation_id: "inv-1", runtime_name: "backend", runtime_kind: "http_async", ...fields });
  return new RunReport(invocation, options, { redact: createRedactor([`Bearer ${SECRET}`]), now, startedAtMs: STARTED_AT, echoes: new Echoes() });
}

const refused: Failure = {
  kind: "refused",
  request: { phase: "poll", method: "GET", url: new URL(`${API}/runs/1`).href, attempt: 1 },
  code: 403,
  body: `token ${SECRET} is not allowed`,
};

describe(RunReport.name, () => {
  test("finishes a run that succeeded with its identity, times and exit code", async () => {
    const result = await reportOf().finish({ exitCode: 0 }, STARTED_AT + 2000);
    expect(result).toMatchObject({
      invocation_id: "inv-1",
      runtime_name: "backend",
      runtime_kind: "http_async",
      status: "succeeded",
      exit_code: 0,
      error_summary: null,
      started_at: "2026-01-01T12:00:00.000Z",
      finished_at: "2026-01-01T12:00:02.000Z",
      metadata: {},
    });
  });

  test("finishes a run that failed with the sentence of its failure, redacted", async () => {
    const result = await reportOf().finish({ failure: refused }, STARTED_AT);
    expect(result).toMatchObject({ status: "failed", exit_code: null, error_summary: `poll 1 of ${API}/runs/1 answered HTTP 403: token [REDACTED] is not allowed` });
  });

  test("redacts every metadata value: header values, URL userinfo and secret query values", async () => {
    const report = reportOf();
    report.metadata["http.error"] = `"bad token ${SECRET}"`;
    report.metadata["http.poll_url"] = `https://user:pw@api.test/runs/1?token=abc&page=2`;
    const result = await report.finish({ exitCode: 0 }, STARTED_AT);
    expect(result.metadata).toEqual({
      "http.error": '"bad token [REDACTED]"',
      "http.poll_url": "https://[REDACTED]@api.test/runs/1?token=[REDACTED]&page=2",
    });
  });

  test("tells what became of the backend's job it is given: http.backend_job, and what a failure left behind", async () => {
    const finished = await reportOf().finish({ exitCode: 0 }, STARTED_AT, { state: "finished" });
    expect(finished.metadata["http.backend_job"]).toBe("finished");
    const left = await reportOf().finish({ failure: refused }, STARTED_AT, { state: "may_still_run", runId: "r-9" });
    expect(left.metadata["http.backend_job"]).toBe("may_still_run");
    expect(left.error_summary).toMatch(/; the backend job may still be running \(.*r-9.*\); no cancel request was sent$/);
    const untold = await reportOf().finish({ exitCode: 0 }, STARTED_AT);
    expect(untold.metadata).not.toHaveProperty("http.backend_job");
  });

  test("writes the HTTP status of the latest answer as http.status_code", async () => {
    const report = reportOf();
    report.answered(202);
    report.answered(200);
    const result = await report.finish({ exitCode: 0 }, STARTED_AT);
    expect(result.metadata["http.status_code"]).toBe("200");
  });

  test("writes no http.status_code for a run that got no answer", async () => {
    const result = await reportOf().finish({ failure: { kind: "kickoff_not_sent", error: "no" } }, STARTED_AT);
    expect(result.metadata).not.toHaveProperty("http.status_code");
  });

  test("writes the ending's result as http.result, redacted", async () => {
    const result = await reportOf().finish({ exitCode: 0, result: `{"key":"${SECRET}","n":1}` }, STARTED_AT);
    expect(result.metadata["http.result"]).toBe('{"key":"[REDACTED]","n":1}');
  });

  test.each([
    ["a backend failure", { failure: { kind: "backend_ended", status: "failed", outcome: "failed" }, exitCode: 1 }, "failed", 1],
    ["a backend cancellation", { failure: { kind: "backend_ended", status: "cancelled", outcome: "cancelled" }, exitCode: null }, "cancelled", null],
    ["the job's own exit code", { exitCode: 3 }, "succeeded", 3],
    ["a failure without an exit code", { failure: refused }, "failed", null],
  ] as const)("gives %s its status and exit code", async (_, ending, status, exitCode) => {
    const result = await reportOf().finish(ending, STARTED_AT);
    expect(result).toMatchObject({ status, exit_code: exitCode });
  });

  test("names timeout_seconds in the summary of a run that timed out", async () => {
    const failure: Failure = { kind: "stopped", reason: "timed_out", doing: { phase: "poll", url: new URL(`${API}/runs/1`).href, polls: 3, lastStatus: "running" } };
    const result = await reportOf({ timeout_seconds: 10 }).finish({ failure }, STARTED_AT);
    expect(result).toMatchObject({
      status: "timed_out",
      error_summary: `timed out after 10 s (timeout_seconds) while polling ${API}/runs/1 (3 polls, last status 'running')`,
    });
  });

  test("names the deadline it was given when the invocation has no timeout_seconds", () => {
    const report = reportOf();
    expect(report.timeout(Date.UTC(2026, 0, 1, 13))).toBe("the deadline 2026-01-01T13:00:00.000Z");
    expect(report.timeout(undefined)).toBe("the deadline");
  });

  test("saves the response body as response.json in artifact_directory and lists it", async () => {
    const directory = await makeTempDir();
    const result = await reportOf({ artifact_directory: directory }).finish({ exitCode: 0, responseBody: '{"status":"completed"}' }, STARTED_AT);
    expect(result.artifacts).toMatchObject([{ artifact_id: "inv-1/response.json", path: join(directory, "response.json"), kind: "http_response" }]);
    expect(await readFile(join(directory, "response.json"), "utf8")).toBe('{"status":"completed"}');
  });

  test("finishes at once, with no promise, when there is no artifact to write", () => {
    const result = reportOf({ artifact_directory: "/nowhere" }).finish({ exitCode: 0 }, STARTED_AT);
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toMatchObject({ status: "succeeded", artifacts: [] });
  });

  test("says why response.json was not written, and lists no artifact", async () => {
    // A file where the directory should be.
    const directory = join(await makeTempDir(), "a-file");
    await writeFile(directory, "");
    const result = await reportOf({ artifact_directory: directory }).finish({ exitCode: 0, responseBody: "{}" }, STARTED_AT);
    expect(result.artifacts).toEqual([]);
    expect(result.metadata["http.artifact_error"]).toMatch(/^response\.json not written: /);
  });

  test("has no emit without a listener, so no event is built", () => {
    expect(reportOf().emit).toBeUndefined();
  });

  test("sends events to the listener, stamped with the time since the run started", () => {
    const events: RunEvent[] = [];
    const report = reportOf({}, { onEvent: (event) => events.push(event) });
    report.emit?.({ type: "kickoff", httpStatus: 202 });
    expect(events).toEqual([{ type: "kickoff", httpStatus: 202, elapsedMs: 1500 }]);
  });

  test("gives a run whose ending broke a failed result, its message redacted", () => {
    const result = reportOf().crashed(new Error(`clock broke near ${SECRET}`));
    expect(result).toMatchObject({ status: "failed", error_summary: "runner error: clock broke near [REDACTED]" });
  });
});
