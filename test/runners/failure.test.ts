import { describe, expect, test } from "vitest";
import { previewBody } from "../../src/http/redact.js";
import { describeFailure, failureStatus, requestName, type Failure, type FailureText, type RequestRef } from "../../src/runners/failure.js";

const API = "https://api.test";
const MESSAGES = `${API}/messages`;

/** Previews as a run without secrets does; the run was allowed 5 s. */
const text: FailureText = { preview: (body) => previewBody(body, (value) => value), timeout: () => "5 s (timeout_seconds)" };

const kickoff: RequestRef = { phase: "kickoff", method: "POST", url: `${API}/runs`, attempt: 1 };
const poll: RequestRef = { phase: "poll", method: "GET", url: `${API}/runs/1`, attempt: 1 };
const lookup: RequestRef = { phase: "lookup", method: "GET", url: MESSAGES, attempt: 1 };
const final: RequestRef = { phase: "final", method: "GET", url: `${API}/things/1`, attempt: 1 };
const request: RequestRef = { phase: "request", method: "POST", url: `${API}/hooks/build`, attempt: 1 };

const NO_STATUS = "is not JSON, so it has no status at 'status' (http.poll_status_path)";
const NOTHING_TO_POLL = "kickoff answered HTTP 202 with no Operation-Location, Azure-AsyncOperation or Location header: nothing to poll";

const polling = { phase: "poll", url: `${API}/runs/1`, polls: 1, lastStatus: "running" } as const;

describe(describeFailure.name, () => {
  test.each<[string, Failure, string]>([
    // refused: a code the run cannot go on from
    ["a refused kickoff", { kind: "refused", request: kickoff, code: 500, body: "database is down" }, `kickoff POST ${API}/runs answered HTTP 500: database is down`],
    [
      "a refused kickoff that was sent again",
      { kind: "refused", request: { ...kickoff, method: "PUT", attempt: 3, retries: 2 }, code: 502, body: "down" },
      `kickoff PUT ${API}/runs (attempt 3; http.kickoff_max_retries is 2) answered HTTP 502: down`,
    ],
    ["a refused poll", { kind: "refused", request: poll, code: 403, body: "forbidden" }, `poll 1 of ${API}/runs/1 answered HTTP 403: forbidden`],
    ["a refused lookup", { kind: "refused", request: lookup, code: 403, body: "no" }, `lookup 1 of ${MESSAGES} answered HTTP 403: no`],
    ["a refused final read", { kind: "refused", request: final, code: 404, body: "gone" }, `final GET of ${API}/things/1 answered HTTP 404: gone`],
    ["a refused single request", { kind: "refused", request, code: 422, body: "missing branch" }, `POST ${API}/hooks/build answered HTTP 422: missing branch`],
    ["a refusal with an empty body", { kind: "refused", request: poll, code: 401, body: " " }, `poll 1 of ${API}/runs/1 answered HTTP 401: (empty body)`],
    // transport: no usable answer
    [
      "a kickoff that got no answer",
      { kind: "transport", request: kickoff, error: "connection reset (ECONNRESET)", mayHaveReached: true },
      `kickoff POST ${API}/runs failed: connection reset (ECONNRESET)`,
    ],
    [
      "a single request that got no answer",
      { kind: "transport", request, error: "connection refused (ECONNREFUSED)", mayHaveReached: false },
      `POST ${API}/hooks/build failed: connection refused (ECONNREFUSED)`,
    ],
    // errors: transient failures past http.poll_max_consecutive_errors
    [
      "one transient poll failure past a budget of 0",
      { kind: "errors", request: poll, times: 1, budget: 0, last: { code: 503, body: "try later" } },
      `poll of ${API}/runs/1 failed once (http.poll_max_consecutive_errors is 0); last error: HTTP 503: try later`,
    ],
    [
      "transient poll failures in a row past the budget",
      { kind: "errors", request: { ...poll, attempt: 3 }, times: 3, budget: 2, last: { code: 429, body: "slow down" } },
      `poll of ${API}/runs/1 failed 3 times in a row (http.poll_max_consecutive_errors is 2); last error: HTTP 429: slow down`,
    ],
    [
      "a poll that got no answer past the budget",
      { kind: "errors", request: poll, times: 1, budget: 0, last: { error: "connection reset (ECONNRESET)" } },
      `poll of ${API}/runs/1 failed once (http.poll_max_consecutive_errors is 0); last error: connection reset (ECONNRESET)`,
    ],
    [
      "lookups that failed past the budget",
      { kind: "errors", request: lookup, times: 2, budget: 1, last: { code: 500, body: "boom" } },
      `lookup of ${MESSAGES} failed 2 times in a row (http.poll_max_consecutive_errors is 1); last error: HTTP 500: boom`,
    ],
    [
      "final reads that failed past the budget",
      { kind: "errors", request: final, times: 4, budget: 3, last: { code: 503, body: "busy" } },
      `final GET of ${API}/things/1 failed 4 times in a row (http.poll_max_consecutive_errors is 3); last error: HTTP 503: busy`,
    ],
    // malformed_answer: an answer the protocol cannot read
    [
      "a poll answer without a readable status",
      { kind: "malformed_answer", request: poll, code: 200, problem: NO_STATUS, body: '{"status": running}' },
      `poll 1 response from ${API}/runs/1 is not JSON, so it has no status at 'status' (http.poll_status_path): {"status": running}`,
    ],
    [
      "a lookup answer that is not JSON",
      { kind: "malformed_answer", request: lookup, code: 200, problem: "is not JSON", body: "<html>" },
      `lookup 1 of ${MESSAGES} answered HTTP 200 with a body that is not JSON: <html>`,
    ],
    [
      "a kickoff answer that leaves nothing to poll, by its problem alone",
      { kind: "malformed_answer", request: kickoff, code: 202, problem: NOTHING_TO_POLL },
      NOTHING_TO_POLL,
    ],
    // backend_ended: a terminal state that is not success
    ["a failed terminal state", { kind: "backend_ended", status: "failed", outcome: "failed" }, "backend reported terminal status: failed"],
    ["a cancelled terminal state", { kind: "backend_ended", status: "cancelled", outcome: "cancelled" }, "backend reported terminal status: cancelled"],
    [
      "a failed terminal state with the backend's error",
      { kind: "backend_ended", status: "Failed", outcome: "failed", detail: "BadArgument: name is taken" },
      "backend reported terminal status: Failed (BadArgument: name is taken)",
    ],
    [
      "a failed terminal state with its http.result",
      { kind: "backend_ended", status: "failed", outcome: "failed", result: '{"error":"disk full"}' },
      'backend reported terminal status: failed (http.result {"error":"disk full"})',
    ],
    [
      "a failed terminal state with the backend's outcome and its http.result",
      { kind: "backend_ended", status: "completed", outcome: "failed", detail: "outcome 'failure'", result: '"exit 3"' },
      "backend reported terminal status: completed (outcome 'failure'; http.result \"exit 3\")",
    ],
    // stopped: by the caller or the deadline
    [
      "a kickoff cancelled while it waited for headers",
      { kind: "stopped", reason: "cancelled", doing: { phase: "kickoff", method: "POST", url: `${API}/runs` }, stage: "headers" },
      `cancelled by the caller during the kickoff (POST ${API}/runs); no response headers had arrived`,
    ],
    [
      "a run cancelled between polls",
      { kind: "stopped", reason: "cancelled", doing: { ...polling, polls: 0, lastStatus: undefined } },
      `cancelled by the caller while polling ${API}/runs/1 (0 polls)`,
    ],
    [
      "a run abandoned while polling",
      { kind: "stopped", reason: "abandoned", doing: polling, stage: "none" },
      `abandoned by the caller while polling ${API}/runs/1 (1 polls, last status 'running')`,
    ],
    [
      "a run that timed out while its poll's body arrived",
      { kind: "stopped", reason: "timed_out", doing: { ...polling, polls: 2 }, stage: "body" },
      `timed out after 5 s (timeout_seconds) while polling ${API}/runs/1 (2 polls, last status 'running'); the response body was still arriving`,
    ],
    [
      "a run that timed out while looking its job up",
      { kind: "stopped", reason: "timed_out", doing: { phase: "lookup", url: MESSAGES, lookups: 6 } },
      `timed out after 5 s (timeout_seconds) while looking up the run at ${MESSAGES} (6 lookups)`,
    ],
    [
      "a single request that timed out",
      { kind: "stopped", reason: "timed_out", doing: { phase: "request", method: "POST", url: `${API}/runs` }, stage: "headers" },
      `timed out after 5 s (timeout_seconds) during the request (POST ${API}/runs); no response headers had arrived`,
    ],
    // the caller's hook, and the run itself
    ["a kickoff its hook kept from being sent", { kind: "kickoff_not_sent", error: "store unavailable" }, "kickoff not sent: store unavailable"],
    ["a run that broke", { kind: "runner_error", error: "clock is broken" }, "runner error: clock is broken"],
  ])("describes %s in one sentence", (_, failure, sentence) => {
    expect(describeFailure(failure, text)).toBe(sentence);
  });
});

