import { describe, expect, it } from "vitest";
import { AsyncHttpRunner } from "../../../src/runners/async-http/runner.js";
import { asyncInvocation } from "../../support/async-http.js";
import { fakeClock } from "../../support/fake-clock.js";
import { watchProcess } from "../../support/process-watch.js";

/** Ten times Node's default listener limit: a signal shared by the requests would warn after the tenth. */
const POLLS = 100;

describe(`${AsyncHttpRunner.name} with the fetch option`, () => {
  it("polls 100 times through a fetch that keeps its abort listeners, with no listener warning", async () => {
    // Node's fetch leaves its 'abort' listener on the signal it was given until garbage collection; so does this stub.
    const signals = new Set<AbortSignal>();
    let polls = 0;
    const fetch = async (_input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const signal = init?.signal ?? undefined;
      if (signal !== undefined && signal !== null) {
        signals.add(signal);
        signal.addEventListener("abort", () => undefined);
      }
      if (init?.method === "POST") return Response.json({ id: "1" }, { status: 202 });
      polls += 1;
      const done = polls === POLLS;
      return Response.json({ status: done ? "completed" : "running" }, { status: done ? 200 : 202, headers: { "retry-after": "0" } });
    };
    const clock = fakeClock();
    const watch = watchProcess();
    const result = await new AsyncHttpRunner({ fetch, sleep: clock.sleep, now: clock.now }).run(asyncInvocation({}, { timeout_seconds: 3600 }));
    await watch.stop();
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": String(POLLS) } });
    expect(signals.size).toBe(POLLS + 1);
    expect(watch.warnings).toEqual([]);
  });
});
