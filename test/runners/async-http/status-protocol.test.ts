import { describe, expect, test } from "vitest";
import type { AsyncHttpConfig } from "../../../src/http/metadata/config.js";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";
import { Answer } from "../../../src/runners/async-http/answer.js";
import { classifyStatusKickoff, classifyStatusPoll } from "../../../src/runners/async-http/status-protocol.js";

function configOf(metadata: Record<string, string>): AsyncHttpConfig {
  const parsed = parseAsyncHttpMetadata({ "http.url": "https://api.test/runs", ...metadata });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

const config = configOf({
  "http.poll_status_path": "run.status",
  "http.poll_terminal_states": "completed,failed,cancelled,stopped",
  "http.poll_cancelled_states": "cancelled,stopped",
  "http.poll_pending_codes": "404,409",
});

/** An answer with `code` and `body` (an object is sent as JSON). */
function answer(code: number, body: unknown = ""): Answer {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return new Answer({ status: code, url: new URL("https://api.test/runs/1"), body: text, header: () => undefined });
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
  test.each([
    // A 2xx with a terminal status is the final answer.
    [200, { run: { status: "completed" } }, { kind: "terminal", status: "completed", outcome: "succeeded" }],
    [201, { run: { status: "failed" } }, { kind: "terminal", status: "failed", outcome: "failed" }],
    [202, { run: { status: "completed" } }, { kind: "terminal", status: "completed", outcome: "succeeded" }],
    // Any other 2xx is an acknowledgement: polling follows.
    [200, { accepted: true, run: { status: "started" } }, { kind: "accepted", status: "started" }],
    [202, { id: "1" }, { kind: "accepted", status: undefined }],
    [200, "queued", { kind: "accepted", status: undefined }],
    [204, "", { kind: "accepted", status: undefined }],
    // Pending codes apply to polls only; 5xx and 429 are transient, anything else permanent.
    [404, "", { kind: "permanent" }],
    [503, "", { kind: "transient" }],
    [429, "", { kind: "transient" }],
    [400, { run: { status: "completed" } }, { kind: "permanent" }],
  ])("reads kickoff answer %i %j as %j", (code, body, verdict) => {
    expect(classifyStatusKickoff(config, answer(code, body))).toEqual(verdict);
  });
});
