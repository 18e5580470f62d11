import type { Dispatcher } from "undici";

/** One HTTP request as the runners send it. */
export interface TransportRequest {
  readonly method: string;
  readonly url: URL;
  /** Header names are lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  /** The run's signal: aborted on cancel and at the deadline; aborts the request in flight. */
  readonly signal: AbortSignal;
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

/** Why a request produced no response. */
export type TransportFailure =
  /** Connection refused or reset, DNS failure, socket closed mid-body: worth a retry. */
  | "network"
  /** The request's signal was aborted (cancel or deadline). */
  | "aborted"
  /** The body exceeded `maxResponseBytes`; the connection was dropped. */
  | "too_large"
  /** Too many redirects, or a redirect to a URL that is not http(s). */
  | "redirect";

/** A request that produced no response; `kind` says why, `cause` holds the original error. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  readonly kind: TransportFailure;

  constructor(kind: TransportFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** Sends requests for a runner. One per runner; `close()` releases its connections. */
export interface Transport {
  send(request: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}

/** The fetch-compatible function a runner can route every request through. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** How `createTransport` sends requests. */
export interface TransportOptions {
  readonly fetch?: FetchFunction | undefined;
  readonly dispatcher?: Dispatcher | undefined;
  readonly maxResponseBytes: number;
  readonly maxRedirects: number;
  readonly connections: number;
}
