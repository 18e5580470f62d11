import type { TransportRequest } from "./transport.js";

/**
 * One request/response exchange without redirect handling: the part that
 * differs between undici and a fetch function. `send` and `text` reject with
 * a TransportError only.
 */
export interface Exchange {
  /** Sends one hop; resolves once the answer's head has arrived. */
  send(hop: TransportRequest): Promise<ExchangeResponse>;
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
