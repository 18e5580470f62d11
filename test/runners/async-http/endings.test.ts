import { describe, expect, it, test } from "vitest";
import { AsyncHttpRunner } from "../../../src/runners/async-http/runner.js";
import { API, asyncInvocation, asyncRunner, useMswServer } from "../../support/async-http.js";
import { fakeClock } from "../../support/fake-clock.js";
import { scriptBackend, type ScriptedAnswer } from "../../support/msw-backend.js";
import { expectRxpValid } from "../../support/rxp-schema.js";

const server = useMswServer();

const CANCEL = { "http.cancel_url_template": "/runs/{run_id}/cancel" };
const running = { json: { id: "7", status: "running" } };

interface Ending {
  readonly kickoff?: readonly ScriptedAnswer[];
  readonly polls?: readonly ScriptedAnswer[];
  readonly cancel?: readonly ScriptedAnswer[];
  readonly metadata?: Record<string, string>;
  readonly fields?: Record<string, unknown>;
  /** Aborts the run at its first wait. */
  readonly abort?: boolean;
}

/** Runs one invocation against a backend that kicks off at POST /runs and is polled at /runs/7. */
async function end({ kickoff = [{ status: 202, json: { id: "7" } }], polls = [running], cancel = [{ json: {} }], metadata = {}, fields = {}, abort = false }: Ending) {
  const backend = scriptBackend(server, {
    [`POST ${API}/runs`]: kickoff,
    [`GET ${API}/runs/7`]: polls,
    [`POST ${API}/runs/7/cancel`]: cancel,
  });
  const controller = new AbortController();
  const onEvent = abort ? (event: { type: string }) => event.type === "wait" && controller.abort() : undefined;
  const result = await asyncRunner(fakeClock()).run(asyncInvocation(metadata, fields), { signal: controller.signal, ...(onEvent && { onEvent }) });
  expectRxpValid(result);
  return { result, backend };
}

describe(`${AsyncHttpRunner.name}: what a result tells the dispatcher`, () => {
  test.each<[string, Ending, string, string | undefined, string]>([
    ["a run that succeeded", { polls: [{ json: { id: "7", status: "completed" } }] }, "succeeded", undefined, "finished"],
    ["settings that do not validate", { metadata: { "http.poll_interval_seconds": "soon" } }, "rejected", "invalid_input", "not_started"],
    ["a kickoff refused with a permanent code", { kickoff: [{ status: 400, body: "bad" }] }, "failed", "kickoff_refused", "not_started"],
    ["a kickoff answered 503, never sent again", { kickoff: [{ status: 503 }] }, "failed", "transport", "not_started"],
    ["a kickoff that could not reach the backend", { kickoff: [{ networkError: true }] }, "failed", "transport", "may_still_run"],
    ["a poll refused with a permanent code", { polls: [{ status: 404 }] }, "failed", "poll_refused", "may_still_run"],
    ["polls past the error budget", { polls: [{ status: 500 }] }, "failed", "transport", "may_still_run"],
    ["a poll answer the protocol cannot read", { polls: [{ json: { id: "7" } }] }, "failed", "malformed_answer", "may_still_run"],
    ["a status URL that shows another run", { polls: [{ json: { id: "8", status: "running" } }] }, "failed", "lost_sight", "may_still_run"],
    ["the backend reported a failure", { polls: [{ json: { id: "7", status: "failed" } }] }, "failed", "backend_failed", "finished"],
    ["the backend reported a cancellation", { polls: [{ json: { id: "7", status: "cancelled" } }] }, "cancelled", "cancelled", "finished"],
    ["the deadline, with no cancel template", { fields: { timeout_seconds: 5 } }, "timed_out", "deadline", "may_still_run"],
    ["the deadline, the cancel answered 2xx", { fields: { timeout_seconds: 5 }, metadata: CANCEL }, "timed_out", "deadline", "cancelled"],
    ["the deadline, the cancel refused", { fields: { timeout_seconds: 5 }, metadata: CANCEL, cancel: [{ status: 409 }] }, "timed_out", "deadline", "cancel_failed"],
    ["the caller's abort, the cancel answered 2xx", { abort: true, metadata: CANCEL }, "cancelled", "cancelled", "cancelled"],
    ["polls past the error budget, with http.cancel_on_failure", { polls: [{ status: 500 }], metadata: { ...CANCEL, "http.cancel_on_failure": "true" } }, "failed", "transport", "cancelled"],
  ])("%s: %s, failure_kind %s, http.backend_job %s", async (_title, ending, status, failureKind, backendJob) => {
    const { result } = await end(ending);
    expect(result.status).toBe(status);
    expect(result.metadata["failure_kind"]).toBe(failureKind);
    expect(result.metadata["http.backend_job"]).toBe(backendJob);
  });

  it("ends the summary of a run it leaves running with the run id and what was not done", async () => {
    const { result } = await end({ polls: [{ status: 404, body: "gone" }] });
    expect(result.error_summary).toBe(
      `poll 1 of ${API}/runs/7 answered HTTP 404: gone; the backend job may still be running (run id 7); no cancel request was sent`,
    );
  });

  it("says why a cancel failed", async () => {
    const { result } = await end({ fields: { timeout_seconds: 5 }, metadata: CANCEL, cancel: [{ status: 409 }] });
    expect(result.error_summary).toMatch(/; the backend job may still be running \(run id 7\); the cancel request failed: it answered HTTP 409$/);
  });

  it("never cancels a run the status URL shows in place of its own, and cancels its own when told to on failure", async () => {
    const { result, backend } = await end({
      polls: [{ json: { id: "8", status: "running" } }],
      metadata: { ...CANCEL, "http.cancel_on_failure": "true" },
    });
    expect(result.error_summary).toBe(
      `poll 1 of ${API}/runs/7 shows run 8, not this invocation's run 7: the status URL now shows another run`,
    );
    expect(backend.requests.filter((request) => request.url.endsWith("/cancel")).map((request) => request.url)).toEqual([`${API}/runs/7/cancel`]);
  });
});
