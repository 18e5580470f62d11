import diagnosticsChannel from "node:diagnostics_channel";
import { describe, expect, it, vi } from "vitest";
import type * as TraceRequestModule from "../../src/diagnostics/trace-request.js";
import { traceRequest } from "../../src/diagnostics/trace-request.js";
import type * as TraceRunModule from "../../src/diagnostics/trace-run.js";
import { traceRun } from "../../src/diagnostics/trace-run.js";
import { ExecutorRuntime } from "../../src/runtime.js";
import { API, asyncInvocation, asyncRunner, useMswServer } from "../support/async-http.js";
import { fakeClock } from "../support/fake-clock.js";
import { scriptBackend } from "../support/msw-backend.js";

vi.mock("../../src/diagnostics/trace-run.js", async (importOriginal) => {
  const real = await importOriginal<typeof TraceRunModule>();
  return { ...real, traceRun: vi.fn(real.traceRun) };
});
vi.mock("../../src/diagnostics/trace-request.js", async (importOriginal) => {
  const real = await importOriginal<typeof TraceRequestModule>();
  return { ...real, traceRequest: vi.fn(real.traceRequest) };
});

const server = useMswServer();

async function runOnce(): Promise<void> {
  scriptBackend(server, { [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }], [`GET ${API}/runs/1`]: [{ json: { status: "completed" } }] });
  const result = await new ExecutorRuntime().register("http_async", asyncRunner(fakeClock())).run(asyncInvocation());
  expect(result.status).toBe("succeeded");
}

describe("the diagnostics channels without subscribers", () => {
  it("build no run or request message, and trace nothing, until something subscribes", async () => {
    vi.mocked(traceRun).mockClear();
    vi.mocked(traceRequest).mockClear();
    await runOnce();
    expect([vi.mocked(traceRun).mock.calls.length, vi.mocked(traceRequest).mock.calls.length]).toEqual([0, 0]);

    const handlers = { start: () => undefined, end: () => undefined, asyncStart: () => undefined, asyncEnd: () => undefined, error: () => undefined };
    const run = diagnosticsChannel.tracingChannel("executor-runtime:run");
    const request = diagnosticsChannel.tracingChannel("executor-runtime:request");
    run.subscribe(handlers);
    request.subscribe(handlers);
    try {
      await runOnce();
    } finally {
      run.unsubscribe(handlers);
      request.unsubscribe(handlers);
    }
    expect([vi.mocked(traceRun).mock.calls.length, vi.mocked(traceRequest).mock.calls.length]).toEqual([1, 2]);
  });
});
