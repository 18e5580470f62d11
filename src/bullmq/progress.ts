import type { AcceptedEvent, RunEvent } from "../runners/runner.js";

/** A run event as job progress: the accepted event without its checkpoint, which carries the poll URL unredacted. */
export type ProgressEvent = Exclude<RunEvent, AcceptedEvent> | Omit<AcceptedEvent, "checkpoint">;

/**
 * The progress of an invocation job, updated on every runner event, so that
 * BullMQ dashboards show how far a run is.
 */
export interface InvocationProgress {
  /** The latest runner event. */
  readonly event: ProgressEvent;
  /** Poll requests answered so far in this attempt (a resumed run counts from 0 again). */
  readonly polls: number;
  /** The latest status the backend reported, once it reported one. */
  readonly lastStatus?: string;
}

/** Folds run events into job progress records. */
export function createProgressTracker(): (event: RunEvent) => InvocationProgress {
  let polls = 0;
  let lastStatus: string | undefined;
  return (event) => {
    if (event.type === "poll") {
      polls = Math.max(polls, event.attempt);
      if (event.status !== undefined) lastStatus = event.status;
    }
    if (event.type === "terminal") lastStatus = event.status;
    const shown: ProgressEvent = event.type === "accepted" ? { type: "accepted", elapsedMs: event.elapsedMs } : event;
    return lastStatus === undefined ? { event: shown, polls } : { event: shown, polls, lastStatus };
  };
}
