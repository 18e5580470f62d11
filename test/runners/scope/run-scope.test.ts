import { getEventListeners } from "node:events";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { RunScope } from "../../../src/runners/scope/run-scope.js";
import { timerQueue } from "../../../src/runners/scope/timer-queue.js";

const MAX_TIMER_MS = 2 ** 31 - 1;

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/** A clock the test moves by hand. */
function fakeClock(startMs = 1_000_000) {
  let nowMs = startMs;
  return { now: () => nowMs, advance: (ms: number) => void (nowMs += ms) };
}

const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

describe(RunScope.name, () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("runs unbounded without a deadline or a caller signal", () => {
    const scope = new RunScope({ now: fakeClock().now });
    expect([scope.signal.aborted, scope.stopReason, scope.remainingMs(), scope.checkStopped()]).toEqual([false, undefined, Infinity, false]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("counts the remaining time down by the injected clock", () => {
    const clock = fakeClock();
    const scope = new RunScope({ now: clock.now, deadlineAtMs: clock.now() + 5_000 });
    clock.advance(1_500);
    expect(scope.remainingMs()).toBe(3_500);
    scope.dispose();
  });

  test("never reports negative remaining time", () => {
    const clock = fakeClock();
    const scope = new RunScope({ now: clock.now, deadlineAtMs: clock.now() + 10 });
    clock.advance(60_000);
    expect(scope.remainingMs()).toBe(0);
    scope.dispose();
  });

  test("is cancelled when the caller aborts, leaving no timer behind", () => {
    const clock = fakeClock();
    const caller = new AbortController();
    const scope = new RunScope({ now: clock.now, signal: caller.signal, deadlineAtMs: clock.now() + 60_000 });
    caller.abort();
    expect([scope.stopReason, scope.signal.aborted, scope.signal.reason]).toEqual(["cancelled", true, "cancelled"]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("is cancelled at once when the caller's signal is already aborted", () => {
    const clock = fakeClock();
    const scope = new RunScope({ now: clock.now, signal: AbortSignal.abort(), deadlineAtMs: clock.now() + 60_000 });
    expect([scope.stopReason, scope.signal.aborted, scope.checkStopped()]).toEqual(["cancelled", true, true]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("checkStopped times the run out once the injected clock passes the deadline", () => {
    const clock = fakeClock();
    const scope = new RunScope({ now: clock.now, deadlineAtMs: clock.now() + 5_000 });
    clock.advance(4_999);
    expect(scope.checkStopped()).toBe(false);
    clock.advance(1);
    expect([scope.checkStopped(), scope.stopReason, scope.signal.reason]).toEqual([true, "timed_out", "timed_out"]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("is timed out at once when the deadline has already passed", () => {
    const clock = fakeClock();
    const scope = new RunScope({ now: clock.now, deadlineAtMs: clock.now() - 1 });
    expect([scope.stopReason, scope.signal.aborted]).toEqual(["timed_out", true]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("times the run out when the deadline timer fires", () => {
    const scope = new RunScope({ now: () => Date.now(), deadlineAtMs: Date.now() + 3_000 });
    vi.advanceTimersByTime(2_999);
    expect(scope.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect([scope.stopReason, scope.signal.aborted, vi.getTimerCount()]).toEqual(["timed_out", true, 0]);
  });

  test("waits the time left again when its deadline timer fires before the injected clock reaches the deadline", () => {
    const clock = fakeClock();
    const scope = new RunScope({ now: clock.now, deadlineAtMs: clock.now() + 1_000 });
    clock.advance(400);
    vi.advanceTimersByTime(1_000);
    expect([scope.stopReason, vi.getTimerCount()]).toEqual([undefined, 1]);
    clock.advance(600);
    vi.advanceTimersByTime(599);
    expect(scope.stopReason).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect([scope.stopReason, vi.getTimerCount()]).toEqual(["timed_out", 0]);
  });

  test("has no deadline when it is stopped at its start, and arms no timer", () => {
    const clock = fakeClock();
    const scope = new RunScope({ now: clock.now, signal: AbortSignal.abort(), deadlineAtMs: clock.now() + 60_000 });
    expect([scope.deadlineAtMs, scope.remainingMs(), vi.getTimerCount()]).toEqual([undefined, Infinity, 0]);
  });

  test("does not fire early for a deadline beyond the largest timer delay", () => {
    const scope = new RunScope({ now: () => Date.now(), deadlineAtMs: Date.now() + MAX_TIMER_MS + 60_000 });
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect([scope.signal.aborted, vi.getTimerCount()]).toEqual([false, 1]);
    vi.advanceTimersByTime(60_000);
    expect(scope.stopReason).toBe("timed_out");
  });

  test("keeps the first stop reason when the deadline passes after a cancel", () => {
    const clock = fakeClock();
    const caller = new AbortController();
    const scope = new RunScope({ now: clock.now, signal: caller.signal, deadlineAtMs: clock.now() + 1_000 });
    caller.abort();
    clock.advance(5_000);
    expect([scope.checkStopped(), scope.stopReason]).toEqual([true, "cancelled"]);
  });

  test("keeps the first stop reason when the caller aborts after the deadline", () => {
    const caller = new AbortController();
    const scope = new RunScope({ now: () => Date.now(), signal: caller.signal, deadlineAtMs: Date.now() + 1_000 });
    vi.advanceTimersByTime(1_000);
    caller.abort();
    expect(scope.stopReason).toBe("timed_out");
  });

  test("removes its listener from the caller's signal when it stops", () => {
    const caller = new AbortController();
    const scope = new RunScope({ now: () => Date.now(), signal: caller.signal, deadlineAtMs: Date.now() + 1_000 });
    expect(abortListeners(caller.signal)).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect([scope.stopReason, abortListeners(caller.signal)]).toEqual(["timed_out", 0]);
  });

  test("stops as abandoned when its abandon signal aborts, and as cancelled when the caller's does", () => {
    const [caller, abandon, otherAbandon] = [new AbortController(), new AbortController(), new AbortController()];
    const abandoned = new RunScope({ now: fakeClock().now, signal: caller.signal, abandon: abandon.signal });
    abandon.abort();
    const cancelled = new RunScope({ now: fakeClock().now, signal: caller.signal, abandon: otherAbandon.signal });
    caller.abort();
    expect([abandoned.stopCause, abandoned.abandoned, cancelled.stopCause, cancelled.abandoned]).toEqual(["abandoned", true, "cancelled", false]);
    expect([abortListeners(caller.signal), abortListeners(otherAbandon.signal)]).toEqual([0, 0]);
  });

  test("stops as abandoned when one signal is both its caller's and its abandon signal", () => {
    const both = new AbortController();
    const scope = new RunScope({ now: fakeClock().now, signal: both.signal, abandon: both.signal });
    expect(abortListeners(both.signal)).toBe(1);
    both.abort();
    expect([scope.stopCause, abortListeners(both.signal)]).toEqual(["abandoned", 0]);
  });

  test("dispose removes the caller-signal listener and clears the timer", () => {
    const clock = fakeClock();
    const caller = new AbortController();
    const scope = new RunScope({ now: clock.now, signal: caller.signal, deadlineAtMs: clock.now() + 60_000 });
    scope.dispose();
    expect([abortListeners(caller.signal), vi.getTimerCount()]).toEqual([0, 0]);
  });

  test("adds one listener to a caller signal that many runs share", () => {
    const caller = new AbortController();
    const scopes = Array.from({ length: 50 }, () => new RunScope({ now: fakeClock().now, signal: caller.signal }));
    expect(abortListeners(caller.signal)).toBe(1);
    caller.abort();
    expect(scopes.every((scope) => scope.stopReason === "cancelled")).toBe(true);
  });

  test("removes the shared listener when the last run on the signal is disposed", () => {
    const caller = new AbortController();
    const [first, second] = [new RunScope({ now: fakeClock().now, signal: caller.signal }), new RunScope({ now: fakeClock().now, signal: caller.signal })];
    first.dispose();
    expect(abortListeners(caller.signal)).toBe(1);
    second.dispose();
    expect(abortListeners(caller.signal)).toBe(0);
  });

  test("ignores a caller abort after dispose", () => {
    const caller = new AbortController();
    const scope = new RunScope({ now: fakeClock().now, signal: caller.signal });
    scope.dispose();
    caller.abort();
    expect([scope.stopReason, scope.signal.aborted]).toEqual([undefined, false]);
  });

  test("can be disposed twice", () => {
    const scope = new RunScope({ now: fakeClock().now, deadlineAtMs: 1_000_500 });
    scope.dispose();
    expect(() => scope.dispose()).not.toThrow();
  });

  test("listens to a shared signal again once its last scope released it", () => {
    const caller = new AbortController();
    new RunScope({ now: fakeClock().now, signal: caller.signal }).dispose();
    const later = new RunScope({ now: fakeClock().now, signal: caller.signal });
    expect(abortListeners(caller.signal)).toBe(1);
    caller.abort();
    expect([later.stopReason, abortListeners(caller.signal)]).toEqual(["cancelled", 0]);
  });

  test("cancels every live scope of a shared signal when it aborts, and none that was disposed", () => {
    const caller = new AbortController();
    const [disposed, ...live] = Array.from({ length: 3 }, () => new RunScope({ now: fakeClock().now, signal: caller.signal }));
    disposed?.dispose();
    caller.abort();
    expect(live.map((scope) => scope.stopReason)).toEqual(["cancelled", "cancelled"]);
    expect([disposed?.stopReason, abortListeners(caller.signal)]).toEqual([undefined, 0]);
  });
});

describe("RunScope as the stop signal of its requests", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  test("is what requests get for a run with a deadline or a caller signal, and nothing otherwise", () => {
    const clock = fakeClock();
    const bounded = new RunScope({ now: clock.now, deadlineAtMs: clock.now() + 1_000 });
    const caller = new RunScope({ now: clock.now, signal: new AbortController().signal });
    expect([bounded.requestSignal, caller.requestSignal]).toEqual([bounded, caller]);
    expect(new RunScope({ now: clock.now }).requestSignal).toBeUndefined();
    bounded.dispose();
    caller.dispose();
  });

  test("calls each abort listener once when the deadline passes, with aborted and reason already set", () => {
    const scope = new RunScope({ now: () => Date.now(), deadlineAtMs: Date.now() + 1_000 });
    const seen: unknown[] = [];
    scope.addEventListener("abort", () => seen.push(["first", scope.aborted, scope.reason]));
    scope.addEventListener("abort", () => seen.push(["second", scope.aborted, scope.reason]));
    expect([scope.aborted, scope.reason, scope.listenerCount]).toEqual([false, undefined, 2]);
    vi.advanceTimersByTime(1_000);
    expect(seen).toEqual([
      ["first", true, "timed_out"],
      ["second", true, "timed_out"],
    ]);
    expect(scope.listenerCount).toBe(0);
  });

  test("does not call a listener that was removed, nor add one once stopped", () => {
    const caller = new AbortController();
    const scope = new RunScope({ now: fakeClock().now, signal: caller.signal });
    const removed = vi.fn();
    const kept = vi.fn();
    scope.addEventListener("abort", removed);
    scope.addEventListener("abort", kept);
    scope.removeEventListener("abort", removed);
    expect(scope.listenerCount).toBe(1);
    caller.abort();
    const late = vi.fn();
    scope.addEventListener("abort", late);
    expect([removed.mock.calls.length, kept.mock.calls.length, late.mock.calls.length, scope.listenerCount]).toEqual([0, 1, 0, 0]);
  });

  test("calls the handleEvent of an object listener once when the run stops, alone or beside a function, and removes it", () => {
    const caller = new AbortController();
    const scope = new RunScope({ now: fakeClock().now, signal: caller.signal });
    const alone = { handleEvent: vi.fn() };
    scope.addEventListener("abort", alone);
    expect(scope.listenerCount).toBe(1);
    scope.removeEventListener("abort", alone);
    expect(scope.listenerCount).toBe(0);
    const listening = { handleEvent: vi.fn() };
    const fn = vi.fn();
    scope.addEventListener("abort", listening);
    scope.addEventListener("abort", fn);
    scope.removeEventListener("abort", { handleEvent: vi.fn() });
    expect(scope.listenerCount).toBe(2);
    caller.abort();
    expect([alone.handleEvent.mock.calls.length, listening.handleEvent.mock.calls.length, fn.mock.calls.length, scope.listenerCount]).toEqual([0, 1, 1, 0]);
  });

  test("hands out an AbortSignal first asked for after the stop already aborted, with the stop reason", () => {
    const clock = fakeClock();
    const scope = new RunScope({ now: clock.now, deadlineAtMs: clock.now() + 1_000 });
    clock.advance(1_000);
    expect(scope.checkStopped()).toBe(true);
    expect([scope.signal.aborted, scope.signal.reason]).toEqual([true, "timed_out"]);
  });

  test("aborts an AbortSignal handed out before the stop", () => {
    const caller = new AbortController();
    const scope = new RunScope({ now: fakeClock().now, signal: caller.signal });
    const { signal } = scope;
    caller.abort();
    expect([signal.aborted, signal.reason]).toEqual([true, "cancelled"]);
  });

  test("still calls the other listeners when one throws, and rethrows that error on the next tick", () => {
    const deferred: (() => void)[] = [];
    const defer = (callback: () => void): void => void deferred.push(callback);
    vi.spyOn(process, "nextTick").mockImplementation(defer as typeof process.nextTick);
    const caller = new AbortController();
    const scope = new RunScope({ now: fakeClock().now, signal: caller.signal });
    const after = vi.fn();
    scope.addEventListener("abort", () => {
      throw new Error("listener broke");
    });
    scope.addEventListener("abort", after);
    caller.abort();
    expect(after).toHaveBeenCalledOnce();
    expect(deferred).toHaveLength(1);
    expect(() => deferred[0]?.()).toThrow("listener broke");
  });

  describe("wait", () => {
    /** A waiter that counts how often it fired. */
    const waiter = () => ({ queueIndex: -1, fired: 0, fire() { this.fired += 1; } });

    test("fires its waiter once the delay has passed, and not before, on one timer", async () => {
      const scope = new RunScope({ now: fakeClock().now });
      const run = waiter();
      expect(scope.wait(1_000, run)).toBe(true);
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(999);
      expect(run.fired).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect([run.fired, vi.getTimerCount()]).toEqual([1, 0]);
    });

    test("has nothing to wait for at 0 ms or less, or once the run is stopped, and starts no timer", () => {
      const caller = new AbortController();
      const scope = new RunScope({ now: fakeClock().now, signal: caller.signal });
      const run = waiter();
      expect([scope.wait(0, run), scope.wait(-5, run)]).toEqual([false, false]);
      caller.abort();
      expect(scope.wait(1_000, run)).toBe(false);
      expect([run.fired, vi.getTimerCount()]).toEqual([0, 0]);
    });

    test("wakes its waiter in a microtask when the run stops, and clears the timer", async () => {
      const caller = new AbortController();
      const scope = new RunScope({ now: fakeClock().now, signal: caller.signal });
      const run = waiter();
      scope.wait(60_000, run);
      caller.abort();
      expect([run.fired, vi.getTimerCount()]).toEqual([0, 0]);
      await Promise.resolve();
      expect(run.fired).toBe(1);
    });

    test("does not wake a waiter whose timer has fired when the run stops later", async () => {
      const caller = new AbortController();
      const scope = new RunScope({ now: fakeClock().now, signal: caller.signal });
      const run = waiter();
      scope.wait(100, run);
      await vi.advanceTimersByTimeAsync(100);
      caller.abort();
      await Promise.resolve();
      expect(run.fired).toBe(1);
    });

    test("with a deadline, waits on the scope's own timer entry: a waiting run holds one entry, and the deadline's comes back after the wait", async () => {
      const scope = new RunScope({ now: Date.now, deadlineAtMs: Date.now() + 60_000 });
      const run = waiter();
      expect(timerQueue.size).toBe(1);
      expect(scope.wait(1_000, run)).toBe(true);
      expect([timerQueue.size, run.queueIndex]).toEqual([1, -1]);
      await vi.advanceTimersByTimeAsync(999);
      expect(run.fired).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect([run.fired, timerQueue.size, scope.remainingMs()]).toEqual([1, 1, 59_000]);
      await vi.advanceTimersByTimeAsync(59_000);
      expect([scope.stopReason, run.fired, timerQueue.size]).toEqual(["timed_out", 1, 0]);
    });

    test("with a deadline, ends a wait longer than the time left at the deadline, the run timed out", async () => {
      const scope = new RunScope({ now: Date.now, deadlineAtMs: Date.now() + 500 });
      const run = waiter();
      expect(scope.wait(1_000, run)).toBe(true);
      await vi.advanceTimersByTimeAsync(500);
      expect([run.fired, scope.stopReason, timerQueue.size]).toEqual([1, "timed_out", 0]);
    });

    test("with a deadline, wakes its waiter in a microtask when the caller cancels during the wait, leaving no entry", async () => {
      const caller = new AbortController();
      const scope = new RunScope({ now: Date.now, signal: caller.signal, deadlineAtMs: Date.now() + 60_000 });
      const run = waiter();
      scope.wait(10_000, run);
      caller.abort();
      expect([run.fired, timerQueue.size]).toEqual([0, 0]);
      await Promise.resolve();
      expect([run.fired, scope.stopReason]).toEqual([1, "cancelled"]);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(run.fired).toBe(1);
    });
  });

  describe("of", () => {
    test("shares one scope among the runs nothing can stop, and gives any other run its own", () => {
      const now = fakeClock().now;
      const shared = RunScope.of({ now });
      expect(RunScope.of({ now: () => 0 })).toBe(shared);
      expect([shared.requestSignal, shared.remainingMs(), shared.checkStopped()]).toEqual([undefined, Infinity, false]);
      const own = [RunScope.of({ now, signal: new AbortController().signal }), RunScope.of({ now, abandon: new AbortController().signal }), RunScope.of({ now, deadlineAtMs: now() + 1_000 })];
      for (const scope of own) expect(scope).not.toBe(shared);
      for (const scope of own) scope.dispose();
    });

    test("holds no run once its wait is over: a run that waited on the shared scope can be collected", async () => {
      const shared = RunScope.of({ now: fakeClock().now });
      // Built in a function of its own, so that no local variable of the test keeps the run alive.
      let fired = 0;
      const run = (() => {
        const waiter = { queueIndex: -1, fire: () => void (fired += 1) };
        expect(shared.wait(100, waiter)).toBe(true);
        return new WeakRef(waiter);
      })();
      await vi.advanceTimersByTimeAsync(100);
      expect(fired).toBe(1);
      collectGarbage();
      expect(run.deref()).toBeUndefined();
    });
  });
});
