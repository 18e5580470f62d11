import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Wait } from "../../../src/runners/scope/wait.js";

describe(Wait.name, () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("resolves once its delay has passed, and not before", async () => {
    const wait = new Wait();
    let done = false;
    void wait.sleep(1_000)?.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("returns nothing to wait for at 0 ms or less, and starts no timer", () => {
    const wait = new Wait();
    expect([wait.sleep(0), wait.sleep(-5)]).toEqual([undefined, undefined]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("wake ends the wait at once and clears its timer", async () => {
    const wait = new Wait();
    const sleeping = wait.sleep(60_000);
    wait.wake();
    await expect(sleeping).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  test("wake without a wait does nothing, and the next wait still runs its full delay", async () => {
    const wait = new Wait();
    wait.wake();
    let done = false;
    void wait.sleep(500)?.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });

  test("is reused wait after wait, one timer at a time", async () => {
    const wait = new Wait();
    for (let i = 0; i < 3; i++) {
      const sleeping = wait.sleep(100);
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(100);
      await sleeping;
    }
    expect(vi.getTimerCount()).toBe(0);
  });
});
