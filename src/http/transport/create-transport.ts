import type { Dispatcher } from "undici";
import type { Exchange, ExchangeResponse, HeadFollower } from "./exchange.js";
import { createFetchExchange } from "./fetch-exchange.js";
import { afterHead, followingRedirects } from "./redirects.js";
import { TransportError } from "./transport-error.js";
import { answerWhenSettled } from "./delivery.js";
import type { FetchFunction, Receiver, Transport, TransportRequest, TransportResponse } from "./transport.js";
import { createUndiciExchange } from "./undici-exchange.js";

/** How `createTransport` sends requests. */
export interface TransportOptions {
  /** Every request goes through this function when given; `dispatcher` and `connections` are then unused. */
  readonly fetch?: FetchFunction | undefined;
  /** The undici Dispatcher for every request; the transport never closes it. */
  readonly dispatcher?: Dispatcher | undefined;
  /** Largest body read; a larger one fails with `too_large` and its connection is dropped. */
  readonly maxResponseBytes: number;
  /** Redirects followed per request; 0 returns a 3xx as is. */
  readonly maxRedirects: number;
  /** Per-origin connection limit of the transport's own Agent (used without `fetch` and `dispatcher`). */
  readonly connections: number;
}

/**
 * Creates the transport a runner sends its requests through: every request
 * goes through `options.fetch` when given, else through undici with
 * `options.dispatcher`, or with a keep-alive Agent of its own that is created
 * on the first request and closed by `close()`. A caller's dispatcher is never
 * closed. Redirects are followed up to `maxRedirects`, and bodies are read up
 * to `maxResponseBytes`. `send()` rejects with a {@link TransportError} only.
 * The options are taken as validated (see `resolveHttpRunnerOptions`).
 *
 * @example
 * const transport = createTransport({ maxResponseBytes: 8 * 1024 * 1024, maxRedirects: 5, connections: 64 });
 * const url = new URL("http://127.0.0.1:8080/runs/1");
 * const response = await transport.send({ method: "GET", url, headers: {}, signal });
 * await transport.close();
 */
export function createTransport(options: TransportOptions): Transport {
  const exchange =
    options.fetch === undefined
      ? createUndiciExchange(options.dispatcher, options.connections, options.maxResponseBytes)
      : createFetchExchange(options.fetch, options.maxResponseBytes);
  return new RedirectingTransport(exchange, options.maxRedirects);
}

class RedirectingTransport implements Transport, HeadFollower {
  readonly #exchange: Exchange;
  readonly #maxRedirects: number;
  readonly #send: (request: TransportRequest) => Promise<TransportResponse>;
  #closed = false;

  constructor(exchange: Exchange, maxRedirects: number) {
    this.#exchange = exchange;
    this.#maxRedirects = maxRedirects;
    this.#send = followingRedirects(exchange, maxRedirects);
  }

  send(request: TransportRequest): Promise<TransportResponse> {
    // A closed transport would otherwise create a fresh Agent that nobody closes.
    if (this.#closed) return Promise.reject(new TransportError("network", "transport is closed"));
    return this.#send(request);
  }

  deliver(request: TransportRequest, receiver: Receiver): void {
    const exchange = this.#exchange;
    if (this.#closed || exchange.deliver === undefined) {
      answerWhenSettled(this.send(request), receiver, request.signal);
      return;
    }
    exchange.deliver(request, receiver, this);
  }

  /** An answer the exchange handed over at its head (HeadFollower): its redirects followed, or its body failed. */
  follow(hop: TransportRequest, response: ExchangeResponse, receiver: Receiver): void {
    const final = new Promise<TransportResponse>((resolve) => resolve(afterHead(this.#exchange, hop, response, this.#maxRedirects)));
    answerWhenSettled(final, receiver, hop.signal);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#exchange.close();
  }
}
