import type { RequestSignal } from "./request-signal.js";

/** One HTTP request as the runners send it. */
export interface TransportRequest {
  readonly method: string;
  readonly url: URL;
  /** Header names are lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  /** The run's signal: aborted on cancel and at the deadline; aborts the request in flight. None for a run nothing can stop. */
  readonly signal?: RequestSignal | undefined;
}

/** A response whose body was read in full, within the size cap. */
export interface TransportResponse {
  readonly status: number;
  /** The URL that answered, after redirects. */
  readonly url: URL;
  /** A response header by lower-case name; repeated headers joined with ", ". */
  header(name: string): string | undefined;
  /** The body decoded as UTF-8. */
  readonly body: string;
}

/** Sends requests for a runner. One per runner; `close()` releases its connections. */
export interface Transport {
  /** Sends a request, following redirects; rejects with a `TransportError` only. */
  send(request: TransportRequest): Promise<TransportResponse>;
  /** Closes the connections the transport owns; later sends reject with a `network` error. */
  close(): Promise<void>;
}

/** The fetch-compatible function a runner can route every request through. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
