/**
 * The stop callbacks of the live runs of each caller signal. A dispatcher
 * may share one signal across thousands of runs: each signal gets a single
 * 'abort' listener, removed when its last run lets go, so a shared signal
 * never collects one listener per run (MaxListenersExceededWarning, and O(n)
 * removals).
 */
const stopsBySignal = new WeakMap<AbortSignal, Set<() => void>>();

function onSharedAbort(event: Event): void {
  const signal = event.target as AbortSignal;
  const stops = stopsBySignal.get(signal);
  stopsBySignal.delete(signal);
  for (const stop of stops ?? []) stop();
}

/** Calls `stop` once when the caller's `signal` aborts, until `unwatchSignal`. */
export function watchSignal(signal: AbortSignal, stop: () => void): void {
  let stops = stopsBySignal.get(signal);
  if (stops === undefined) {
    stops = new Set();
    stopsBySignal.set(signal, stops);
    signal.addEventListener("abort", onSharedAbort, { once: true });
  }
  stops.add(stop);
}

/** Forgets `stop`; the signal's listener goes with its last watcher. */
export function unwatchSignal(signal: AbortSignal, stop: () => void): void {
  const stops = stopsBySignal.get(signal);
  if (stops === undefined || !stops.delete(stop) || stops.size > 0) return;
  stopsBySignal.delete(signal);
  signal.removeEventListener("abort", onSharedAbort);
}
