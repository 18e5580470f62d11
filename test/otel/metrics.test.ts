import type { DataPoint, Histogram } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import type { RuntimeInvocation } from "../../src/contracts/invocation.js";
import { buildResult } from "../../src/contracts/result.js";
import { ManualRunner } from "../../src/runners/manual.js";
import { ExecutorRuntime } from "../../src/runtime.js";
import { API, asyncInvocation, asyncRunner, useMswServer } from "../support/async-http.js";
import { fakeClock } from "../support/fake-clock.js";
import { scriptBackend } from "../support/msw-backend.js";
import { useOtel } from "../support/otel.js";

const server = useMswServer();
const otel = useOtel();

/** A runtime whose manual runner ends each run as its metadata's `outcome` says, once `gate` (if any) resolves. */
function manualRuntime(gate?: Promise<void>): ExecutorRuntime {
  const runner = new ManualRunner(async (invocation: RuntimeInvocation) => {
    await gate;
    return invocation.metadata.outcome === "succeeded"
      ? buildResult(invocation, { status: "succeeded" })
      : buildResult(invocation, { status: "failed", summary: "the job failed" });
  });
  return new ExecutorRuntime().register("manual", runner);
}

function manual(id: string, outcome: string) {
  return { invocation_id: id, runtime_name: "reports", runtime_kind: "manual", metadata: { outcome } };
}

/** Each point as its attributes without the runtime's kind and name (checked once), with its value. */
function byAttributes<T>(points: readonly DataPoint<unknown>[] | undefined, value: (point: DataPoint<unknown>) => T) {
  return (points ?? []).map((point): [unknown, unknown, Record<string, unknown>, T] => {
    const { "executor_runtime.runtime.kind": kind, "executor_runtime.runtime.name": name, ...rest } = point.attributes;
    return [kind, name, rest, value(point)];
  });
}

describe("the run metrics", () => {
  it("count finished runs by outcome and record their durations in seconds", async () => {
    const runtime = manualRuntime();
    await runtime.run(manual("a", "succeeded"));
    await runtime.run(manual("b", "succeeded"));
    await runtime.run(manual("c", "failed"));
    await runtime.run({ ...manual("d", "failed"), runtime_kind: "nowhere" });

    const metrics = await otel.metrics();
    expect(byAttributes(metrics.get("executor_runtime.runs"), (point) => point.value)).toEqual([
      ["manual", "reports", { "executor_runtime.outcome": "succeeded" }, 2],
      ["manual", "reports", { "executor_runtime.outcome": "failed" }, 1],
      ["nowhere", "reports", { "executor_runtime.outcome": "rejected" }, 1],
    ]);
    const durations = byAttributes(metrics.get("executor_runtime.run.duration"), (point) => point.value as Histogram);
    expect(durations.map(([kind, , attributes, histogram]) => [kind, attributes, histogram.count])).toEqual([
      ["manual", { "executor_runtime.outcome": "succeeded" }, 2],
      ["manual", { "executor_runtime.outcome": "failed" }, 1],
      ["nowhere", { "executor_runtime.outcome": "rejected" }, 1],
    ]);
    for (const [, , , histogram] of durations) expect(histogram.sum).toBeLessThan(10);
  });

  it("count a run in flight until it ends", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const pending = manualRuntime(gate).run(manual("slow", "succeeded"));
    await Promise.resolve();
    const during = await otel.metrics();
    open();
    await pending;
    const after = await otel.metrics();
    expect(byAttributes(during.get("executor_runtime.runs.active"), (point) => point.value)).toEqual([["manual", "reports", {}, 1]]);
    expect(byAttributes(after.get("executor_runtime.runs.active"), (point) => point.value)).toEqual([["manual", "reports", {}, 0]]);
  });

  it("count answered polls, and waits by their source", async () => {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ status: 429, headers: { "retry-after": "3" } }, { json: { status: "running" } }, { json: { status: "completed" } }],
    });
    const runtime = new ExecutorRuntime().register("http_async", asyncRunner(fakeClock()));
    await runtime.run(asyncInvocation({ "http.poll_max_consecutive_errors": "1", "http.poll_interval_seconds": "2" }));

    const metrics = await otel.metrics();
    expect(byAttributes(metrics.get("executor_runtime.polls"), (point) => point.value)).toEqual([["http_async", "backend", {}, 3]]);
    expect(byAttributes(metrics.get("executor_runtime.waits"), (point) => point.value)).toEqual([
      ["http_async", "backend", { "executor_runtime.wait.source": "retry-after" }, 1],
      ["http_async", "backend", { "executor_runtime.wait.source": "interval" }, 1],
    ]);
  });
});
