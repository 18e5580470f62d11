import type { RequestSignal } from "./request-signal.js";
import { toTransportError } from "./transport-error.js";
import type { Receiver, TransportResponse } from "./transport.js";

/** What `deliverLater` hands over. */
export interface Deliverable {
  deliver(): void;
}

const due: (Deliverable | undefined)[] = [];
let scheduled = false;

/**
 * Calls `item.deliver()` in a later microtask. Batched: every answer that
 * arrives in one turn of the event loop is handed over by one microtask, and
 * none costs a promise or a closure (PERFORMANCE.md, "Answers without
 * promises"). Later, not at once: a receiver sends its next request from
 * there, which must not happen inside undici's callback or a run's stop.
 */
export function deliverLater(item: Deliverable): void {
  due.push(item);
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(deliverDue);
}

function deliverDue(): void {
  // What is queued while this runs is delivered in this same pass.
  for (let i = 0; i < due.length; i++) {
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
  due.length = 0;
  scheduled = false;
}

/** Hands `receiver` the answer `sent` resolves to, or why there is none: a request that went the promise way. */
export function answerWhenSettled(sent: Promise<TransportResponse>, receiver: Receiver, signal: RequestSignal | undefined): void {
  sent.then(
    (response) => receiver.answered(response),
    (error: unknown) => receiver.answered(toTransportError(error, signal)),
  );
}
