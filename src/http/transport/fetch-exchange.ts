import type { Exchange, ExchangeResponse } from "./exchange.js";
import { linkSignal, type LinkedSignal } from "./request-signal.js";
import type { FetchFunction, TransportRequest } from "./transport.js";
import { abortedError, tooLargeError, toTransportError } from "./transport-error.js";

/**
 * The exchange for a caller's fetch function (msw, a stub, a wrapped fetch).
 * Redirects are handled by the shared layer, so fetch is asked not to follow
 * them. A stub may ignore the signal; the exchange still settles as soon as
 * the signal aborts.
 */
export function createFetchExchange(fetch: FetchFunction, maxResponseBytes: number): Exchange {
  return new FetchExchange(fetch, maxResponseBytes);
}

class FetchExchange implements Exchange {
  readonly #fetch: FetchFunction;
  readonly #maxResponseBytes: number;

  constructor(fetch: FetchFunction, maxResponseBytes: number) {
    this.#fetch = fetch;
    this.#maxResponseBytes = maxResponseBytes;
  }

  async send(hop: TransportRequest): Promise<ExchangeResponse> {
    if (hop.signal?.aborted === true) throw abortedError(hop.signal);
    // An AbortSignal of the request's own (a fetch may insist on one, and keeps its listener on it), linked to
    // the run's signal until the response is read or dropped.
    const link = hop.signal === undefined ? undefined : linkSignal(hop.signal);
    const signal = link?.signal;
    let response: Response;
    try {
      const fetch = this.#fetch;
      const init: RequestInit = {
        method: hop.method,
        headers: hop.headers,
        body: hop.body ?? null,
        signal: signal ?? null,
        // The shared redirect layer applies the credential and method rules, whatever the fetch does.
        redirect: "manual",
      };
      response = await settleOnAbort(fetch(hop.url, init), signal);
    } catch (error) {
      link?.release();
      throw toTransportError(error, signal, "headers");
    }
    if (typeof response?.status !== "number") {
      link?.release();
      throw toTransportError(new TypeError("fetch did not resolve to a Response"), signal);
    }
    return new FetchResponse(response, link, this.#maxResponseBytes);
  }

  async close(): Promise<void> {
    // The fetch function's connections belong to whoever made it.
  }
}

/** A fetch response whose body is still to read; reading or dropping it releases the request's signal. */
class FetchResponse implements ExchangeResponse {
  readonly status: number;
  readonly #response: Response;
  readonly #link: LinkedSignal | undefined;
  readonly #maxResponseBytes: number;

  constructor(response: Response, link: LinkedSignal | undefined, maxResponseBytes: number) {
    this.status = response.status;
    this.#response = response;
    this.#link = link;
    this.#maxResponseBytes = maxResponseBytes;
  }

  header(name: string): string | undefined {
    return this.#response.headers.get(name) ?? undefined;
  }

  async text(): Promise<string> {
    try {
      return await this.#read();
    } finally {
      this.#link?.release();
    }
  }

  async discard(): Promise<void> {
    cancel(this.#response.body);
    this.#link?.release();
  }

  async #read(): Promise<string> {
    const body = this.#response.body;
    const signal = this.#link?.signal;
    const max = this.#maxResponseBytes;
    if (signal?.aborted === true) {
      cancel(body);
      throw abortedError(signal, "body");
    }
    if (body === null) return "";
    const length = this.#response.headers.get("content-length");
    if (length !== null && Number(length) > max) {
      cancel(body);
      throw tooLargeError(max);
    }
    return readCapped(body.getReader(), signal, max);
  }
}

/**
 * Reads a body to the end within `max` bytes. On abort the reader is
 * cancelled, which settles a pending read at once even when the stream's
 * source ignores the signal.
 */
async function readCapped(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  signal: AbortSignal | undefined,
  max: number,
): Promise<string> {
  const onAbort = (): void => {
    reader.cancel(signal?.reason).catch(ignore);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted === true) throw abortedError(signal, "body");
      if (done) break;
      total += value.byteLength;
      if (total > max) throw tooLargeError(max);
      chunks.push(value);
    }
  } catch (error) {
    reader.cancel().catch(ignore);
    throw toTransportError(error, signal, "body");
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return total === 0 ? "" : Buffer.concat(chunks, total).toString("utf8");
}

/**
 * Settles with `pending`, or rejects as soon as the signal aborts. The abort
 * listener is removed when `pending` settles; a response that arrives after
 * the abort has its body cancelled so it holds no connection.
 */
function settleOnAbort(pending: Promise<Response>, signal: AbortSignal | undefined): Promise<Response> {
  if (signal === undefined) return pending;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal, "headers"));
    pending.then(
      (response) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) cancel(response?.body);
        resolve(response);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function ignore(): void {}

function cancel(body: ReadableStream | null | undefined): void {
  // A locked or errored stream rejects; there is nothing left to release then.
  body?.cancel().catch(ignore);
}
