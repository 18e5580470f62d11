import type { TransportRequest } from "./transport.js";

/**
 * One request/response exchange without redirect handling: the part that
 * differs between undici and a fetch function. `send` and `text` reject with
 * a TransportError only.
 */
export interface Exchange {
  /**
   * Sends one hop and settles with `next(response, hop)` once the answer's
   * head has arrived: the caller's next step runs inside the exchange's own
   * promise, so a request waiting in the pool holds one promise, not a chain.
   */
  send<T>(hop: TransportRequest, next: (response: ExchangeResponse, hop: TransportRequest) => T | Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A response whose body has not been read yet; exactly one of `text` or `discard` must be called. */
export interface ExchangeResponse {
  readonly status: number;
  /** A header by lower-case name; repeated headers joined with ", ". */
  header(name: string): string | undefined;
  /** Reads the whole body within the size cap and decodes it as UTF-8. */
  text(): Promise<string>;
  /** Drops the body so its connection is reused or released; never rejects. */
  discard(): Promise<void>;
}
