import type { ExchangeResponse } from "./exchange.js";
import { headerOf, type RawHeaders } from "./raw-headers.js";
import type { TransportResponse } from "./transport.js";

/**
 * An answer read in full, apart from the handler that received it. The
 * handler was made when its request was sent, and a request that waited in
 * the pool is in V8's old generation by the time its answer comes: an old
 * object that points at the head and body would keep them through every
 * scavenge until the next full GC, dead or not. This one is young, and dies
 * young with its reader (PERFORMANCE.md, "An answer apart from its handler").
 */
export class ReadResponse implements TransportResponse, ExchangeResponse {
  readonly status: number;
  readonly url: string;
  readonly body: string;
  /** The head as undici gave it; a header is read from it by name when asked for (PERFORMANCE.md, "Headers read on demand"). */
  readonly #rawHeaders: RawHeaders;

  constructor(status: number, url: string, rawHeaders: RawHeaders, body: string) {
    this.status = status;
    this.url = url;
    this.#rawHeaders = rawHeaders;
    this.body = body;
  }

  header(name: string): string | undefined {
    return headerOf(this.#rawHeaders, name);
  }

  text(): string {
    return this.body;
  }

  /** The body was read already: its connection is back in the pool. */
  discard(): Promise<void> {
    return Promise.resolve();
  }
}
