import { Agent, type Dispatcher } from "undici";
import type { Exchange, ExchangeResponse } from "./exchange.js";
import { abortSignalOf, type RequestSignal } from "./request-signal.js";
import type { TransportRequest } from "./transport.js";
import { abortedError, tooLargeError, toTransportError } from "./transport-error.js";

type ResponseBody = Dispatcher.ResponseData["body"];
type ResponseHeaders = Dispatcher.ResponseData["headers"];

/** A redirect body up to this size is read to the end so its socket goes back to the pool. */
const DISCARD_LIMIT_BYTES = 128 * 1024;

/**
 * The default exchange: `undici.request` through the caller's dispatcher, or
 * through a keep-alive Agent of its own, created on the first request so a
 * runner that never sends anything opens nothing.
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
    // Not an async function: a request queued in the pool then holds no suspended frame here.
    const signal = hop.signal;
    if (signal?.aborted === true) return Promise.reject(abortedError(signal));
    let pending: Promise<Dispatcher.ResponseData>;
    try {
      const url = hop.url;
      const dispatcher = this.#userDispatcher ?? (this.#agent ??= new Agent({ connections: this.#connections }));
      // PERFORMANCE.md, "The dispatcher's own request()": not undici's top-level one, which parses the URL again and
      // copies the options with an object spread, which costs some microseconds per request on Node 20.
      let origin = url.origin;
      // PERFORMANCE.md, "One origin string": undici keys its pools by this string, and one it has hashed before is cheaper.
      if (origin === this.#origin) origin = this.#origin;
      else this.#origin = origin;
      pending = dispatcher.request({
        origin,
        path: url.search === "" ? url.pathname : url.pathname + url.search,
        method: hop.method as Dispatcher.HttpMethod,
        headers: hop.headers,
        body: hop.body ?? null,
        // undici aborts the request in flight, or destroys the body being read, with signal.reason. It takes
        // any signal with `aborted`, `reason` and 'abort' listeners (its types name AbortSignal and EventEmitter).
        signal: (signal ?? null) as AbortSignal | null,
      });
    } catch (error) {
      return Promise.reject(toTransportError(error, signal, "headers"));
    }
    const maxResponseBytes = this.#maxResponseBytes;
    return pending.then(
      (data) => new UndiciResponse(data, hop, maxResponseBytes),
      (error: unknown) => {
        throw toTransportError(error, signal, "headers");
      },
    );
  }

  async close(): Promise<void> {
    // The caller's dispatcher is theirs to close.
    const agent = this.#agent;
    this.#agent = undefined;
    await agent?.close();
  }
}

class UndiciResponse implements ExchangeResponse {
  readonly status: number;
  readonly #headers: ResponseHeaders;
  readonly #body: ResponseBody;
  readonly #signal: RequestSignal | undefined;
  readonly #maxResponseBytes: number;
  /** The announced body size, when it describes the bytes that will arrive. */
  readonly #contentLength: string | string[] | undefined;

  constructor(data: Dispatcher.ResponseData, hop: TransportRequest, maxResponseBytes: number) {
    const status = data.statusCode;
    this.status = status;
    this.#headers = data.headers;
    this.#body = data.body;
    this.#signal = hop.signal;
    this.#maxResponseBytes = maxResponseBytes;
    // HEAD, 204 and 304 answers have no body whatever content-length says.
    this.#contentLength =
      hop.method === "HEAD" || status === 204 || status === 304 ? undefined : data.headers["content-length"];
  }

  header(name: string): string | undefined {
    const value = this.#headers[name];
    if (typeof value === "string") return value;
    return Array.isArray(value) ? value.join(", ") : undefined;
  }

  async text(): Promise<string> {
    const body = this.#body;
    const signal = this.#signal;
    const max = this.#maxResponseBytes;
    if (signal?.aborted === true) {
      destroy(body);
      throw abortedError(signal, "body");
    }
    // Fail before reading a byte when the server announces too much.
    const length = this.#contentLength;
    if (typeof length === "string" && Number(length) > max) {
      destroy(body);
      throw tooLargeError(max);
    }
    // The iteration ends after 'close', when undici has removed its abort listener from the run's signal.
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > max) {
          // Destroying an unfinished body makes undici drop the socket: nothing more is downloaded.
          destroy(body);
          throw tooLargeError(max);
        }
        chunks.push(chunk);
      }
    } catch (error) {
      destroy(body);
      throw toTransportError(error, signal, "body");
    }
    if (chunks.length === 1) return (chunks[0] as Buffer).toString("utf8");
    return total === 0 ? "" : Buffer.concat(chunks, total).toString("utf8");
  }

  async discard(): Promise<void> {
    try {
      // dump() destroys a larger body (and its socket) instead of downloading it.
      const signal = abortSignalOf(this.#signal);
      await this.#body.dump(signal === undefined ? { limit: DISCARD_LIMIT_BYTES } : { limit: DISCARD_LIMIT_BYTES, signal });
    } catch {
      destroy(this.#body);
    }
  }
}

function ignore(): void {}

/** Destroys a body that may have no 'error' listener: undici emits one for an unfinished body. */
function destroy(body: ResponseBody): void {
  if (!body.destroyed) body.on("error", ignore).destroy();
}
