import { describe, expect, test, vi } from "vitest";
import { createEmitter } from "../../src/runners/events.js";
import type { RunEvent } from "../../src/runners/runner.js";

function silenceWarnings() {
  return vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
}

describe(createEmitter.name, () => {
  test("returns undefined when nobody listens, so no event object is built", () => {
    expect(createEmitter(undefined, () => 0, 0)).toBeUndefined();
  });

  test("delivers each event to the listener", () => {
    const events: RunEvent[] = [];
    const emit = createEmitter((event) => events.push(event), () => 0, 0);
    emit?.({ type: "kickoff", httpStatus: 202 });
    emit?.({ type: "wait", delayMs: 2000, source: "interval" });
    expect(events.map((event) => event.type)).toEqual(["kickoff", "wait"]);
  });

  test("stamps each event with the milliseconds since the run started", () => {
    let now = 1_000;
    const events: RunEvent[] = [];
    const emit = createEmitter((event) => events.push(event), () => now, 1_000);
    emit?.({ type: "kickoff", httpStatus: 202 });
    now = 3_500;
    emit?.({ type: "poll", attempt: 1, httpStatus: 200, status: "running" });
    expect(events).toEqual([
      { type: "kickoff", httpStatus: 202, elapsedMs: 0 },
      { type: "poll", attempt: 1, httpStatus: 200, status: "running", elapsedMs: 2_500 },
    ]);
  });

  test("does not let a throwing listener break the caller", () => {
    silenceWarnings();
    const emit = createEmitter(() => {
      throw new Error("logger down");
    }, () => 0, 0);
    expect(() => emit?.({ type: "kickoff", httpStatus: 202 })).not.toThrow();
  });

  test("emits one process warning however often the listener throws", () => {
    const emitWarning = silenceWarnings();
    const emit = createEmitter(() => {
      throw new Error("logger down");
    }, () => 0, 0);
    for (let attempt = 1; attempt <= 3; attempt++) emit?.({ type: "pending", attempt, httpStatus: 404 });
    expect(emitWarning).toHaveBeenCalledTimes(1);
    expect(emitWarning).toHaveBeenCalledWith("onEvent listener threw: logger down", { code: "EXECUTOR_RUNTIME_LISTENER" });
  });

  test("keeps delivering events after the listener threw once", () => {
    silenceWarnings();
    const seen: number[] = [];
    const emit = createEmitter((event) => {
      if (event.type === "retry") seen.push(event.attempt);
      if (seen.length === 1) throw new Error("first one fails");
    }, () => 0, 0);
    emit?.({ type: "retry", attempt: 1, error: "ECONNRESET" });
    emit?.({ type: "retry", attempt: 2, error: "ECONNRESET" });
    expect(seen).toEqual([1, 2]);
  });

  test("describes a thrown value that is not an Error in the warning", () => {
    const emitWarning = silenceWarnings();
    const emit = createEmitter(() => {
      throw "plain string";
    }, () => 0, 0);
    emit?.({ type: "cancel", httpStatus: 204 });
    expect(emitWarning).toHaveBeenCalledWith("onEvent listener threw: plain string", expect.anything());
  });
});
