import type { RequestSignal } from "./request-signal.js";

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

/** What an aborted request was waiting for: its response headers, or the rest of its body. */
export type RequestStage = "headers" | "body";

/** A request that produced no response; `kind` says why, `cause` holds the original error. */
export class TransportError extends Error {
  override readonly name = "TransportError";
  readonly kind: TransportFailure;
  /** For an `aborted` request that was sent: what it was waiting for when the signal aborted. */
  readonly stage: RequestStage | undefined;
  /**
   * Whether the request may have reached the server: false when no
   * connection was made (refused, unreachable, DNS, TLS) or when it was
   * aborted before it was sent.
   */
  readonly mayHaveReached: boolean;

  constructor(kind: TransportFailure, message: string, options?: { cause?: unknown; stage?: RequestStage; mayHaveReached?: boolean }) {
    super(message, options);
    this.kind = kind;
    this.stage = options?.stage;
    this.mayHaveReached = options?.mayHaveReached ?? true;
  }
}

/** Error codes of a request that never reached the server: no connection was made. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_HAS_EXPIRED",
]);

/**
 * Short descriptions of the error codes that Node's sockets, DNS, TLS and
 * undici use. The message of the original error is never copied: some
 * (`Headers` validation, for one) quote request header values.
 */
const NETWORK_ERROR_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ECONNABORTED: "connection aborted",
  EPIPE: "connection closed while sending the request",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "DNS lookup failed",
  UND_ERR_SOCKET: "socket closed before the response was complete",
  UND_ERR_CONNECT_TIMEOUT: "connect timed out",
  UND_ERR_HEADERS_TIMEOUT: "timed out waiting for the response headers",
  UND_ERR_BODY_TIMEOUT: "timed out reading the response body",
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: "response body length does not match its content-length",
  UND_ERR_CLOSED: "connection pool is closed",
  UND_ERR_DESTROYED: "connection pool is destroyed",
  UND_ERR_INFO: "invalid response from the server",
  HPE_INVALID_CONSTANT: "invalid HTTP response from the server",
  ERR_TLS_CERT_ALTNAME_INVALID: "TLS certificate does not match the host name",
  DEPTH_ZERO_SELF_SIGNED_CERT: "TLS certificate is self-signed",
  SELF_SIGNED_CERT_IN_CHAIN: "TLS certificate chain contains a self-signed certificate",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "TLS certificate could not be verified",
  CERT_HAS_EXPIRED: "TLS certificate has expired",
};

/** `fetch` wraps the socket error in `cause` ("fetch failed"), sometimes twice. */
const MAX_CAUSE_DEPTH = 4;

const STAGE_TEXT: Readonly<Record<RequestStage, string>> = {
  headers: "waiting for the response headers",
  body: "reading the response body",
};

/**
 * The error that ends a request whose signal was aborted; `stage` says what
 * the request was waiting for, and is left out when nothing was sent.
 */
export function abortedError(signal: RequestSignal, stage?: RequestStage): TransportError {
  if (stage === undefined) return new TransportError("aborted", "request aborted", { cause: signal.reason, mayHaveReached: false });
  return new TransportError("aborted", `request aborted while ${STAGE_TEXT[stage]}`, { cause: signal.reason, stage });
}

/**
 * The error of a request whose headers could not be built (a secret or a
 * headers function threw): a network error that never reached the backend,
 * or, when the signal aborted meanwhile, `aborted`.
 */
export function notSentError(error: unknown, signal: RequestSignal | undefined): TransportError {
  if (signal?.aborted === true) return abortedError(signal);
  const message = error instanceof Error ? error.message : String(error);
  return new TransportError("network", `request not sent: ${message}`, { cause: error, mayHaveReached: false });
}

/** The error for a body over the cap. */
export function tooLargeError(maxResponseBytes: number): TransportError {
  return new TransportError("too_large", `response body exceeds ${maxResponseBytes} bytes`);
}

/**
 * Wraps anything a request threw: a TransportError as is, anything while the
 * signal is aborted as `aborted` at `stage` (the abort is why it failed,
 * whatever undici or a stub reports), everything else as `network`.
 */
export function toTransportError(error: unknown, signal: RequestSignal | undefined, stage?: RequestStage): TransportError {
  if (error instanceof TransportError) return error;
  if (signal?.aborted === true) return abortedError(signal, stage);
  const code = findErrorCode(error);
  return new TransportError("network", describeNetworkError(error, code), { cause: error, mayHaveReached: code === undefined || !NOT_SENT_CODES.has(code) });
}

function describeNetworkError(error: unknown, code: string | undefined): string {
  if (code === undefined) {
    const name = error instanceof Error ? error.name : typeof error;
    return `network error (${name})`;
  }
  const text = Object.hasOwn(NETWORK_ERROR_TEXT, code) ? NETWORK_ERROR_TEXT[code] : "network error";
  return `${text} (${code})`;
}

function findErrorCode(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
