/** A run's scope, told when a signal it watches aborts. */
export interface SignalWatcher {
  signalAborted(signal: AbortSignal): void;
}

/**
 * The live runs watching each caller signal. A dispatcher
 * may share one signal across thousands of runs: each signal gets a single
 * 'abort' listener, removed when its last run lets go, so a shared signal
 * never collects one listener per run (MaxListenersExceededWarning, and O(n)
 * removals).
 */
const watchersBySignal = new WeakMap<AbortSignal, Set<SignalWatcher>>();

function onSharedAbort(event: Event): void {
  const signal = event.target as AbortSignal;
  const watchers = watchersBySignal.get(signal);
  watchersBySignal.delete(signal);
  for (const watcher of watchers ?? []) watcher.signalAborted(signal);
}

/**
 * Tells `watcher` once when `signal` aborts, until `unwatchSignal`. The watcher is the run's scope itself, so a run
 * holds no closure per signal (PERFORMANCE.md, "Signals held apart").
 */
export function watchSignal(signal: AbortSignal, watcher: SignalWatcher): void {
  let watchers = watchersBySignal.get(signal);
  if (watchers === undefined) {
    watchers = new Set();
    watchersBySignal.set(signal, watchers);
    signal.addEventListener("abort", onSharedAbort, { once: true });
  }
  watchers.add(watcher);
}

/** Forgets `watcher`; the signal's listener goes with its last watcher. */
export function unwatchSignal(signal: AbortSignal, watcher: SignalWatcher): void {
  const watchers = watchersBySignal.get(signal);
  if (watchers === undefined || !watchers.delete(watcher) || watchers.size > 0) return;
  watchersBySignal.delete(signal);
  signal.removeEventListener("abort", onSharedAbort);
}
