import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it, onTestFinished } from "vitest";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { ExecutorRuntime } from "../../src/runtime.js";
import { loopbackBackend, loopbackInvocation, timedRun } from "../support/async-http.js";
import type { ScriptedResponse } from "../support/scripted-server.js";

// A full collection before each reading, so garbage left by earlier tests does not count.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const MiB = 1024 * 1024;
/** The runners' default maxResponseBytes. */
const CAP_BYTES = 8 * MiB;
const BODY_BYTES = 200 * MiB;
/** What the process may grow by while the body arrives: several caps, far below the body (generous, for a busy machine). */
const ALLOWED_GROWTH_BYTES = 8 * CAP_BYTES;

/** Memory that a buffered body would occupy: the JS heap and the ArrayBuffers behind Node Buffers. */
function heldBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/**
 * Runs `work` while sampling heldBytes() every few milliseconds; returns the
 * highest growth seen over the baseline and the growth left after a collection.
 */
async function measureGrowth(work: () => Promise<unknown>): Promise<{ peak: number; retained: number }> {
  collectGarbage();
  const baseline = heldBytes();
  let peak = 0;
  const sample = (): void => {
    peak = Math.max(peak, heldBytes() - baseline);
  };
  const sampler = setInterval(sample, 2);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  sample();
  // ArrayBuffers are freed by a background sweeper: give it a moment between two collections.
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 20));
  collectGarbage();
  return { peak, retained: heldBytes() - baseline };
}

const accepted: ScriptedResponse = { status: 202, json: { id: "1" } };

describe("memory under an oversized answer", () => {
  it.for([
    ["a 200 MB poll body", { action: "huge", bytes: BODY_BYTES }],
    ["an endless chunked poll body", { action: "endless" }],
  ] satisfies [string, ScriptedResponse][])("holds about maxResponseBytes, not the body, for %s", async ([, answer]) => {
    const server = await loopbackBackend([accepted, answer]);
    let failed: string | null = null;
    const runner = new AsyncHttpRunner();
    const growth = await measureGrowth(async () => {
      failed = (await timedRun(runner, server, loopbackInvocation(server.origin))).summary;
      await runner.close();
    });
    expect(failed).toBe(`poll 1 of {origin}/runs/1 failed: response body exceeds ${CAP_BYTES} bytes; the backend job may still be running (run id 1); no cancel request was sent`);
    expect(growth.peak).toBeLessThan(ALLOWED_GROWTH_BYTES);
    expect(growth.retained).toBeLessThan(2 * CAP_BYTES);
    // The connection was dropped at the cap: the backend never got to send the body.
    await server.waitFor(() => server.openConnectionCount === 0);
    expect(server.bytesWritten).toBeLessThan(ALLOWED_GROWTH_BYTES);
  });

  it("holds about a smaller cap when maxResponseBytes is lowered", async () => {
    const server = await loopbackBackend([accepted, { action: "huge", bytes: BODY_BYTES }]);
    const growth = await measureGrowth(() => timedRun(new AsyncHttpRunner({ maxResponseBytes: MiB }), server, loopbackInvocation(server.origin)));
    expect(growth.peak).toBeLessThan(8 * MiB);
  });
});

describe("what a waiting run keeps alive", () => {
  /** A backend that takes the job, then answers "running" once and "completed" after that. */
  const script: ScriptedResponse[] = [accepted, { json: { status: "running" } }, { json: { status: "completed" } }];

  /** A sleep that holds the run in its first wait until `release()`, and says when it got there. */
  function heldSleep() {
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const waiting = new Promise<void>((resolve) => (reached = resolve));
    const sleep = (): Promise<void> => {
      reached();
      return released;
    };
    return { sleep, waiting, release };
  }

  it("lets the runner's invocation and its metadata be collected while the run waits between polls", async () => {
    const server = await loopbackBackend(script);
    const held = heldSleep();
    const runner = new AsyncHttpRunner({ sleep: held.sleep });
    onTestFinished(() => runner.close());
    // Built in a function of its own, so that no local variable of the test keeps them alive.
    const started = (() => {
      const invocation = loopbackInvocation(server.origin);
      return { pending: runner.run(invocation), invocation: new WeakRef(invocation), metadata: new WeakRef(invocation.metadata) };
    })();
    await held.waiting;
    collectGarbage();
    expect(started.invocation.deref()).toBeUndefined();
    expect(started.metadata.deref()).toBeUndefined();
    held.release();
    const result = await started.pending;
    expect(result).toMatchObject({ status: "succeeded", invocation_id: "inv-1", metadata: { "http.polls": "2" } });
  });

  it("lets the caller's invocation be collected while a run through ExecutorRuntime waits", async () => {
    const server = await loopbackBackend(script);
    const held = heldSleep();
    const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner({ sleep: held.sleep }));
    onTestFinished(() => runtime.close());
    const started = (() => {
      const input = { ...loopbackInvocation(server.origin), invocation_id: "inv-2" };
      return { pending: runtime.run(input), input: new WeakRef(input), metadata: new WeakRef(input.metadata) };
    })();
    await held.waiting;
    collectGarbage();
    expect(started.input.deref()).toBeUndefined();
    expect(started.metadata.deref()).toBeUndefined();
    held.release();
    expect(await started.pending).toMatchObject({ status: "succeeded", invocation_id: "inv-2" });
  });
});
