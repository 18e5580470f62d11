import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { loopbackBackend, loopbackInvocation } from "../support/async-http.js";
import { watchProcess } from "../support/process-watch.js";

/**
 * Node's fetch keeps its 'abort' listener on the signal it is given until the
 * request is garbage-collected, and lifts that signal's listener limit to
 * 1,500: a run that gave every request the same signal would warn only after
 * some 1,500 polls, and only when no collection came first. Counting the
 * listeners on each signal fetch gets shows that leak at any number of polls;
 * 100 is ten times Node's default limit.
 */
const POLLS = 100;

describe("Node's fetch as the fetch option", () => {
  it("polls 100 times answered 202 with Retry-After: 0, each request on a signal of its own that holds only fetch's listener", async () => {
    let polls = 0;
    const server = await loopbackBackend([{ status: 202, json: { id: "1" } }], {
      fallback: (_request, response) => {
        polls += 1;
        const done = polls === POLLS;
        response.writeHead(done ? 200 : 202, { "retry-after": "0", "content-type": "application/json" });
        response.end(JSON.stringify({ status: done ? "completed" : "running" }));
      },
    });
    const signals = new Set<AbortSignal>();
    const listeners: number[] = [];
    const fetch: typeof globalThis.fetch = (input, init) => {
      const fetching = globalThis.fetch(input, init);
      // Node's fetch has added its listener by the time it returns.
      if (init?.signal) {
        signals.add(init.signal);
        listeners.push(getEventListeners(init.signal, "abort").length);
      }
      return fetching;
    };
    const watch = watchProcess();
    const runner = new AsyncHttpRunner({ fetch });
    const result = await runner.run(loopbackInvocation(server.origin, {}, { timeout_seconds: 600 }));
    await runner.close();
    await watch.stop();
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": String(POLLS) } });
    expect(Math.max(...listeners)).toBe(1);
    expect(signals.size).toBe(POLLS + 1);
    expect(watch.warnings).toEqual([]);
  });
});
