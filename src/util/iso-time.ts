/** Epoch milliseconds from which `toISOString` writes a year of five digits or more (year 10000). */
const YEAR_10000_MS = 253_402_300_800_000;

/**
 * `YYYY-MM-DDTHH:MM:SS.` of the two seconds formatted last, in epoch seconds (NaN before the first calls): a
 * result's `started_at` and `finished_at` are of two seconds as soon as its run straddles one, and each finds
 * its own here (PERFORMANCE.md, "ISO timestamps once per second").
 */
let latestSecond = Number.NaN;
let latestPrefix = "";
let otherSecond = Number.NaN;
let otherPrefix = "";

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
  const millis = ms - second * 1000;
  return `${prefixOf(second)}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}

/** The prefix of `second`: one of the two kept, else formatted in place of the older. */
function prefixOf(second: number): string {
  if (second === latestSecond) return latestPrefix;
  if (second === otherSecond) return otherPrefix;
  otherSecond = latestSecond;
  otherPrefix = latestPrefix;
  latestSecond = second;
  latestPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  return latestPrefix;
}
