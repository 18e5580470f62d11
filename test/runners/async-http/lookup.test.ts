import { describe, expect, it } from "vitest";
import { RuntimeInvocationSchema, type RuntimeInvocation } from "../../../src/contracts/invocation.js";
import { AsyncHttpRunner } from "../../../src/runners/async-http/runner.js";
import type { Checkpoint } from "../../../src/runners/runner.js";
import { API, asyncRunner, eventLog, useMswServer } from "../../support/async-http.js";
import { fakeClock } from "../../support/fake-clock.js";
import { scriptBackend } from "../../support/msw-backend.js";

const server = useMswServer();

const MESSAGES = `${API}/api/conversations/web-1/messages`;

/** An Archon-style background workflow: dispatch, find the worker conversation in the parent's messages, poll by worker. */
function backgroundInvocation(metadata: Record<string, string> = {}, fields: Record<string, unknown> = {}): RuntimeInvocation {
  return RuntimeInvocationSchema.parse({
    invocation_id: "inv-1",
    runtime_name: "archon",
    runtime_kind: "http_async",
    timeout_seconds: 600,
    metadata: {
      "http.url": `${API}/api/workflows/archon-assist/run`,
      "http.body": '{"conversationId": "web-1", "message": "hello"}',
      "http.run_lookup_url": "/api/conversations/web-1/messages",
      "http.run_lookup_path": "*.metadata.workflowDispatch.workerConversationId",
      "http.poll_url_template": "/api/workflows/runs/by-worker/{lookup}",
      "http.poll_run_id_path": "run.id",
      "http.poll_status_path": "run.status",
      "http.poll_terminal_states": "completed,failed,cancelled",
      "http.poll_interval_seconds": "1",
      ...metadata,
    },
    ...fields,
  });
}

/** A message of the parent conversation that names a worker conversation, its metadata a JSON string as Archon stores it. */
const dispatch = (worker: string) => ({
  id: `m-${worker}`,
  role: "assistant",
  content: "dispatched",
  metadata: JSON.stringify({ workflowDispatch: { workerConversationId: worker, workflowName: "archon-assist" } }),
});
const note = { id: "m-0", role: "user", content: "hello", metadata: "{}" };
/** What the summary of a run whose job was never found ends with. */
const MAY_STILL_RUN_UNKNOWN = "; the backend job may still be running (its run id is unknown); no cancel request was sent";
const run = (status: string, extra: object = {}) => ({ json: { run: { id: "run-9", status, ...extra } } });