describe(failureStatus.name, () => {
  test.each<[string, "failed" | "timed_out" | "cancelled", Failure]>([
    ["a failed terminal state", "failed", { kind: "backend_ended", status: "failed", outcome: "failed" }],
    ["a cancelled terminal state", "cancelled", { kind: "backend_ended", status: "stopped", outcome: "cancelled" }],
    ["a run the deadline stopped", "timed_out", { kind: "stopped", reason: "timed_out", doing: polling }],
    ["a run the caller cancelled", "cancelled", { kind: "stopped", reason: "cancelled", doing: polling }],
    ["a run the caller abandoned", "cancelled", { kind: "stopped", reason: "abandoned", doing: polling }],
    ["a refusal", "failed", { kind: "refused", request: poll, code: 403, body: "" }],
    ["a request that got no answer", "failed", { kind: "transport", request: kickoff, error: "connection reset", mayHaveReached: true }],
    ["transient failures past the budget", "failed", { kind: "errors", request: poll, times: 1, budget: 0, last: { error: "connection reset" } }],
    ["an answer the protocol cannot read", "failed", { kind: "malformed_answer", request: poll, code: 200, problem: "is not JSON" }],
    ["a kickoff not sent", "failed", { kind: "kickoff_not_sent", error: "no" }],
    ["a runner error", "failed", { kind: "runner_error", error: "boom" }],
  ])("%s ends the run %s", (_, status, failure) => {
    expect(failureStatus(failure)).toBe(status);
  });
});

describe(requestName.name, () => {
  test.each<[string, RequestRef]>([
    [`kickoff POST ${API}/runs`, kickoff],
    [`kickoff POST ${API}/runs (attempt 2; http.kickoff_max_retries is 0)`, { ...kickoff, attempt: 2 }],
    [`poll 4 of ${API}/runs/1`, { ...poll, attempt: 4 }],
    [`lookup 2 of ${MESSAGES}`, { ...lookup, attempt: 2 }],
    [`final GET of ${API}/things/1`, final],
    [`DELETE ${API}/runs/1`, { phase: "cancel", method: "DELETE", url: `${API}/runs/1`, attempt: 1 }],
  ])("names a request as '%s'", (name, ref) => {
    expect(requestName(ref)).toBe(name);
  });
});
