import type { RequestSignal } from "./request-signal.js";
import { toTransportError } from "./transport-error.js";
import type { Receiver, TransportResponse } from "./transport.js";

/** What `deliverLater` hands over. */
export interface Deliverable {
  deliver(): void;
}

/** What is due to be handed over, in `due[0..count)`; the list keeps its room between turns, up to `KEPT_ROOM`. */
const due: (Deliverable | undefined)[] = [];
let count = 0;
const KEPT_ROOM = 1024;
let scheduled = false;
/**
 * The check phase's scheduler as the process had it when this module loaded: fake timers a test installs later
 * (vitest's and Jest's fake `setImmediate` too) do not hold the answers of a run back.
 */
const inCheckPhase = setImmediate;

/**
 * Calls `item.deliver()` later, in the event loop's check phase. Batched:
 * every answer that arrives in one turn of the event loop, whatever socket it
 * came on, is handed over by one pass, after the turn's input is read, and none
 * costs a promise or a closure (PERFORMANCE.md, "Answers without promises",
 * "Answers handed over once a turn"). Later, not at once: a receiver sends its
 * next request from there, which must not happen inside undici's callback or
 * a run's stop.
 */
export function deliverLater(item: Deliverable): void {
  due[count++] = item;
  if (scheduled) return;
  scheduled = true;
  inCheckPhase(deliverDue);
}

function deliverDue(): void {
  // What is queued while this runs is delivered in this same pass.
  for (let i = 0; i < count; i++) {
    const item = due[i];
    due[i] = undefined;
    try {
      item?.deliver();
    } catch (error) {
      // The others are still delivered, and the error is not swallowed.
      process.nextTick(() => {
        throw error;
      });
    }
  }
  count = 0;
  scheduled = false;
  if (due.length > KEPT_ROOM) due.length = 0;
}

/** Hands `receiver` the answer `sent` resolves to, or why there is none: a request that went the promise way. */
export function answerWhenSettled(sent: Promise<TransportResponse>, receiver: Receiver, signal: RequestSignal | undefined): void {
  sent.then(
    (response) => receiver.answered(response),
    (error: unknown) => receiver.answered(toTransportError(error, signal)),
  );
}
