import { describe, expect, test } from "vitest";
import { formatPath } from "../../../src/contracts/issues.js";
import type { AsyncHttpCommonConfig, StatusProtocolConfig } from "../../../src/http/metadata/config.js";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";

const REQUIRED: Readonly<Record<string, string>> = {
  "http.url": "https://api.test/runs",
  "http.poll_status_path": "status",
  "http.poll_terminal_states": "completed,failed,cancelled",
};

/** The issue path of a metadata key. */
const at = (key: string) => formatPath(["metadata", key]);

function issuesOf(metadata: Record<string, string>) {
  const parsed = parseAsyncHttpMetadata(metadata);
  return parsed.ok ? [] : parsed.issues;
}

function configOf(metadata: Record<string, string>): AsyncHttpCommonConfig & StatusProtocolConfig {
  const parsed = parseAsyncHttpMetadata(metadata);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  if (parsed.config.pollProtocol !== "status") throw new Error("expected protocol status");
  return parsed.config;
}

describe(parseAsyncHttpMetadata.name, () => {
  test("fills every default when only the required keys are set", () => {
    const { url, ...config } = configOf(REQUIRED);
    expect(url.href).toBe("https://api.test/runs");
    expect(config).toEqual({
      method: "POST",
      body: undefined,
      bodyFormat: "json",
      headers: {},
      urlTemplate: undefined,
      usesInvocationId: false,
      idempotencyKeyHeader: undefined,
      kickoffMaxRetries: 0,
      pollProtocol: "status",
      pollUrlTemplate: undefined,
      pollRunIdPath: undefined,
      pollStatusPath: { text: "status", segments: ["status"], each: false },
      pollTerminalStates: new Set(["completed", "failed", "cancelled"]),
      pollSuccessStates: new Set(["completed"]),
      pollCancelledStates: new Set(["cancelled"]),
      pollTimedOutStates: new Set(),
      pollInitialDelaySeconds: 0,
      pollIntervalSeconds: 2,
      pollBackoff: 1,
      pollMaxIntervalSeconds: undefined,
      pollPendingCodes: new Set(),
      pollMaxConsecutiveErrors: 0,
      cancelUrlTemplate: undefined,
      cancelMethod: "POST",
      cancelOnFailure: false,
      resultPath: undefined,
      errorPath: undefined,
      exitCodePath: undefined,
      exitCodeFormat: "plain",
      runOwnerPath: undefined,
      runOwnerValue: "{invocation_id}",
    });
  });

  test("reports every missing required key in one result", () => {
    expect(parseAsyncHttpMetadata({})).toEqual({
      ok: false,
      issues: [
        { path: at("http.url"), message: "is required" },
        { path: at("http.poll_status_path"), message: "is required" },
        { path: at("http.poll_terminal_states"), message: "is required" },
      ],
    });
  });

  test("reports problems of different keys together", () => {
    const issues = issuesOf({ ...REQUIRED, "http.poll_backoff": "0", "http.method": "no way", "http.poll_intervall": "1" });
    expect(issues.map((issue) => issue.path)).toEqual([at("http.method"), at("http.poll_backoff"), at("http.poll_intervall")]);
  });

  test("rejects pending codes that are not integers, quoting the list", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_pending_codes": "404,abc" })).toEqual([
      { path: at("http.poll_pending_codes"), message: "must be a comma-separated list of HTTP status codes (100-599), got '404,abc'" },
    ]);
  });

  test("rejects a pending code outside 100-599", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_pending_codes": "404, 600" })).toEqual([
      { path: at("http.poll_pending_codes"), message: "must be a comma-separated list of HTTP status codes (100-599), got '404, 600'" },
    ]);
  });

  test("reads pending codes trimmed, dropping empty items", () => {
    expect(configOf({ ...REQUIRED, "http.poll_pending_codes": " 404, ,409," }).pollPendingCodes).toEqual(new Set([404, 409]));
  });

  test.each([
    ["http.poll_interval_seconds", "fast", "must be a number of seconds, got 'fast'"],
    ["http.poll_interval_seconds", "", "must be a number of seconds, got ''"],
    ["http.poll_interval_seconds", " ", "must be a number of seconds, got ' '"],
    ["http.poll_interval_seconds", "NaN", "must be a number of seconds, got 'NaN'"],
    ["http.poll_interval_seconds", "Infinity", "must be a number of seconds, got 'Infinity'"],
    ["http.poll_interval_seconds", "1e999", "must be a number of seconds, got '1e999'"],
    ["http.poll_interval_seconds", "-1", "must be 0 or more, got '-1'"],
    ["http.poll_backoff", "", "must be a number, got ''"],
    ["http.poll_backoff", "Infinity", "must be a number, got 'Infinity'"],
    ["http.poll_backoff", "0.5", "must be at least 1, got '0.5'"],
    ["http.poll_max_interval_seconds", "NaN", "must be a number of seconds, got 'NaN'"],
    ["http.poll_max_interval_seconds", "0", "must be greater than 0, got '0'"],
    ["http.poll_max_interval_seconds", "-1", "must be greater than 0, got '-1'"],
    ["http.poll_max_consecutive_errors", "1.5", "must be a whole number, got '1.5'"],
    ["http.poll_max_consecutive_errors", " ", "must be a whole number, got ' '"],
    ["http.poll_max_consecutive_errors", "-1", "must be 0 or more, got '-1'"],
  ])("rejects %s = '%s' instead of using the default", (key, value, message) => {
    expect(issuesOf({ ...REQUIRED, [key]: value })).toEqual([{ path: at(key), message }]);
  });

  test("reads decimal seconds", () => {
    const config = configOf({ ...REQUIRED, "http.poll_interval_seconds": "0.5", "http.poll_max_interval_seconds": "1.1" });
    expect([config.pollIntervalSeconds, config.pollMaxIntervalSeconds]).toEqual([0.5, 1.1]);
  });

  test("rejects a maximum interval below the interval", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_interval_seconds": "5", "http.poll_max_interval_seconds": "2" })).toEqual([
      { path: at("http.poll_max_interval_seconds"), message: "must be at least http.poll_interval_seconds (5), got '2'" },
    ]);
  });

  test("rejects a terminal state list with no states", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_terminal_states": " , " })).toEqual([
      { path: at("http.poll_terminal_states"), message: "must be a comma-separated list of states such as completed,failed, got ' , '" },
    ]);
  });

  test("rejects success states that are not terminal states", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_success_states": "completed,done" })).toEqual([
      { path: at("http.poll_success_states"), message: "must list only states of http.poll_terminal_states, got 'done'" },
    ]);
  });

  test("asks for success states when completed is not a terminal state", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_terminal_states": "done,error" })).toEqual([
      {
        path: at("http.poll_success_states"),
        message:
          "is required because http.poll_terminal_states does not include 'completed' (the default); set it to the terminal states that mean success",
      },
    ]);
  });

  test("keeps only the terminal ones of the default cancelled states", () => {
    const config = configOf({ ...REQUIRED, "http.poll_terminal_states": "completed,canceled,aborted" });
    expect(config.pollCancelledStates).toEqual(new Set(["canceled"]));
  });

  test("leaves success states out of the default cancelled states", () => {
    const metadata = { ...REQUIRED, "http.poll_terminal_states": "cancelled,failed", "http.poll_success_states": "cancelled" };
    expect(configOf(metadata).pollCancelledStates).toEqual(new Set());
  });

  test("rejects cancelled states that are not terminal states", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_cancelled_states": "cancelled,stopped" })).toEqual([
      { path: at("http.poll_cancelled_states"), message: "must list only states of http.poll_terminal_states, got 'stopped'" },
    ]);
  });

  test("rejects cancelled states that are also success states", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_cancelled_states": "cancelled,completed" })).toEqual([
      { path: at("http.poll_cancelled_states"), message: "must not share states with http.poll_success_states, got 'completed'" },
    ]);
  });

  test("rejects a {run_id} template without a run id path", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_url_template": "/runs/{run_id}", "http.cancel_url_template": "/runs/{run_id}/cancel" })).toEqual([
      {
        path: at("http.poll_run_id_path"),
        message: "is required when http.poll_url_template and http.cancel_url_template use {run_id}",
      },
    ]);
  });

  test("accepts a relative template and keeps it as written", () => {
    const config = configOf({ ...REQUIRED, "http.poll_url_template": "status/{run_id}?full=1", "http.poll_run_id_path": "run.id" });
    expect(config.pollUrlTemplate).toBe("status/{run_id}?full=1");
    expect(config.pollRunIdPath).toEqual({ text: "run.id", segments: ["run", "id"], each: false });
  });

  test("rejects a template that resolves to a URL other than http or https", () => {
    expect(issuesOf({ ...REQUIRED, "http.cancel_url_template": "ftp://files.test/cancel" })).toEqual([
      { path: at("http.cancel_url_template"), message: "must resolve to an http: or https: URL, got 'ftp:'" },
    ]);
  });

  test("rejects a template with credentials in it", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_url_template": "https://me:secret@api.test/runs/1" })).toEqual([
      {
        path: at("http.poll_url_template"),
        message: "must resolve to a URL without credentials (user:pass@); put them in http.headers",
      },
    ]);
  });

  test("rejects a placeholder other than {run_id}, {lookup} and {invocation_id}", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_url_template": "/runs/{runId}" })).toEqual([
      { path: at("http.poll_url_template"), message: "may only use the placeholders {run_id}, {lookup} and {invocation_id}, got '{runId}'" },
    ]);
  });

  test("accepts {invocation_id} in every template and in the run lookup URL, keeping them as written", () => {
    const config = configOf({
      ...REQUIRED,
      "http.poll_url_template": "/runs/{lookup}?for={invocation_id}",
      "http.cancel_url_template": "/runs/{invocation_id}/cancel",
      "http.run_lookup_url": "/conversations/{invocation_id}/messages",
      "http.run_lookup_path": "*.id",
    });
    expect([config.pollUrlTemplate, config.cancelUrlTemplate, config.runLookupUrlTemplate]).toEqual([
      "/runs/{lookup}?for={invocation_id}",
      "/runs/{invocation_id}/cancel",
      "/conversations/{invocation_id}/messages",
    ]);
    expect(config.usesInvocationId).toBe(true);
  });

  test("resolves templates against http.url with its {invocation_id} filled", () => {
    const config = configOf({ ...REQUIRED, "http.url": "http://host/api/{invocation_id}/run", "http.poll_url_template": "status/{run_id}", "http.poll_run_id_path": "id" });
    expect(config.pollUrlTemplate).toBe("status/{run_id}");
  });

  test("keeps a relative lookup URL to resolve against each run's http.url when that uses {invocation_id}", () => {
    const metadata = { ...REQUIRED, "http.run_lookup_url": "messages", "http.run_lookup_path": "*.id", "http.poll_url_template": "/runs/{lookup}" };
    expect(configOf({ ...metadata, "http.url": "http://host/u/{invocation_id}/run" }).runLookupUrlTemplate).toBe("messages");
    expect(configOf(metadata)).toMatchObject({ runLookupUrlTemplate: undefined, usesInvocationId: false });
  });

  test("rejects {invocation_id} in a template's host", () => {
    expect(issuesOf({ ...REQUIRED, "http.cancel_url_template": "https://{invocation_id}.api.test/cancel" })).toEqual([
      {
        path: at("http.cancel_url_template"),
        message: "must use {invocation_id} only in its path, query or fragment: the invocation id must not choose the host a request and its headers go to",
      },
    ]);
  });

  test("wants a run lookup's URL, path and {lookup} template together", () => {
    expect(issuesOf({ ...REQUIRED, "http.run_lookup_url": "/messages" })).toEqual([
      { path: at("http.run_lookup_path"), message: "is required with http.run_lookup_url: the dotted path of the run's key in the lookup's answer" },
      { path: at("http.poll_url_template"), message: "must use {lookup} when http.run_lookup_url is set: the run the lookup finds is polled there" },
    ]);
    expect(issuesOf({ ...REQUIRED, "http.poll_url_template": "/runs/{lookup}" })).toEqual([
      { path: at("http.run_lookup_url"), message: "is required when http.poll_url_template uses {lookup}" },
    ]);
    expect(issuesOf({ ...REQUIRED, "http.run_lookup_url": "/runs/{run_id}", "http.run_lookup_path": "id", "http.poll_url_template": "/x/{lookup}" })).toEqual([
      {
        path: at("http.run_lookup_url"),
        message: "may only use the placeholder {invocation_id} (it is read before the kickoff, when only the invocation is known), got '{run_id}'",
      },
    ]);
  });

  test("reads a run lookup, resolving its URL against http.url", () => {
    const config = configOf({ ...REQUIRED, "http.run_lookup_url": "/api/messages?token=1", "http.run_lookup_path": "*.id", "http.poll_url_template": "/runs/{lookup}" });
    expect([config.runLookupUrl?.href, config.runLookupPath?.text]).toEqual(["https://api.test/api/messages?token=1", "*.id"]);
  });

  test("with an outcome path, wants the success outcomes and takes them and the cancelled ones as outcome words", () => {
    const metadata = { ...REQUIRED, "http.poll_terminal_states": "completed", "http.poll_outcome_path": "conclusion" };
    expect(issuesOf(metadata)).toEqual([
      {
        path: at("http.poll_success_states"),
        message: "is required with http.poll_outcome_path: set it to the outcomes that mean success (and the states that do when a run has no outcome)",
      },
    ]);
    const config = configOf({ ...metadata, "http.poll_success_states": "success" });
    expect([config.pollSuccessStates, config.pollCancelledStates]).toEqual([new Set(["success"]), new Set(["cancelled", "canceled"])]);
  });

  test("rejects a dotted path with an empty segment", () => {
    expect(issuesOf({ ...REQUIRED, "http.result_path": "run..output" })).toEqual([
      { path: at("http.result_path"), message: "must be a dotted path such as run.status, got 'run..output' (it has an empty segment)" },
    ]);
  });

  test("reads a bracketed index in a dotted path as a segment, keeping the path as written", () => {
    const config = configOf({ ...REQUIRED, "http.poll_status_path": "jobs[0].job_state" });
    expect(config.pollStatusPath).toEqual({ text: "jobs[0].job_state", segments: ["jobs", "0", "job_state"], each: false });
  });

  test("accepts a status path that takes each element of an array, for an array job's tasks", () => {
    expect(configOf({ ...REQUIRED, "http.poll_status_path": "jobs[*].job_state" }).pollStatusPath.each).toBe(true);
  });

  test("rejects a dotted path with a malformed bracket, saying what is wrong", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_status_path": "jobs[first].job_state" })).toEqual([
      {
        path: at("http.poll_status_path"),
        message: "must be a dotted path such as run.status, got 'jobs[first].job_state' (a bracket holds an array index or *, such as [0] or [*], not '[first]')",
      },
    ]);
  });

  test("lower-cases the idempotency key header and upper-cases the cancel method", () => {
    const config = configOf({ ...REQUIRED, "http.idempotency_key_header": "Idempotency-Key", "http.cancel_method": "delete" });
    expect([config.idempotencyKeyHeader, config.cancelMethod]).toEqual(["idempotency-key", "DELETE"]);
  });

  test("reads the ownership check: the path, and the value as written", () => {
    const config = configOf({ ...REQUIRED, "http.run_owner_path": "run.user_message", "http.run_owner_value": "build {invocation_id}" });
    expect([config.runOwnerPath?.text, config.runOwnerValue]).toEqual(["run.user_message", "build {invocation_id}"]);
  });

  test("checks ownership against the invocation id when no owner value is given", () => {
    expect(configOf({ ...REQUIRED, "http.run_owner_path": "run.user_message" }).runOwnerValue).toBe("{invocation_id}");
  });

  test.each(["", "  "])("rejects the blank owner value '%s', which every answer would contain", (value) => {
    expect(issuesOf({ ...REQUIRED, "http.run_owner_path": "run.user_message", "http.run_owner_value": value })).toEqual([
      { path: at("http.run_owner_value"), message: `must be a non-empty text such as {invocation_id}, got '${value}'` },
    ]);
  });

  test("rejects a placeholder other than {invocation_id} in the owner value, such as a misspelt one", () => {
    expect(issuesOf({ ...REQUIRED, "http.run_owner_path": "title", "http.run_owner_value": "job {invocationId}" })).toEqual([
      { path: at("http.run_owner_value"), message: "may only use the placeholder {invocation_id}, got '{invocationId}'" },
    ]);
  });

  test("accepts braces that are not a placeholder in the owner value", () => {
    expect(configOf({ ...REQUIRED, "http.run_owner_path": "title", "http.run_owner_value": '{"job": "{invocation_id}"}' }).runOwnerValue).toBe(
      '{"job": "{invocation_id}"}',
    );
  });

  test("rejects an owner value without an owner path, naming both keys", () => {
    expect(issuesOf({ ...REQUIRED, "http.run_owner_value": "{invocation_id}" })).toEqual([
      {
        path: at("http.run_owner_value"),
        message: "is only read with http.run_owner_path: set http.run_owner_path to the dotted path of the value that must contain it",
      },
    ]);
  });

  test.each([
    ["true", true],
    ["false", false],
  ])("reads http.cancel_on_failure = '%s'", (value, expected) => {
    expect(configOf({ ...REQUIRED, "http.cancel_url_template": "/runs/cancel", "http.cancel_on_failure": value }).cancelOnFailure).toBe(expected);
  });

  test.each(["yes", "TRUE", "1", ""])("rejects http.cancel_on_failure = '%s'", (value) => {
    expect(issuesOf({ ...REQUIRED, "http.cancel_url_template": "/runs/cancel", "http.cancel_on_failure": value })).toEqual([
      { path: at("http.cancel_on_failure"), message: `must be 'true' or 'false', got '${value}'` },
    ]);
  });

  test("rejects cancelling on failure without a cancel URL, naming both keys", () => {
    expect(issuesOf({ ...REQUIRED, "http.cancel_on_failure": "true" })).toEqual([
      { path: at("http.cancel_on_failure"), message: "is true, but there is no cancel request to send: set http.cancel_url_template" },
    ]);
    expect(configOf({ ...REQUIRED, "http.cancel_on_failure": "false" }).cancelOnFailure).toBe(false);
  });

  test("accepts the ownership check and cancelling on failure with protocol lro", () => {
    const parsed = parseAsyncHttpMetadata({
      "http.url": "https://api.test/runs",
      "http.poll_protocol": "lro",
      "http.run_owner_path": "properties.tags.owner",
      "http.run_owner_value": "{invocation_id}",
      "http.cancel_url_template": "/runs/cancel",
      "http.cancel_on_failure": "true",
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(parsed.config).toMatchObject({ pollProtocol: "lro", runOwnerPath: { text: "properties.tags.owner" }, runOwnerValue: "{invocation_id}", cancelOnFailure: true });
  });

  test("rejects an unknown http key, suggesting the closest known key", () => {
    expect(issuesOf({ ...REQUIRED, "http.poll_interval": "5" })).toEqual([
      { path: at("http.poll_interval"), message: "is not a known key (did you mean 'http.poll_interval_seconds'?)" },
    ]);
  });

  test("rejects a key of the http namespace written in another case", () => {
    expect(issuesOf({ ...REQUIRED, "HTTP.Method": "GET" })).toEqual([
      { path: at("HTTP.Method"), message: "is not a known key (did you mean 'http.method'?)" },
    ]);
  });

  test("reports metadata that is not an object instead of throwing", () => {
    expect(issuesOf(null as unknown as Record<string, string>)).toEqual([{ path: "metadata", message: "must be an object, got null" }]);
  });

  test("ignores keys outside the http namespace", () => {
    expect(parseAsyncHttpMetadata({ ...REQUIRED, "team.owner": "search", httpish: "x", "https.url": "y" }).ok).toBe(true);
  });
});
