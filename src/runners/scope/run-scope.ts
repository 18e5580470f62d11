import { untilAborted, type Sleep } from "../../http/timing.js";
import { abortSignalOf, type StopSignal } from "../../http/transport/request-signal.js";
import { unwatchSignal, watchSignal, type SignalWatcher } from "./caller-signal.js";
import { RunStopSignal, type KeptApart, type StopReason } from "./stop-signal.js";
import { timerQueue, type Timed } from "./timer-queue.js";
import { compactMs, fullMs, type CompactMs } from "../../util/compact-ms.js";

/**
 * What a scope holds apart, only for a run that has one: its caller and abandon signals (`abandoned` once the
 * abandon signal stopped the run), a clock other than `Date.now`, and the AbortController behind `signal`
 * (PERFORMANCE.md, "Signals held apart").
 */
interface Apart extends KeptApart {
  readonly caller: AbortSignal | undefined;
  readonly abandon: AbortSignal | undefined;
  abandoned: boolean;
  readonly now: () => number;
}

/** The system clock, the runners' default: a scope keeps any other clock apart. */
const systemNow = Date.now;

/** The scope every run shares that nothing can stop: see `RunScope.of`. */
let unbounded: RunScope | undefined;

/**
 * The lifetime of one run: its stop signal (`RunStopSignal`), stopped by the
 * caller's signal or by the deadline, whichever comes first, and its waits.
 * `dispose()` clears the deadline timer and lets go of the caller's signal. A
 * run with neither a caller signal nor a deadline can never be stopped, and
 * its requests and waits get no signal at all.
 *
 * The scope is its deadline's timer, on the process's one timer queue
 * (`Timed`), and checks the deadline by the injected clock too, since tests
 * and resumed runs move time without waiting for it (PERFORMANCE.md, "The
 * scope is its deadline"). (`AbortSignal.timeout` is avoided on purpose: on
 * Node 20 a signal combined from it with `AbortSignal.any` can be
 * garbage-collected before it fires.)
 */
export class RunScope extends RunStopSignal<Apart> implements Timed, SignalWatcher {
  /** The deadline's place on the timer queue (Timed). */
  queueIndex = -1;
  /** The deadline (see `deadlineAtMs`), as a small integer where it can be one. */
  readonly #deadline: CompactMs | undefined;
  /** What waits on the timer queue for the run (its run itself), woken early when the run stops. */
  #waiter: Timed | undefined;

  constructor(options: {
    signal?: AbortSignal | undefined;
    abandon?: AbortSignal | undefined;
    deadlineAtMs?: number | undefined;
    now: () => number;
  }) {
    super();
    const { signal, abandon, now } = options;
    if (signal !== undefined || abandon !== undefined || now !== systemNow) {
      const apart: Apart = (this.apart = { caller: signal, abandon, abandoned: abandon?.aborted === true, now, controller: undefined });
      if (signal?.aborted || apart.abandoned) {
        this.stop("cancelled");
        return;
      }
      if (abandon !== undefined) watchSignal(abandon, this);
      if (signal !== undefined) watchSignal(signal, this);
    }
    if (options.deadlineAtMs === undefined) return;
    this.#deadline = compactMs(options.deadlineAtMs);
    // Armed, or timed out at once when the deadline has passed.
    this.fire();
  }

  /** For a run with no signal and the system clock, once it needs an AbortController (RunStopSignal). */
  protected createApart(): Apart {
    return { caller: undefined, abandon: undefined, abandoned: false, now: systemNow, controller: undefined };
  }

  /**
   * The scope of a run: for a run that nothing can stop (no caller signal,
   * no abandon signal, no deadline), one scope that every such run shares,
   * since it holds nothing of the run's (PERFORMANCE.md, "One scope for the
   * runs nothing can stop").
   */
  static of(options: { signal?: AbortSignal | undefined; abandon?: AbortSignal | undefined; deadlineAtMs?: number | undefined; now: () => number }): RunScope {
    if (options.signal !== undefined || options.abandon !== undefined || options.deadlineAtMs !== undefined) return new RunScope(options);
    // Its clock is never read: it has no deadline.
    return (unbounded ??= new RunScope({ now: systemNow }));
  }

  /** Epoch milliseconds past which the run is `timed_out`; undefined for none (and for a run stopped at its start). */
  get deadlineAtMs(): number | undefined {
    const deadline = this.#deadline;
    return deadline === undefined ? undefined : fullMs(deadline);
  }

  /** The signal to pass to every request and wait (the scope itself); undefined when nothing can stop the run. */
  get requestSignal(): StopSignal | undefined {
    const apart = this.apart;
    return apart?.caller === undefined && apart?.abandon === undefined && this.#deadline === undefined && this.stopReason === undefined ? undefined : this;
  }

