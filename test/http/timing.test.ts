import { describe, expect, test } from "vitest";
import { MAX_WAIT_MS, clampWaitMs, intervalDelayMs, parseRetryAfterMs } from "../../src/http/timing.js";

const policy = (pollIntervalSeconds: number, pollBackoff = 1, pollMaxIntervalSeconds?: number) => ({
  pollIntervalSeconds,
  pollBackoff,
  pollMaxIntervalSeconds,
});

describe(intervalDelayMs.name, () => {
  test("counts decimal seconds in whole milliseconds, for the interval and the cap", () => {
    expect(intervalDelayMs(policy(0.5), 1)).toBe(500);
    expect(intervalDelayMs(policy(0.0004), 1)).toBe(0);
    expect(intervalDelayMs(policy(1, 2, 1.1), 3)).toBe(1100);
  });

  test("keeps a cap that rounds to 0 ms at 1 ms, so polling never spins", () => {
    expect(intervalDelayMs(policy(0, 2, 0.0004), 1)).toBe(0);
    expect(intervalDelayMs(policy(0.0001, 10, 0.0004), 4)).toBe(0);
    expect(intervalDelayMs(policy(1, 2, 0.0004), 1)).toBe(1);
  });

  test("grows each wait by the backoff factor and never past the longest wait", () => {
    expect([1, 2, 3, 4].map((n) => intervalDelayMs(policy(1, 3), n))).toEqual([1000, 3000, 9000, 27_000]);
    expect(intervalDelayMs(policy(1, 10), 40)).toBe(MAX_WAIT_MS);
  });
});

describe(parseRetryAfterMs.name, () => {
  test.each([
    ["7", 7000],
    [" 0 ", 0],
    ["Thu, 01 Jan 2026 00:00:30 GMT", 30_000],
    ["Wed, 31 Dec 2025 23:59:00 GMT", 0],
    ["soon", undefined],
    [undefined, undefined],
  ])("reads %j as %j ms", (value, expected) => {
    expect(parseRetryAfterMs(value, () => Date.UTC(2026, 0, 1))).toBe(expected);
  });
});

describe(clampWaitMs.name, () => {
  test("bounds a wait by the time left and by the longest wait, in whole milliseconds", () => {
    expect([clampWaitMs(5000, 2000.2), clampWaitMs(1e15, Infinity), clampWaitMs(-3, 100), clampWaitMs(0.2, 100)]).toEqual([
      2001,
      MAX_WAIT_MS,
      0,
      1,
    ]);
  });
});
