/** Epoch milliseconds from which `toISOString` writes a year of five digits or more (year 10000). */
const YEAR_10000_MS = 253_402_300_800_000;

/** The second `prefix` is of, in epoch seconds; NaN before the first call. */
let cachedSecond = Number.NaN;
/** `YYYY-MM-DDTHH:MM:SS.` of `cachedSecond`. */
let prefix = "";

/**
 * `new Date(epochMs).toISOString()`, with the date and time up to the second
 * formatted once per second: every result writes two timestamps, and
 * `toISOString` costs about half a microsecond each (PERFORMANCE.md, "ISO
 * timestamps once per second"). Throws as `toISOString` does for a time out
 * of a Date's range.
 */
export function isoTime(epochMs: number): string {
  if (!(epochMs >= 0 && epochMs < YEAR_10000_MS)) return new Date(epochMs).toISOString();
  const ms = Math.floor(epochMs);
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    prefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  const millis = ms - second * 1000;
  return `${prefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}
