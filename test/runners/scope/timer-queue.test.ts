import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { timerQueue, type Timed } from "../../../src/runners/scope/timer-queue.js";

/** An entry that records when it fired, by the fake clock. */
function entry(name: string, fired: string[]): Timed {
  return { queueIndex: -1, fire: () => void fired.push(`${name}@${Math.round(performance.now())}`) };
}

describe("timerQueue", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("fires entries in the order they are due, on one Node timer", () => {
    const fired: string[] = [];
    const start = performance.now();
    for (const [name, ms] of [["c", 300], ["a", 100], ["d", 400], ["b", 200]] as const) timerQueue.add(entry(name, fired), ms);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(400);
    expect(fired.map((line) => line.replace(/@\d+/, ""))).toEqual(["a", "b", "c", "d"]);
    expect(fired.map((line) => Number(line.split("@")[1]) - start)).toEqual([100, 200, 300, 400]);
    expect([timerQueue.size, vi.getTimerCount()]).toEqual([0, 0]);
  });

  test("fires a thousand entries in the order they are due, a third removed, as the queue grows and shrinks", () => {
    const fired: string[] = [];
    const delays = Array.from({ length: 1000 }, (_, i) => 1 + ((i * 7919) % 1000));
    const entries = delays.map((ms) => entry(String(ms), fired));
    entries.forEach((queued, i) => timerQueue.add(queued, delays[i] ?? 0));
    entries.forEach((queued, i) => i % 3 === 0 && timerQueue.remove(queued));
    vi.advanceTimersByTime(1001);
    const due = fired.map((line) => Number(line.replace(/@\d+/, "")));
    expect(due).toEqual([...due].sort((a, b) => a - b));
    expect([due.length, timerQueue.size, vi.getTimerCount()]).toEqual([666, 0, 0]);
  });

  test("never fires a removed entry, and clears its timer once the queue is empty", () => {
    const fired: string[] = [];
    const first = entry("first", fired);
    const second = entry("second", fired);
    timerQueue.add(first, 100);
    timerQueue.add(second, 200);
    timerQueue.remove(first);
    timerQueue.remove(first);
    vi.advanceTimersByTime(150);
    expect(fired).toEqual([]);
    timerQueue.remove(second);
    expect([timerQueue.size, vi.getTimerCount()]).toEqual([0, 0]);
  });

  test("keeps the heap in order through many adds and removes", () => {
    const fired: string[] = [];
    const entries = Array.from({ length: 200 }, (_, i) => entry(String(i), fired));
    entries.forEach((item, i) => timerQueue.add(item, ((i * 7919) % 200) + 1));
    for (const item of entries.filter((_, i) => i % 3 === 0)) timerQueue.remove(item);
    vi.advanceTimersByTime(201);
    const times = fired.map((line) => Number(line.split("@")[1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(fired).toHaveLength(200 - 67);
  });

  test("moves an entry added again instead of queueing it twice", () => {
    const fired: string[] = [];
    const item = entry("x", fired);
    timerQueue.add(item, 100);
    timerQueue.add(item, 300);
    vi.advanceTimersByTime(300);
    expect(fired).toEqual(["x@300"]);
  });

  test("lets an entry queue another while it fires, and still fires the others when one throws", () => {
    const fired: string[] = [];
    const rethrown: (() => void)[] = [];
    const nextTick = vi.spyOn(process, "nextTick").mockImplementation(((callback: () => void) => void rethrown.push(callback)) as typeof process.nextTick);
    const later = entry("later", fired);
    timerQueue.add({ queueIndex: -1, fire: () => timerQueue.add(later, 50) }, 10);
    timerQueue.add(
      {
        queueIndex: -1,
        fire: () => {
          throw new Error("broken entry");
        },
      },
      10,
    );
    timerQueue.add(entry("same time", fired), 10);
    vi.advanceTimersByTime(60);
    nextTick.mockRestore();
    expect(fired).toEqual(["same time@10", "later@60"]);
    expect(rethrown).toHaveLength(1);
    expect(() => rethrown[0]!()).toThrow("broken entry");
  });
});
