import type { TransportError } from "./transport-error.js";
import type { RequestSignal } from "./request-signal.js";

/** One HTTP request as the runners send it. */
export interface TransportRequest {
  readonly method: string;
  /** An absolute http(s) URL, as `URL.href` writes it. */
  readonly url: string;
  /** Header names are lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  /** The run's signal: aborted on cancel and at the deadline; aborts the request in flight. None for a run nothing can stop. */
  readonly signal?: RequestSignal | undefined;
}

/** A response whose body was read in full, within the size cap. */
export interface TransportResponse {
  readonly status: number;
  /** The URL that answered, after redirects, as `URL.href` writes it. */
  readonly url: string;
  /** A response header by lower-case name; repeated headers joined with ", ". */
  header(name: string): string | undefined;
  /** The body decoded as UTF-8. */
  readonly body: string;
}

/** What takes the answer to a request sent with `Transport.deliver`. */
export interface Receiver<Response = TransportResponse> {
  /** Called once: with the answer, its body read in full, or with why there is none. */
  answered(answer: Response | TransportError): void;
}

/** Sends requests for a runner. One per runner; `close()` releases its connections. */
export interface Transport {
  /** Sends a request, following redirects; rejects with a `TransportError` only. */
  send(request: TransportRequest): Promise<TransportResponse>;
  /**
   * Sends a request as `send` does, and hands its answer, or why there is
   * none, to `receiver` later (not at once); never throws. With the default
   * exchange, a request costs no promise (PERFORMANCE.md, "Answers without promises").
   */
  deliver(request: TransportRequest, receiver: Receiver): void;
  /** Closes the connections the transport owns; later sends reject with a `network` error. */
  close(): Promise<void>;
}

/** The fetch-compatible function a runner can route every request through. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
