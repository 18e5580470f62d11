import type { Span } from "@opentelemetry/api";

/** Epoch milliseconds with sub-millisecond steps. */
export type Clock = () => number;

/**
 * A clock anchored to the wall clock once and stepped by the monotonic one.
 * Every time of one run (its span, its events, its request spans) is read
 * from the run's clock: left to the SDK, each span's start would be
 * `Date.now()`, in whole milliseconds, while its events are finer, so an
 * event and the start of a sibling request within the same millisecond
 * could show in the wrong order.
 */
export function anchoredClock(): Clock {
  const offset = Date.now() - performance.now();
  return () => offset + performance.now();
}

const runClocks = new WeakMap<Span, Clock>();

/** Records the clock of the run whose span is `span`. */
export function setRunClock(span: Span, clock: Clock): void {
  runClocks.set(span, clock);
}

/** The clock of the run whose span is `span`, or a new one for a request outside a traced run. */
export function runClock(span: Span | undefined): Clock {
  return (span === undefined ? undefined : runClocks.get(span)) ?? anchoredClock();
}
