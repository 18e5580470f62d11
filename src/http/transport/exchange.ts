import type { Receiver, TransportRequest } from "./transport.js";

/**
 * One request/response exchange without redirect handling: the part that
 * differs between undici and a fetch function. `send` and `text` reject with
 * a TransportError only.
 */
export interface Exchange {
  /** Sends one hop; resolves once the answer's head has arrived, or, for an exchange that reads on, once its body has. */
  send(hop: TransportRequest): Promise<ExchangeResponse>;
  /**
   * Sends one hop, with no promise: an answer read in full goes to
   * `receiver`, one handed over at its head (a redirect, a body announced
   * past the cap) to `follower`, and a failure to `receiver`; once, later
   * (`deliverLater`). An exchange without it is used through `send`.
   */
  deliver?(hop: TransportRequest, receiver: Receiver, follower: HeadFollower): void;
  close(): Promise<void>;
}

/** A response whose body has not been read yet; exactly one of `text` or `discard` must be called. */
export interface ExchangeResponse {
  readonly status: number;
  /** A header by lower-case name; repeated headers joined with ", ". */
  header(name: string): string | undefined;
  /** Reads the whole body within the size cap and decodes it as UTF-8; the text itself when the body was read already. */
  text(): string | Promise<string>;
  /** Drops the body so its connection is reused or released; never rejects. */
  discard(): Promise<void>;
}

/** What goes on from an answer `Exchange.deliver` handed over at its head: following a redirect, or failing a body too large. */
export interface HeadFollower {
  follow(hop: TransportRequest, response: ExchangeResponse, receiver: Receiver): void;
}
