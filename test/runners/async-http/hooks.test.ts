import { describe, expect, it } from "vitest";
import { AsyncHttpRunner } from "../../../src/runners/async-http/runner.js";
import type { Checkpoint } from "../../../src/runners/runner.js";
import { API, asyncInvocation, asyncRunner, useMswServer } from "../../support/async-http.js";
import { fakeClock } from "../../support/fake-clock.js";
import { scriptBackend } from "../../support/msw-backend.js";

const server = useMswServer();

describe(`${AsyncHttpRunner.name} durability hooks`, () => {
  it("awaits beforeKickoff before it sends the kickoff", async () => {
    const order: string[] = [];
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "42" } }],
      [`GET ${API}/runs/42`]: [{ json: { status: "completed" } }],
    });
    const beforeKickoff = async (): Promise<void> => {
      await Promise.resolve();
      order.push(`hook after ${backend.requests.length} requests`);
    };
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(), { beforeKickoff });
    expect(result.status).toBe("succeeded");
    expect(order).toEqual(["hook after 0 requests"]);
  });

  it("sends no kickoff and fails when beforeKickoff rejects", async () => {
    const backend = scriptBackend(server, { [`POST ${API}/runs`]: [{ status: 202, json: { id: "42" } }] });
    const beforeKickoff = () => Promise.reject(new Error("store unavailable"));
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(), { beforeKickoff });
    expect(result).toMatchObject({ status: "failed", error_summary: "kickoff not sent: store unavailable" });
    expect(backend.requests).toHaveLength(0);
  });

  it("does not call beforeKickoff when it resumes from a checkpoint or rejects the metadata", async () => {
    scriptBackend(server, { [`GET ${API}/runs/42`]: [{ json: { status: "completed" } }] });
    let calls = 0;
    const beforeKickoff = async (): Promise<void> => void calls++;
    const resume = { version: 1 as const, pollUrl: `${API}/runs/42`, acceptedAt: "2026-01-01T00:00:00.000Z" };
    const runner = asyncRunner(fakeClock());
    expect((await runner.run(asyncInvocation(), { resume, beforeKickoff })).status).toBe("succeeded");
    expect((await runner.run(asyncInvocation({ "http.url": undefined }), { beforeKickoff })).status).toBe("rejected");
    expect(calls).toBe(0);
  });

  it("ends cancelled without a kickoff when aborted while beforeKickoff runs", async () => {
    const backend = scriptBackend(server, { [`POST ${API}/runs`]: [{ status: 202, json: { id: "42" } }] });
    const controller = new AbortController();
    const beforeKickoff = (): Promise<void> => {
      controller.abort();
      return new Promise<void>(() => undefined);
    };
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(), { signal: controller.signal, beforeKickoff });
    expect(result.status).toBe("cancelled");
    expect(backend.requests).toHaveLength(0);
  });

  it("awaits saveCheckpoint with the checkpoint before the first poll", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "42" } }],
      [`GET ${API}/runs/42`]: [{ json: { status: "completed" } }],
    });
    const saved: { checkpoint: Checkpoint; requests: number }[] = [];
    const saveCheckpoint = async (checkpoint: Checkpoint): Promise<void> => {
      await Promise.resolve();
      saved.push({ checkpoint, requests: backend.requests.length });
    };
    const result = await asyncRunner(fakeClock()).run(asyncInvocation({}, { timeout_seconds: 60 }), { saveCheckpoint });
    expect(result.status).toBe("succeeded");
    expect(saved).toEqual([
      {
        checkpoint: { version: 1, pollUrl: `${API}/runs/42`, runId: "42", acceptedAt: "2026-01-01T00:00:00.000Z", deadlineAt: "2026-01-01T00:01:00.000Z" },
        requests: 1,
      },
    ]);
  });

  it("polls on when saveCheckpoint rejects, and keeps the error in the result metadata", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "42" } }],
      [`GET ${API}/runs/42`]: [{ json: { status: "completed" } }],
    });
    const saveCheckpoint = () => Promise.reject(new Error("store unavailable"));
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(), { saveCheckpoint });
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.checkpoint_error": "checkpoint not saved: store unavailable" } });
  });

  it("does not call saveCheckpoint for a kickoff that is already the final answer", async () => {
    scriptBackend(server, { [`POST ${API}/runs`]: [{ status: 200, json: { id: "1", status: "completed" } }] });
    let calls = 0;
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(), { saveCheckpoint: async () => void calls++ });
    expect(result.status).toBe("succeeded");
    expect(calls).toBe(0);
  });
});