  /** Why the run was stopped, once it was: `abandoned` (it sends no cancel request), `cancelled` or `timed_out`. */
  get stopCause(): StopReason | "abandoned" | undefined {
    return this.apart?.abandoned === true ? "abandoned" : this.stopReason;
  }

  /** Whether the run was stopped by its abandon signal: it sends no cancel request. */
  get abandoned(): boolean {
    return this.apart?.abandoned === true;
  }

  /** A watched signal aborted (SignalWatcher): the run stops, abandoned when it was the abandon signal. */
  signalAborted(signal: AbortSignal): void {
    const apart = this.apart;
    if (apart === undefined) return;
    if (signal === apart.abandon) apart.abandoned = true;
    this.stop("cancelled");
  }

  /** Milliseconds left before the deadline (never negative); Infinity without one. */
  remainingMs(): number {
    const deadlineAtMs = this.deadlineAtMs;
    return deadlineAtMs === undefined ? Infinity : Math.max(0, deadlineAtMs - this.now());
  }

  /**
   * Stops the run as timed out when the deadline has passed by the injected
   * clock (the timer only covers real time); returns whether the run is stopped.
   */
  checkStopped(): boolean {
    if (this.stopReason !== undefined) return true;
    const deadlineAtMs = this.deadlineAtMs;
    if (deadlineAtMs !== undefined && this.now() >= deadlineAtMs) this.stop("timed_out");
    return this.stopReason !== undefined;
  }

  /** The run's clock: the injected one, kept apart, else the system's. */
  private now(): number {
    return (this.apart?.now ?? systemNow)();
  }

  /**
   * The scope's entry on the timer queue is due (Timed): the end of the run's wait, when one is pending (it stands
   * for the deadline while the run waits), else the deadline. Times the run out when the deadline has passed by the
   * injected clock, else waits for the time left; then the waiter goes on.
   */
  fire(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    const remaining = this.remainingMs();
    if (remaining <= 0) this.stop("timed_out");
    else timerQueue.add(this, remaining);
    waiter?.fire();
  }

  /**
   * Fires `waiter` once `ms` have passed, on the process's one timer queue,
   * or as soon as the run stops (in a microtask). The default sleep of the
   * HTTP runners: a wait adds no listener and allocates nothing. A scope
   * with a deadline moves its own entry to the wait's end, since a wait
   * never goes past the deadline (a longer one ends at it): a waiting run
   * holds one entry (PERFORMANCE.md, "One timer entry per waiting run").
   * False when there is nothing to wait for (0 ms or less, or a stopped run).
   */
  wait(ms: number, waiter: Timed): boolean {
    if (this.stopReason !== undefined || ms <= 0) return false;
    // A scope that nothing can stop wakes no one (and may be shared: see `of`).
    if (this.requestSignal !== undefined) this.#waiter = waiter;
    if (this.#deadline === undefined) timerQueue.add(waiter, ms);
    else timerQueue.add(this, Math.min(ms, this.remainingMs()));
    return true;
  }

  /**
   * Waits `ms` before the run's next request with the caller's `sleep`
   * (passed an AbortSignal, and left as soon as the run stops, whether or
   * not it listens); for every wait, 0 ms included.
   */
  pause(ms: number, sleep: Sleep): Promise<void> {
    const signal = this.requestSignal;
    return untilAborted(sleep(ms, abortSignalOf(signal)), signal).catch((error: unknown) => {
      // A sleep may reject when the run is aborted; any other rejection is a real error.
      if (signal?.aborted !== true) throw error;
    });
  }

  /** Ends the current wait on the timer queue, if there is one: its waiter fires in a microtask. */
  wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return;
    // A waiter on an entry of its own has left the queue once its timer fired; on the scope's entry, the
    // scope's `fire` let go of it then.
    if (waiter.queueIndex !== -1) timerQueue.remove(waiter);
    else if (this.#deadline === undefined) return;
    queueMicrotask(() => waiter.fire());
  }

  /** Clears the deadline timer and the listener on the caller's signal. Call it when the run ends. */
  dispose(): void {
    timerQueue.remove(this);
    const apart = this.apart;
    if (apart?.caller !== undefined) unwatchSignal(apart.caller, this);
    if (apart?.abandon !== undefined) unwatchSignal(apart.abandon, this);
  }

  /** Stops the run (see RunStopSignal.stop), then lets go of its timers and ends its wait. */
  override stop(reason: "cancelled" | "timed_out"): boolean {
    if (!super.stop(reason)) return false;
    this.dispose();
    this.wake();
    return true;
  }
}
