import { Agent } from "undici";
import { describe, expect, it } from "vitest";
import type { RuntimeInvocation } from "../../src/contracts/invocation.js";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import type { Checkpoint, RunEvent } from "../../src/runners/runner.js";
import { loopbackBackend, loopbackInvocation, timedRun } from "../support/async-http.js";
import { expectRxpValid } from "../support/rxp-schema.js";
import type { ScriptedResponse, ScriptedServer } from "../support/scripted-server.js";

const accepted: ScriptedResponse = { status: 202, json: { id: "1" } };
const running: ScriptedResponse = { json: { status: "running" } };
const completed: ScriptedResponse = { json: { status: "completed" } };
const METADATA = { "http.idempotency_key_header": "Idempotency-Key", "http.cancel_url_template": "/runs/{run_id}/cancel" };

function requestLines(server: ScriptedServer): string[] {
  return server.requests.map((request) => `${request.method} ${request.url}`);
}

/**
 * Starts `invocation` on a dispatcher of its own, keeps the checkpoint of its
 * `accepted` event, and lets the dispatcher "die" once the backend holds its
 * first poll: its connection pool is destroyed, so it can send nothing more
 * (no cancel request either), and the run is dropped unawaited.
 */
async function checkpointOfDeadDispatcher(server: ScriptedServer, invocation: RuntimeInvocation): Promise<Checkpoint> {
  const pool = new Agent();
  let checkpoint: Checkpoint | undefined;
  const onEvent = (event: RunEvent): void => {
    if (event.type === "accepted") checkpoint = event.checkpoint;
  };
  void new AsyncHttpRunner({ dispatcher: pool }).run(invocation, { onEvent });
  await server.waitFor(() => server.requests.length === 2);
  await pool.destroy();
  await server.waitFor(() => server.openConnectionCount === 0);
  expect(checkpoint).toBeDefined();
  return checkpoint!;
}

describe("resuming a run after its dispatcher died", () => {
  it("reaches the terminal status from the checkpoint, and the backend sees exactly one kickoff", async () => {
    const server = await loopbackBackend([accepted, { action: "hang" }]);
    const invocation = loopbackInvocation(server.origin, METADATA, { timeout_seconds: 60 });
    const checkpoint = await checkpointOfDeadDispatcher(server, invocation);
    expect(checkpoint).toMatchObject({ version: 1, pollUrl: `${server.origin}/runs/1`, runId: "1" });

    server.push(running, completed);
    const { result } = await timedRun(new AsyncHttpRunner(), server, invocation, { resume: checkpoint });
    expectRxpValid(result);
    expect(result).toMatchObject({ status: "succeeded", exit_code: 0, metadata: { "http.run_id": "1", "http.polls": "2" } });
    expect(requestLines(server)).toEqual(["POST /runs", "GET /runs/1", "GET /runs/1", "GET /runs/1"]);
    expect(server.requests[0]?.headers["idempotency-key"]).toBe(invocation.invocation_id);
  });

  it("keeps the original deadline: a run resumed after it ends timed_out at once and cancels the job", async () => {
    const server = await loopbackBackend([accepted, { action: "hang" }]);
    const invocation = loopbackInvocation(server.origin, METADATA, { timeout_seconds: 60 });
    const checkpoint = await checkpointOfDeadDispatcher(server, invocation);

    server.push({ status: 202 });
    const expired: Checkpoint = { ...checkpoint, deadlineAt: new Date(Date.now() - 1000).toISOString() };
    const { result } = await timedRun(new AsyncHttpRunner(), server, invocation, { resume: expired });
    expect(result).toMatchObject({ status: "timed_out", metadata: { "http.polls": "0", "http.cancel_status": "202" } });
    expect(result.error_summary).toBe(`timed out after 60 s (timeout_seconds) while polling ${server.origin}/runs/1 (0 polls)`);
    expect(requestLines(server)).toEqual(["POST /runs", "GET /runs/1", "POST /runs/1/cancel"]);
  });

  it("ends a resumed run aborted before it starts cancelled while polling, and cancels the job", async () => {
    const server = await loopbackBackend([accepted, { action: "hang" }]);
    const invocation = loopbackInvocation(server.origin, METADATA, { timeout_seconds: 60 });
    const checkpoint = await checkpointOfDeadDispatcher(server, invocation);

    server.push({ status: 202 });
    const { result } = await timedRun(new AsyncHttpRunner(), server, invocation, { resume: checkpoint, signal: AbortSignal.abort() });
    expect(result).toMatchObject({ status: "cancelled", metadata: { "http.polls": "0", "http.cancel_status": "202" } });
    expect(result.error_summary).toBe(`cancelled by the caller while polling ${server.origin}/runs/1 (0 polls)`);
    expect(requestLines(server)).toEqual(["POST /runs", "GET /runs/1", "POST /runs/1/cancel"]);
  });
});