describe(`${AsyncHttpRunner.name} run lookup`, () => {
  it("finds the run its acknowledgement does not name, ignoring one that was there before the kickoff", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/api/workflows/archon-assist/run`]: [{ json: { accepted: true, status: "started" } }],
      [`GET ${MESSAGES}`]: [{ json: [note, dispatch("web-worker-old")] }, { json: [note, dispatch("web-worker-old")] }, { json: [note, dispatch("web-worker-old"), dispatch("web-worker-new")] }],
      [`GET ${API}/api/workflows/runs/by-worker/web-worker-new`]: [run("pending"), run("running"), run("completed")],
    });
    const clock = fakeClock();
    const log = eventLog();
    const result = await asyncRunner(clock).run(backgroundInvocation(), log);
    expect(result).toMatchObject({
      status: "succeeded",
      metadata: {
        "http.lookup": "web-worker-new",
        "http.lookups": "3",
        "http.run_id": "run-9",
        "http.poll_url": `${API}/api/workflows/runs/by-worker/web-worker-new`,
        "http.polls": "3",
      },
    });
    expect(backend.count(`GET ${API}/api/workflows/runs/by-worker/web-worker-old`)).toBe(0);
    // Lookups and polls alike: the first at once after the acknowledgement, then the interval.
    expect(clock.sleeps).toEqual([1000, 1000, 1000]);
    expect(log.types()).toEqual(["kickoff", "wait", "accepted", "poll", "wait", "poll", "wait", "poll", "terminal"]);
    const accepted = log.events.find((event) => event.type === "accepted");
    expect(accepted).toMatchObject({ checkpoint: { lookup: "web-worker-new", pollUrl: `${API}/api/workflows/runs/by-worker/web-worker-new` } });
  });

  it("takes a lookup answered with a pending code as nothing listed yet, before and after the kickoff", async () => {
    scriptBackend(server, {
      [`POST ${API}/api/workflows/archon-assist/run`]: [{ json: { accepted: true, status: "started" } }],
      [`GET ${MESSAGES}`]: [{ status: 404 }, { status: 404 }, { json: [dispatch("web-worker-1")] }],
      [`GET ${API}/api/workflows/runs/by-worker/web-worker-1`]: [run("completed")],
    });
    const log = eventLog();
    const result = await asyncRunner(fakeClock()).run(backgroundInvocation({ "http.poll_pending_codes": "404" }), log);
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.lookup": "web-worker-1", "http.lookups": "3" } });
    expect(log.events.filter((event) => event.type === "pending")).toHaveLength(2);
  });

  it("takes the last of several new values, in document order", async () => {
    scriptBackend(server, {
      [`POST ${API}/api/workflows/archon-assist/run`]: [{ json: { accepted: true, status: "started" } }],
      [`GET ${MESSAGES}`]: [{ json: [] }, { json: [dispatch("web-worker-a"), note, dispatch("web-worker-b")] }],
      [`GET ${API}/api/workflows/runs/by-worker/web-worker-b`]: [run("completed")],
    });
    const result = await asyncRunner(fakeClock()).run(backgroundInvocation());
    expect(result.metadata["http.lookup"]).toBe("web-worker-b");
  });

  it("bounds the lookup by the deadline, says it was looking, looks on for the cancel budget and sends no cancel for a run it never found", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/api/workflows/archon-assist/run`]: [{ json: { accepted: true, status: "started" } }],
      [`GET ${MESSAGES}`]: [{ json: [note] }],
    });
    const invocation = backgroundInvocation({ "http.cancel_url_template": "/api/workflows/runs/{run_id}/cancel" }, { timeout_seconds: 5 });
    const result = await asyncRunner(fakeClock()).run(invocation);
    // Six lookups within the 5 s deadline, then four more within the 5 s cancel budget.
    expect(result).toMatchObject({ status: "timed_out", metadata: { "http.lookups": "10", "http.backend_job": "may_still_run" } });
    expect(result.error_summary).toBe(`timed out after 5 s (timeout_seconds) while looking up the run at ${MESSAGES} (6 lookups)${MAY_STILL_RUN_UNKNOWN}`);
    expect(backend.requests.some((request) => request.url.endsWith("/cancel"))).toBe(false);
  });

  it("saves no checkpoint until the run is found, so a crash in the lookup window is one in the kickoff window", async () => {
    scriptBackend(server, {
      [`POST ${API}/api/workflows/archon-assist/run`]: [{ json: { accepted: true, status: "started" } }],
      [`GET ${MESSAGES}`]: [{ json: [] }],
    });
    const order: string[] = [];
    const controller = new AbortController();
    const saved: Checkpoint[] = [];
    const result = await asyncRunner(fakeClock()).run(backgroundInvocation(), {
      signal: controller.signal,
      beforeKickoff: async () => void order.push("mark stored"),
      saveCheckpoint: async (checkpoint) => void saved.push(checkpoint),
      onEvent: (event) => {
        order.push(event.type);
        if (event.type === "wait") controller.abort();
      },
    });
    expect(order).toEqual(["mark stored", "kickoff", "wait"]);
    expect(saved).toEqual([]);
    expect(result).toMatchObject({ status: "cancelled", error_summary: `cancelled by the caller while looking up the run at ${MESSAGES} (2 lookups)${MAY_STILL_RUN_UNKNOWN}` });
  });

  it("stopped before its run was found, looks on within the cancel budget and cancels the run once it appears", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/api/workflows/archon-assist/run`]: [{ json: { accepted: true, status: "started" } }],
      [`GET ${MESSAGES}`]: [{ json: [note] }, { json: [note] }, { json: [note] }, { json: [note, dispatch("web-worker-1")] }],
      [`POST ${API}/api/workflows/runs/web-worker-1/cancel`]: [{ json: { success: true, message: "Cancelled workflow: archon-assist" } }],
    });
    const controller = new AbortController();
    const invocation = backgroundInvocation({ "http.cancel_url_template": "/api/workflows/runs/{lookup}/cancel" });
    const result = await asyncRunner(fakeClock()).run(invocation, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "wait") controller.abort();
      },
    });
    expect(result).toMatchObject({
      status: "cancelled",
      error_summary: `cancelled by the caller while looking up the run at ${MESSAGES} (2 lookups)`,
      metadata: { "failure_kind": "cancelled", "http.backend_job": "cancelled", "http.cancel_status": "200", "http.lookups": "4" },
    });
    expect(backend.count(`POST ${API}/api/workflows/runs/web-worker-1/cancel`)).toBe(1);
    expect(backend.count(`GET ${API}/api/workflows/runs/by-worker/web-worker-1`)).toBe(0);
  });

  it("stopped before its run was found, polls the run once it appears to learn the run id its cancel request names", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/api/workflows/archon-assist/run`]: [{ json: { accepted: true, status: "started" } }],
      [`GET ${MESSAGES}`]: [{ json: [note] }, { json: [note] }, { json: [note, dispatch("web-worker-1")] }],
      [`GET ${API}/api/workflows/runs/by-worker/web-worker-1`]: [run("running")],
      [`POST ${API}/api/workflows/runs/run-9/cancel`]: [{ json: { success: true, message: "Cancelled workflow: archon-assist" } }],
    });
    const controller = new AbortController();
    const invocation = backgroundInvocation({ "http.cancel_url_template": "/api/workflows/runs/{run_id}/cancel" });
    const result = await asyncRunner(fakeClock()).run(invocation, {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "wait") controller.abort();
      },
    });
    expect(result).toMatchObject({ status: "cancelled", metadata: { "http.backend_job": "cancelled", "http.run_id": "run-9", "http.polls": "1" } });
    expect(backend.count(`POST ${API}/api/workflows/runs/run-9/cancel`)).toBe(1);
  });

  it("cancels a found run by the backend's own run id, read from its poll bodies", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/api/workflows/archon-assist/run`]: [{ json: { accepted: true, status: "started" } }],
      [`GET ${MESSAGES}`]: [{ json: [] }, { json: [dispatch("web-worker-1")] }],
      [`GET ${API}/api/workflows/runs/by-worker/web-worker-1`]: [run("paused", { metadata: { approval: { nodeId: "n1", message: "ok?" } } })],
      [`POST ${API}/api/workflows/runs/run-9/cancel`]: [{ json: { success: true, message: "Cancelled workflow: archon-assist" } }],
    });
    const invocation = backgroundInvocation({ "http.cancel_url_template": "/api/workflows/runs/{run_id}/cancel" }, { timeout_seconds: 10 });
    const result = await asyncRunner(fakeClock()).run(invocation);
    expect(result).toMatchObject({ status: "timed_out", metadata: { "http.cancel_status": "200", "http.last_status": "paused", "http.run_id": "run-9" } });
    expect(backend.count(`POST ${API}/api/workflows/runs/run-9/cancel`)).toBe(1);
  });

  it("redacts a secret in the lookup URL's query from summaries and metadata", async () => {
    scriptBackend(server, {
      [`POST ${API}/api/workflows/archon-assist/run`]: [{ json: { accepted: true, status: "started" } }],
      [`GET ${MESSAGES}`]: [{ status: 403, body: "no" }],
    });
    const result = await asyncRunner(fakeClock()).run(backgroundInvocation({ "http.run_lookup_url": "/api/conversations/web-1/messages?token=s3cr3t-v4lue" }));
    expect(result.status).toBe("failed");
    expect(result.error_summary).toBe(`lookup 1 of ${MESSAGES}?token=[REDACTED] answered HTTP 403: no`);
    expect(JSON.stringify(result)).not.toContain("s3cr3t-v4lue");
  });

  it("fails before the kickoff, sending none, when the lookup cannot be read", async () => {
    const backend = scriptBackend(server, { [`GET ${MESSAGES}`]: [{ body: "<html>" }] });
    const result = await asyncRunner(fakeClock()).run(backgroundInvocation());
    expect(result).toMatchObject({ status: "failed", error_summary: `lookup 1 of ${MESSAGES} answered HTTP 200 with a body that is not JSON: <html>` });
    expect(backend.requests.map((request) => request.method)).toEqual(["GET"]);
  });
});

describe(`${AsyncHttpRunner.name} two-field outcomes`, () => {
  /** A GitHub-Actions-style run: `status` completed, `conclusion` null while running. */
  function actionsRun(conclusions: (string | null)[]) {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: conclusions.map((conclusion) => ({ json: { status: conclusion === null ? "in_progress" : "completed", conclusion } })),
    });
    return RuntimeInvocationSchema.parse({
      invocation_id: "inv-1",
      runtime_name: "actions",
      runtime_kind: "http_async",
      metadata: {
        "http.url": `${API}/runs`,
        "http.poll_url_template": "/runs/{run_id}",
        "http.poll_run_id_path": "id",
        "http.poll_status_path": "status",
        "http.poll_terminal_states": "completed",
        "http.poll_outcome_path": "conclusion",
        "http.poll_success_states": "success",
      },
    });
  }

  it.each([
    ["success", "succeeded", null],
    ["failure", "failed", "backend reported terminal status: completed (outcome 'failure')"],
    ["cancelled", "cancelled", "backend reported terminal status: completed (outcome 'cancelled')"],
  ] as const)("reads a completed run with conclusion %s as %s", async (conclusion, status, summary) => {
    const result = await asyncRunner(fakeClock()).run(actionsRun([null, conclusion]));
    expect(result).toMatchObject({ status, error_summary: summary, metadata: { "http.polls": "2", "http.last_status": "completed" } });
  });

  it("lets the status decide where a terminal body carries no outcome", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ json: { run: { status: "completed", outcome: null } } }],
    });
    const invocation = backgroundInvocation();
    const metadata: Record<string, string> = {
      "http.url": `${API}/runs`,
      "http.poll_url_template": "/runs/{run_id}",
      "http.poll_run_id_path": "id",
      "http.poll_status_path": "run.status",
      "http.poll_terminal_states": "completed,failed",
      "http.poll_outcome_path": "run.outcome",
      "http.poll_success_states": "completed,succeeded",
    };
    const result = await asyncRunner(fakeClock()).run({ ...invocation, metadata });
    expect(result.status).toBe("succeeded");
  });

  it("says what a failed run's result held", async () => {
    scriptBackend(server, {
      [`POST ${API}/api/workflows/archon-assist/run`]: [{ json: { accepted: true, status: "started" } }],
      [`GET ${MESSAGES}`]: [{ json: [] }, { json: [dispatch("web-worker-1")] }],
      [`GET ${API}/api/workflows/runs/by-worker/web-worker-1`]: [run("failed", { metadata: { error: "step plan: model refused" } })],
    });
    const result = await asyncRunner(fakeClock()).run(backgroundInvocation({ "http.result_path": "run.metadata.error" }));
    expect(result).toMatchObject({
      status: "failed",
      error_summary: 'backend reported terminal status: failed (http.result "step plan: model refused")',
      metadata: { "http.result": '"step plan: model refused"' },
    });
  });
});
