import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Deadline } from "../../../src/runners/scope/deadline.js";

/** A clock the test moves by hand, and a deadline owner that counts its time-outs. */
function setup(startMs = 1_000_000) {
  let nowMs = startMs;
  const owner = { timeOuts: 0, timeOut: () => void (owner.timeOuts += 1) };
  return { now: () => nowMs, advance: (ms: number) => void (nowMs += ms), owner };
}

describe(Deadline.name, () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("times its owner out once, when its timer fires at the deadline", () => {
    const { now, owner } = setup();
    const start = now();
    vi.setSystemTime(start);
    new Deadline(start + 5_000, Date.now, owner);
    vi.advanceTimersByTime(4_999);
    expect(owner.timeOuts).toBe(0);
    vi.advanceTimersByTime(1);
    expect(owner.timeOuts).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("times its owner out at once when the deadline has already passed, with no timer", () => {
    const { now, owner } = setup();
    new Deadline(now() - 1, now, owner);
    expect(owner.timeOuts).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("reports the time left and whether it passed by the injected clock alone", () => {
    const { now, advance, owner } = setup();
    const deadline = new Deadline(now() + 10_000, now, owner);
    advance(4_000);
    expect([deadline.remainingMs(), deadline.passed()]).toEqual([6_000, false]);
    advance(60_000);
    expect([deadline.remainingMs(), deadline.passed()]).toEqual([0, true]);
    deadline.clear();
  });

  test("waits the time left again when its timer fires before the injected clock reaches the deadline", () => {
    const { now, advance, owner } = setup();
    new Deadline(now() + 1_000, now, owner);
    advance(400);
    vi.advanceTimersByTime(1_000);
    expect([owner.timeOuts, vi.getTimerCount()]).toEqual([0, 1]);
    advance(600);
    vi.advanceTimersByTime(599);
    expect(owner.timeOuts).toBe(0);
    vi.advanceTimersByTime(1);
    expect([owner.timeOuts, vi.getTimerCount()]).toEqual([1, 0]);
  });

  test("clear stops the timer for good", () => {
    const { now, owner } = setup();
    const deadline = new Deadline(now() + 1_000, now, owner);
    deadline.clear();
    vi.advanceTimersByTime(10_000);
    expect([owner.timeOuts, vi.getTimerCount()]).toEqual([0, 0]);
  });
});
