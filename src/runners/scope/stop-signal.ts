import type { StopListener, StopSignal } from "../../http/transport/request-signal.js";

/** Why a run was stopped before it finished on its own. */
export type StopReason = "cancelled" | "timed_out";

/** What a stop signal keeps apart from its own fields (see `RunStopSignal.apart`). */
export interface KeptApart {
  /** The AbortController behind `signal`, once something asked for it. */
  controller: AbortController | undefined;
}

/**
 * The stop signal of one run, handed to each of its requests and waits. It
 * keeps their 'abort' listeners itself, so a run needs no AbortController
 * unless something asks for a real AbortSignal (`signal`): see PERFORMANCE.md,
 * "The run is its requests' stop signal".
 */
export abstract class RunStopSignal<Apart extends KeptApart = KeptApart> implements StopSignal {
  #reason: StopReason | undefined;
  /**
   * The 'abort' listeners of the requests in progress: one or two at a time, and one alone with no array
   * (PERFORMANCE.md, "A response that listens as itself").
   */
  #listeners: StopListener | StopListener[] | undefined;
  /**
   * What few runs have, created only for one that has it: the AbortController, and what the subclass keeps
   * with it (PERFORMANCE.md, "Fewer fields per run").
   */
  protected apart: Apart | undefined;

  /** A new `apart`, for a run that had none when it first needed one. */
  protected abstract createApart(): Apart;

  /** Whether the run was stopped. */
  get aborted(): boolean {
    return this.#reason !== undefined;
  }

  /** The stop reason, "cancelled" or "timed_out", once stopped. */
  get reason(): StopReason | undefined {
    return this.#reason;
  }

  /** Why the run was stopped, once it was. */
  get stopReason(): StopReason | undefined {
    return this.#reason;
  }

  /** An AbortSignal aborted with the stop reason when the run stops. Created on first use. */
  get signal(): AbortSignal {
    const apart = (this.apart ??= this.createApart());
    if (apart.controller === undefined) {
      apart.controller = new AbortController();
      if (this.#reason !== undefined) apart.controller.abort(this.#reason);
    }
    return apart.controller.signal;
  }

  /** Calls `listener` once when the run stops; nothing for a stopped run, as with an aborted AbortSignal. */
  addEventListener(type: "abort", listener: StopListener): void {
    if (type !== "abort" || this.#reason !== undefined) return;
    const listeners = this.#listeners;
    if (listeners === undefined) this.#listeners = listener;
    else if (Array.isArray(listeners)) listeners.push(listener);
    else this.#listeners = [listeners, listener];
  }

  removeEventListener(type: "abort", listener: StopListener): void {
    const listeners = this.#listeners;
    if (type !== "abort" || listeners === undefined) return;
    if (!Array.isArray(listeners)) {
      if (listeners === listener) this.#listeners = undefined;
      return;
    }
    const index = listeners.lastIndexOf(listener);
    if (index !== -1) listeners.splice(index, 1);
    // A waiting run keeps no array (PERFORMANCE.md, "Created on first use").
    if (listeners.length === 0) this.#listeners = undefined;
  }

  /** How many 'abort' listeners are registered: one per request in progress. */
  get listenerCount(): number {
    const listeners = this.#listeners;
    return listeners === undefined ? 0 : Array.isArray(listeners) ? listeners.length : 1;
  }

  /**
   * Stops the run: sets the reason, calls each listener once, then aborts the
   * AbortSignal if one was handed out. The first reason wins; returns false
   * when the run was already stopped.
   */
  stop(reason: StopReason): boolean {
    if (this.#reason !== undefined) return false;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    for (const listener of listeners === undefined ? [] : Array.isArray(listeners) ? listeners : [listeners]) {
      try {
        if (typeof listener === "function") listener();
        else listener.handleEvent();
      } catch (error) {
        // As an EventTarget does: the other listeners still run, and the error is not swallowed.
        process.nextTick(() => {
          throw error;
        });
      }
    }
    this.apart?.controller?.abort(reason);
    return true;
  }
}
