import { Agent, type Dispatcher } from "undici";
import type { Exchange, ExchangeResponse, HeadFollower } from "./exchange.js";
import type { Receiver, TransportRequest } from "./transport.js";
import { TransportError, abortedError } from "./transport-error.js";
import type { ReadResponse } from "./read-response.js";
import { UndiciResponse } from "./undici-response.js";

/**
 * The default exchange: each request dispatched through the caller's
 * dispatcher, or through a keep-alive Agent of its own, created on the first
 * request so a runner that never sends anything opens nothing.
 */
export function createUndiciExchange(
  dispatcher: Dispatcher | undefined,
  connections: number,
  maxResponseBytes: number,
): Exchange {
  return new UndiciExchange(dispatcher, connections, maxResponseBytes);
}

class UndiciExchange implements Exchange {
  readonly #userDispatcher: Dispatcher | undefined;
  readonly #connections: number;
  readonly #maxResponseBytes: number;
  #agent: Agent | undefined;
  /** The origin of the latest request (PERFORMANCE.md, "One origin string"). */
  #origin = "";

  constructor(dispatcher: Dispatcher | undefined, connections: number, maxResponseBytes: number) {
    this.#userDispatcher = dispatcher;
    this.#connections = connections;
    this.#maxResponseBytes = maxResponseBytes;
  }

  send(hop: TransportRequest): Promise<ExchangeResponse> {
    return new Promise((resolve, reject) => {
      // The answer is what `send` resolves to, whether it is handed over at its head or read in full.
      const follower: HeadFollower = { follow: (_hop, response) => resolve(response) };
      const receiver: Receiver<ReadResponse> = { answered: (answer) => (answer instanceof TransportError ? reject(answer) : resolve(answer)) };
      this.deliver(hop, receiver, follower);
    });
  }

  deliver(hop: TransportRequest, receiver: Receiver, follower: HeadFollower): void {
    this.#dispatch(hop, new UndiciResponse(hop, this.#maxResponseBytes, receiver, follower));
  }

  #dispatch(hop: TransportRequest, response: UndiciResponse): void {
    const signal = hop.signal;
    if (signal?.aborted === true) {
      response.onError(abortedError(signal));
      return;
    }
    try {
      const dispatcher = this.#userDispatcher ?? (this.#agent ??= new Agent({ connections: this.#connections }));
      const href = hop.url;
      // PERFORMANCE.md, "One origin string": the latest origin's string again (undici keys its pools by it, and one it
      // has hashed before is cheaper), and the path cut from the href, with no parse, when the href starts with it.
      let origin = this.#origin;
      let path: string;
      if (startsWithOrigin(href, origin)) path = href.slice(origin.length);
      else {
        const url = new URL(href);
        origin = this.#origin = url.origin;
        path = url.search === "" ? url.pathname : url.pathname + url.search;
      }
      // PERFORMANCE.md, "A response handler of our own": dispatch() with the handler of `UndiciResponse`, not request().
      dispatcher.dispatch({ origin, path, method: hop.method as Dispatcher.HttpMethod, headers: hop.headers, body: hop.body ?? null }, response);
    } catch (error) {
      response.onError(error);
    }
  }

  async close(): Promise<void> {
    // The caller's dispatcher is theirs to close.
    const agent = this.#agent;
    this.#agent = undefined;
    await agent?.close();
  }
}

/** Whether `href` is `origin` followed by a path, and no fragment: its path and query are then the rest of it. */
function startsWithOrigin(href: string, origin: string): boolean {
  return origin !== "" && href.startsWith(origin) && href.charCodeAt(origin.length) === 0x2f && !href.includes("#", origin.length);
}
