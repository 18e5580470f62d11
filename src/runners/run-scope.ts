import type { StopSignal } from "../http/request-signal.js";

/** Why a run was stopped before it finished on its own. */
export type StopReason = "cancelled" | "timed_out";

/** setTimeout's largest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The stop callbacks of the live scopes of each caller signal. A dispatcher
 * may share one signal across thousands of runs: each signal gets a single
 * 'abort' listener, removed when its last scope is disposed, so a shared
 * signal never collects one listener per run (MaxListenersExceededWarning,
 * and O(n) removals).
 */
const scopesBySignal = new WeakMap<AbortSignal, Set<() => void>>();

function onSharedAbort(event: Event): void {
  const signal = event.target as AbortSignal;
  const stops = scopesBySignal.get(signal);
  scopesBySignal.delete(signal);
  for (const stop of stops ?? []) stop();
}

function watchSignal(signal: AbortSignal, stop: () => void): void {
  let stops = scopesBySignal.get(signal);
  if (stops === undefined) {
    stops = new Set();
    scopesBySignal.set(signal, stops);
    signal.addEventListener("abort", onSharedAbort, { once: true });
  }
  stops.add(stop);
}

function unwatchSignal(signal: AbortSignal, stop: () => void): void {
  const stops = scopesBySignal.get(signal);
  if (stops === undefined || !stops.delete(stop) || stops.size > 0) return;
  scopesBySignal.delete(signal);
  signal.removeEventListener("abort", onSharedAbort);
}

/** The timer callback of `RunScope.sleep`: a function of the module, so a wait creates no closure. */
function wakeScope(scope: RunScope): void {
  scope.wake();
}

/**
 * The lifetime of one run: stopped by the caller's signal or by the
 * deadline, whichever comes first, with a deadline timer that `dispose()`
 * clears. The scope is also the stop signal of the run's requests
 * (`requestSignal`): it keeps their 'abort' listeners itself, so a run needs
 * no AbortController unless something asks for a real AbortSignal
 * (`signal`). A run with neither a caller signal nor a deadline can never be
 * stopped, and its requests and waits get no signal at all.
 * (`AbortSignal.any` with `AbortSignal.timeout` is avoided on purpose: on
 * Node 20 the combined signal can be garbage-collected before it fires.)
 */
export class RunScope implements StopSignal {
  #controller: AbortController | undefined;
  /** The 'abort' listeners of the requests (and waits) in progress: one or two at a time. */
  #listeners: (() => void)[] | undefined;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #stopReason: StopReason | undefined;
  #sleepTimer: NodeJS.Timeout | undefined;
  #sleepResolve: (() => void) | undefined;
  /** Created only for a run with a caller signal. */
  readonly #onCallerAbort: (() => void) | undefined;

  /** Epoch milliseconds past which the run is `timed_out`; undefined for none. */
  readonly deadlineAtMs: number | undefined;

  constructor(options: { signal?: AbortSignal | undefined; deadlineAtMs?: number | undefined; now: () => number }) {
    this.#now = options.now;
    this.#callerSignal = options.signal;
    this.deadlineAtMs = options.deadlineAtMs;
    if (options.signal?.aborted) {
      this.#stop("cancelled");
      return;
    }
    if (options.signal !== undefined) {
      this.#onCallerAbort = () => this.#stop("cancelled");
      watchSignal(options.signal, this.#onCallerAbort);
    }
    if (this.deadlineAtMs !== undefined) this.#armDeadline();
  }

  /** An AbortSignal aborted when the caller aborts or the deadline passes, with the stop reason. Created on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#stopReason !== undefined) this.#controller.abort(this.#stopReason);
    }
    return this.#controller.signal;
  }

  /** The signal to pass to every request and wait (the scope itself); undefined when nothing can stop the run. */
  get requestSignal(): StopSignal | undefined {
    if (this.#callerSignal === undefined && this.deadlineAtMs === undefined && this.#stopReason === undefined) return undefined;
    return this;
  }

  /** Whether the run was stopped (StopSignal). */
  get aborted(): boolean {
    return this.#stopReason !== undefined;
  }

  /** The stop reason, "cancelled" or "timed_out", once stopped (StopSignal). */
  get reason(): StopReason | undefined {
    return this.#stopReason;
  }

  /** Calls `listener` once when the run stops (StopSignal); nothing for a stopped run, as with an aborted AbortSignal. */
  addEventListener(type: "abort", listener: () => void): void {
    if (type !== "abort" || this.#stopReason !== undefined) return;
    (this.#listeners ??= []).push(listener);
  }

  removeEventListener(type: "abort", listener: () => void): void {
    const listeners = this.#listeners;
    if (type !== "abort" || listeners === undefined) return;
    const index = listeners.lastIndexOf(listener);
    if (index !== -1) listeners.splice(index, 1);
  }

  /** How many 'abort' listeners are registered: one per request (or wait) in progress. */
  get listenerCount(): number {
    return this.#listeners?.length ?? 0;
  }

  /** Why the run was stopped, once it was. */
  get stopReason(): StopReason | undefined {
    return this.#stopReason;
  }

  /** Milliseconds left before the deadline (never negative); Infinity without one. */
  remainingMs(): number {
    if (this.deadlineAtMs === undefined) return Infinity;
    return Math.max(0, this.deadlineAtMs - this.#now());
  }

  /**
   * Stops the run as timed out when the deadline has passed by the injected
   * clock (the timer only covers real time); returns whether the run is stopped.
   */
  checkStopped(): boolean {
    if (this.#stopReason === undefined && this.deadlineAtMs !== undefined && this.#now() >= this.deadlineAtMs) {
      this.#stop("timed_out");
    }
    return this.#stopReason !== undefined;
  }

  /**
   * Waits `ms` on a timer that ends early when the run stops; undefined when
   * there is nothing to wait for. This is the default sleep of the HTTP
   * runners: the scope stops its own waits, so a wait adds no listener to
   * the signal and allocates nothing but its promise and timer, and the
   * scope lets go of both once the wait is over.
   */
  sleep(ms: number): Promise<void> | undefined {
    if (ms <= 0 || this.#stopReason !== undefined) return undefined;
    return new Promise<void>((resolve) => {
      this.#sleepResolve = resolve;
      this.#sleepTimer = setTimeout(wakeScope, ms, this);
    });
  }

  /** Ends the current wait, if there is one. */
  wake(): void {
    clearTimeout(this.#sleepTimer);
    this.#sleepTimer = undefined;
    const resolve = this.#sleepResolve;
    this.#sleepResolve = undefined;
    resolve?.();
  }

  /** Clears the timer and the listener on the caller's signal. Call it when the run ends. */
  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#callerSignal !== undefined && this.#onCallerAbort !== undefined) unwatchSignal(this.#callerSignal, this.#onCallerAbort);
  }

  #armDeadline(): void {
    const remaining = this.remainingMs();
    if (remaining <= 0) {
      this.#stop("timed_out");
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (remaining > MAX_TIMER_MS) this.#armDeadline();
      else this.#stop("timed_out");
    }, Math.min(remaining, MAX_TIMER_MS));
  }

  #stop(reason: StopReason): void {
    if (this.#stopReason !== undefined) return;
    this.#stopReason = reason;
    this.dispose();
    this.wake();
    const listeners = this.#listeners;
    this.#listeners = undefined;
    for (const listener of listeners ?? []) {
      try {
        listener();
      } catch (error) {
        // As an EventTarget does: the other listeners still run, and the error is not swallowed.
        process.nextTick(() => {
          throw error;
        });
      }
    }
    this.#controller?.abort(reason);
  }
}
