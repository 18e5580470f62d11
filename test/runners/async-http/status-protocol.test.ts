import { describe, expect, test } from "vitest";
import type { StatusSettings } from "../../../src/runners/async-http/status-protocol.js";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";
import { Answer } from "../../../src/runners/async-http/answer.js";
import { classifyStatusKickoff, classifyStatusPoll } from "../../../src/runners/async-http/status-protocol.js";

function configOf(metadata: Record<string, string>): StatusSettings {
  const parsed = parseAsyncHttpMetadata({ "http.url": "https://api.test/runs", ...metadata });
  if (!parsed.ok || parsed.config.pollProtocol !== "status") throw new Error(JSON.stringify(parsed));
  return parsed.config;
}

const config = configOf({
  "http.poll_status_path": "run.status",
  "http.poll_terminal_states": "completed,failed,cancelled,stopped",
  "http.poll_cancelled_states": "cancelled,stopped",
  "http.poll_pending_codes": "404,409",
});

/** An answer with `code`, `body` (an object is sent as JSON) and `headers` (lower-case names). */
function answer(code: number, body: unknown = "", headers: Record<string, string> = {}): Answer {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return new Answer({ status: code, url: "https://api.test/runs", body: text, header: (name) => headers[name] });
}

describe(classifyStatusPoll.name, () => {
  test.each([
    // The terminal states end the run: success, a cancellation by the backend, or failure.
    [200, { run: { status: "completed" } }, { kind: "terminal", status: "completed", outcome: "succeeded" }],
    [200, { run: { status: "failed" } }, { kind: "terminal", status: "failed", outcome: "failed" }],
    [200, { run: { status: "stopped" } }, { kind: "terminal", status: "stopped", outcome: "cancelled" }],
    [201, { run: { status: "cancelled" } }, { kind: "terminal", status: "cancelled", outcome: "cancelled" }],
    // Any other status is progress: poll again.
    [200, { run: { status: "running" } }, { kind: "progress", status: "running" }],
    [200, { run: { status: 3 } }, { kind: "progress", status: "3" }],
    // A pending code means the backend does not know the run yet, whatever the body says.
    [404, { run: { status: "completed" } }, { kind: "pending" }],
    [409, "", { kind: "pending" }],
    // 5xx and 429 are transient (retried within http.poll_max_consecutive_errors); other codes end the run.
    [500, "", { kind: "transient" }],
    [503, "", { kind: "transient" }],
    [429, "", { kind: "transient" }],
    [400, "", { kind: "permanent" }],
    [401, "", { kind: "permanent" }],
    [403, { run: { status: "completed" } }, { kind: "permanent" }],
    [302, "", { kind: "permanent" }],
    // A 2xx whose status cannot be read ends the run, naming the path.
    [200, "<html>", { kind: "malformed", problem: "is not JSON, so it has no status at 'run.status' (http.poll_status_path)" }],
    [200, { run: {} }, { kind: "malformed", problem: "has no status at 'run.status' (http.poll_status_path)" }],
    [200, { run: { status: null } }, { kind: "malformed", problem: "has no status at 'run.status' (http.poll_status_path)" }],
    [200, { run: { status: { phase: "x" } } }, { kind: "malformed", problem: "has an object at 'run.status' (http.poll_status_path), not a status string" }],
    [204, "", { kind: "malformed", problem: "is not JSON, so it has no status at 'run.status' (http.poll_status_path)" }],
  ])("reads poll answer %i %j as %j", (code, body, verdict) => {
    expect(classifyStatusPoll(config, answer(code, body))).toEqual(verdict);
  });
});

describe(classifyStatusKickoff.name, () => {
  const templated = configOf({
    "http.poll_status_path": "run.status",
    "http.poll_terminal_states": "Completed,failed",
    "http.poll_url_template": "/runs/{run_id}",
    "http.poll_run_id_path": "id",
  });
  const monitor = (path: string) => ({ url: `https://api.test${path}`, mode: undefined });

  test.each([
    // A 200 or 201 with a terminal status (in any case) is the final answer.
    [200, { run: { status: "completed" } }, { kind: "terminal", status: "completed", outcome: "succeeded" }],
    [201, { run: { status: "FAILED" } }, { kind: "terminal", status: "FAILED", outcome: "failed" }],
    // A 202 is always an acknowledgement, even with a terminal status; so is any other 2xx.
    [202, { run: { status: "completed" } }, { kind: "accepted", status: "completed", monitor: monitor("/runs/7") }],
    [200, { accepted: true, run: { status: "started" } }, { kind: "accepted", status: "started", monitor: monitor("/runs/7") }],
    [200, "queued", { kind: "accepted", status: undefined, monitor: monitor("/runs/7") }],
    [204, "", { kind: "accepted", status: undefined, monitor: monitor("/runs/7") }],
    // Pending codes apply to polls only; 5xx and 429 are transient, anything else permanent.
    [404, "", { kind: "permanent" }],
    [503, "", { kind: "transient" }],
    [429, "", { kind: "transient" }],
    [400, { run: { status: "completed" } }, { kind: "permanent" }],
  ])("reads kickoff answer %i %j as %j", (code, body, verdict) => {
    expect(classifyStatusKickoff(templated, answer(code, body), "7")).toEqual(verdict);
  });

  test("fails an acknowledgement without the run id its template needs, asking for the body to be shown", () => {
    expect(classifyStatusKickoff(templated, answer(202, {}), undefined)).toEqual({
      kind: "malformed",
      problem: "kickoff response has no run id at 'id' (http.poll_run_id_path), which http.poll_url_template needs",
      showBody: true,
    });
  });

  test.each([
    [{ "operation-location": "/ops/1", location: "/runs/1" }, "/ops/1"],
    [{ location: "runs/1" }, "/runs/1"],
  ])("polls the acknowledgement's header %j without a template", (headers, path) => {
    expect(classifyStatusKickoff(config, answer(202, "", headers), undefined)).toEqual({
      kind: "accepted",
      status: undefined,
      monitor: monitor(path),
    });
  });

  test("fails an acknowledgement with no template and no status URL header, or one that is not http(s)", () => {
    expect(classifyStatusKickoff(config, answer(202), undefined)).toMatchObject({ kind: "malformed", problem: expect.stringMatching(/set http.poll_url_template$/) });
    expect(classifyStatusKickoff(config, answer(202, "", { location: "ftp://x/1" }), undefined)).toEqual({
      kind: "malformed",
      problem: "kickoff answered with a status URL that is not http(s): ftp://x/1",
    });
  });
});
