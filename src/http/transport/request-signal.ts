/**
 * What stops a request: an AbortSignal, or a run's own stop signal. Both
 * have the members the transport uses (`aborted`, `reason`, and 'abort'
 * listeners), and undici accepts either for a request's `signal`.
 */
export type RequestSignal = AbortSignal | StopSignal;

/**
 * A run's stop signal without an AbortController behind it. On Node 20 a
 * controller costs some microseconds to create and half a kilobyte to keep,
 * and each 'abort' listener of an EventTarget more: a run with a deadline
 * (most of them) pays neither, and creates a real AbortSignal only for an
 * API that insists on one (`signal`).
 */
export interface StopSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Called once, when the signal stops; `once` is accepted and implied. */
  addEventListener(type: "abort", listener: StopListener, options?: { readonly once?: boolean }): void;
  removeEventListener(type: "abort", listener: StopListener): void;
  /** An AbortSignal that aborts with this one, created on first use. */
  readonly signal: AbortSignal;
}

/**
 * An 'abort' listener: a function, or an object whose `handleEvent` is called, as an EventTarget accepts. A
 * request's response listens as itself, with no closure (PERFORMANCE.md, "A response that listens as itself").
 */
export type StopListener = (() => void) | { handleEvent(): void };

/** The AbortSignal of a request signal, for APIs that check for one (fetch). */
export function abortSignalOf(signal: RequestSignal | undefined): AbortSignal | undefined {
  return signal === undefined || signal instanceof AbortSignal ? signal : signal.signal;
}

/** A request's own AbortSignal, aborted with its source, and the way to unlink it from the source. */
export interface LinkedSignal {
  readonly signal: AbortSignal;
  /** Removes the link's listener from the source; call it once the request is over. */
  release(): void;
}

/**
 * A signal of one request's own, aborted when `source` aborts, for APIs that
 * keep their abort listener on the signal they were given until garbage
 * collection (Node's fetch does): the run's signal then carries a listener
 * only while a request is in progress, not one per request it ever sent.
 */
export function linkSignal(source: RequestSignal): LinkedSignal {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(source.reason);
  source.addEventListener("abort", onAbort, { once: true });
  return { signal: controller.signal, release: () => source.removeEventListener("abort", onAbort) };
}
