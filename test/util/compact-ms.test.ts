import { describe, expect, test } from "vitest";
import { compactMs, fullMs } from "../../src/util/compact-ms.js";

describe("compactMs", () => {
  test("keeps a whole millisecond near now as a small integer, and gives the time back", () => {
    const now = Date.now();
    const compact = compactMs(now);
    expect(typeof compact).toBe("number");
    expect(Math.abs(compact as number)).toBeLessThan(2 ** 31);
    expect(fullMs(compact)).toBe(now);
  });

  test("gives back exactly every time it is handed: fractions, far times, negative ones, and times outside a Date's range", () => {
    const times = [0, 1_000_000, 1.5, 0.1, 1_700_000_000_000.25, -1, -8.64e15, 8.64e15, 2 ** 53 + 2, -(2 ** 53) + 1, 1e300, -1e300, Infinity, -Infinity];
    for (const time of times) expect(fullMs(compactMs(time))).toBe(time);
    expect(Number.isNaN(fullMs(compactMs(Number.NaN)))).toBe(true);
  });

  test("boxes a time that is not a whole millisecond, which a small integer cannot hold", () => {
    expect(compactMs(1_700_000_000_000.5)).toEqual({ ms: 1_700_000_000_000.5 });
  });
});
