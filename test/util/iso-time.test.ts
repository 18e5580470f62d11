import { describe, expect, it, vi } from "vitest";
import { isoTime } from "../../src/util/iso-time.js";

describe("isoTime", () => {
  it("writes what toISOString writes, within one second and across seconds, for whole and fractional milliseconds", () => {
    const start = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
    const times = [0, 1, 999, 1000, 1.5, 86_399_999.9, start];
    for (let step = 0; step < 3000; step += 7) times.push(start + step, start + step + 0.25);
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });

  it("formats each of two seconds once when the times asked alternate between them, as a run's start and end do", () => {
    const started = Date.UTC(2031, 0, 1, 0, 0, 0, 5);
    const finished = started + 10_000;
    const format = vi.spyOn(Date.prototype, "toISOString");
    try {
      for (let run = 0; run < 50; run++) {
        expect(isoTime(started + run)).toBe(new Date(started + run).toISOString());
        expect(isoTime(finished + run)).toBe(new Date(finished + run).toISOString());
      }
      // Two of the library's own calls (one per second); the rest are the expectations'.
      expect(format).toHaveBeenCalledTimes(2 + 100);
    } finally {
      format.mockRestore();
    }
  });

  it("writes what toISOString writes before 1970 and from year 10000", () => {
    for (const ms of [-1, -1000.5, -62_198_755_200_000, 253_402_300_800_000, 253_402_300_799_999, 8.64e15]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("throws as toISOString does for a time out of a Date's range", () => {
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});
