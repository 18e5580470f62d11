/** The whole millisecond that compact times count from: when the module loaded. */
const BASE_MS = Date.now();

/**
 * Epoch milliseconds as a run keeps them in a field: a whole number of
 * milliseconds (what `Date.now()` gives) as its distance from `BASE_MS`, a
 * small integer that V8 holds in the field itself for the first 24 days of a
 * process, where the time itself (about 1.8e12) would be a heap number of 16
 * bytes of its own (PERFORMANCE.md, "Times as small integers"); any other
 * time, a fraction from an injected clock say, boxed as it is.
 */
export type CompactMs = number | { readonly ms: number };

/** `ms` as a run keeps it; `fullMs` gives it back exactly. */
export function compactMs(ms: number): CompactMs {
  const distance = ms - BASE_MS;
  return Number.isInteger(distance) && distance + BASE_MS === ms ? distance : { ms };
}

/** The epoch milliseconds a `CompactMs` stands for. */
export function fullMs(compact: CompactMs): number {
  return typeof compact === "number" ? compact + BASE_MS : compact.ms;
}
