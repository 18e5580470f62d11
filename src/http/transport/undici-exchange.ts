import { Agent, type Dispatcher } from "undici";
import type { Exchange, ExchangeResponse } from "./exchange.js";
import type { RequestSignal } from "./request-signal.js";
import type { TransportRequest } from "./transport.js";
import { abortedError, tooLargeError, toTransportError, type TransportError } from "./transport-error.js";

/** A response head as undici hands it to a handler: name, value, name, value... (a value may be a list). */
type RawHeaders = readonly (Buffer | string | readonly (Buffer | string)[])[];

/** A redirect body up to this size is read to the end so its socket goes back to the pool. */
const DISCARD_LIMIT_BYTES = 128 * 1024;

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
    const signal = hop.signal;
    if (signal?.aborted === true) return Promise.reject(abortedError(signal));
    return new Promise((resolve, reject) => {
      const response = new UndiciResponse(hop, this.#maxResponseBytes, resolve, reject);
      try {
        const url = hop.url;
        const dispatcher = this.#userDispatcher ?? (this.#agent ??= new Agent({ connections: this.#connections }));
        let origin = url.origin;
        // PERFORMANCE.md, "One origin string": undici keys its pools by this string, and one it has hashed before is cheaper.
        if (origin === this.#origin) origin = this.#origin;
        else this.#origin = origin;
        // PERFORMANCE.md, "A response handler of our own": dispatch() with the handler below, not request().
        dispatcher.dispatch(
          {
            origin,
            path: url.search === "" ? url.pathname : url.pathname + url.search,
            method: hop.method as Dispatcher.HttpMethod,
            headers: hop.headers,
            body: hop.body ?? null,
          },
          response,
        );
      } catch (error) {
        response.onError(error);
      }
    });
  }

  async close(): Promise<void> {
    // The caller's dispatcher is theirs to close.
    const agent = this.#agent;
    this.#agent = undefined;
    await agent?.close();
  }
}

/** What `send` waits for: the response once its head has arrived. */
interface HeadWaiter {
  resolve(response: ExchangeResponse): void;
  reject(error: TransportError): void;
}

/** What reading the body waits for: its text, or the end of a discard. */
interface BodyWaiter {
  resolve(text: string): void;
  reject(error: TransportError): void;
}

/**
 * One request's undici handler, and its response once the head has arrived.
 * It keeps the body's chunks up to the size cap, listens to the request's
 * stop signal while the request is in progress, and aborts the request
 * (which drops its socket) when the signal stops, when the body grows past
 * the cap, or when a body is given up unread. It implements the handler
 * interface that undici's own `request()` uses, so any dispatcher that serves
 * `request()` serves it.
 */
class UndiciResponse implements ExchangeResponse, Dispatcher.DispatchHandler {
  status = 0;
  /** The head as undici gave it; a header is read from it by name when asked for (PERFORMANCE.md, "Headers read on demand"). */
  #rawHeaders: RawHeaders = [];
  readonly #signal: RequestSignal | undefined;
  readonly #maxResponseBytes: number;
  readonly #method: string;
  #onStop: (() => void) | undefined;
  /** What waits for the head; gone once the head has arrived (or the request failed). */
  #head: HeadWaiter | undefined;
  /** undici's abort of this request, once it is on a connection. */
  #abort: ((reason: Error) => void) | undefined;
  /** The announced body size, when it describes the bytes that will arrive. */
  #contentLength: string | string[] | undefined;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #complete = false;
  #error: TransportError | undefined;
  #waiter: BodyWaiter | undefined;
  #discarding = false;

  constructor(
    hop: TransportRequest,
    maxResponseBytes: number,
    resolve: (response: ExchangeResponse) => void,
    reject: (error: TransportError) => void,
  ) {
    this.#signal = hop.signal;
    this.#maxResponseBytes = maxResponseBytes;
    this.#method = hop.method;
    this.#head = { resolve, reject };
    const signal = hop.signal;
    if (signal !== undefined) {
      this.#onStop = () => this.#end(signal.reason as Error);
      signal.addEventListener("abort", this.#onStop);
    }
  }

  header(name: string): string | undefined {
    const values = headerValues(this.#rawHeaders, name);
    return values === undefined ? undefined : values.length === 1 ? values[0] : values.join(", ");
  }

  text(): Promise<string> {
    const signal = this.#signal;
    if (signal?.aborted === true) return this.#giveUp(abortedError(signal, "body"));
    // Fail without waiting for a body the server announces too large.
    const length = this.#contentLength;
    if (typeof length === "string" && Number(length) > this.#maxResponseBytes) {
      return this.#giveUp(tooLargeError(this.#maxResponseBytes));
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#complete) {
      try {
        return Promise.resolve(this.#takeText());
      } catch (error) {
        return Promise.reject(toTransportError(error, signal, "body"));
      }
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  discard(): Promise<void> {
    this.#discarding = true;
    this.#chunks = [];
    const length = this.#contentLength;
    if (typeof length === "string" && Number(length) > DISCARD_LIMIT_BYTES) this.#end(tooLargeError(DISCARD_LIMIT_BYTES));
    if (this.#complete || this.#error !== undefined) return Promise.resolve();
    // A larger body aborts the request (onData), which drops its socket instead of downloading the rest.
    return new Promise((resolve) => {
      this.#waiter = { resolve: () => resolve(), reject: () => resolve() };
    });
  }

  /** undici: the request has a connection; `abort` ends it and drops the connection. */
  onConnect(abort: (reason?: Error) => void): void {
    this.#abort = abort;
    const signal = this.#signal;
    if (signal?.aborted === true) abort(signal.reason as Error);
  }

  /** undici: the response head; 1xx answers are informational and skipped. */
  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.#rawHeaders = rawHeaders;
    // HEAD, 204 and 304 answers have no body whatever content-length says.
    const bodiless = this.#method === "HEAD" || statusCode === 204 || statusCode === 304;
    const length = bodiless ? undefined : headerValues(rawHeaders, "content-length");
    this.#contentLength = length?.length === 1 ? length[0] : length;
    const head = this.#head;
    this.#head = undefined;
    head?.resolve(this);
    return true;
  }

  /** undici: a chunk of the body, kept within the cap (nothing is kept of a body being discarded). */
  onData(chunk: Buffer): boolean {
    this.#bytes += chunk.length;
    const limit = this.#discarding ? DISCARD_LIMIT_BYTES : this.#maxResponseBytes;
    if (this.#bytes > limit) {
      this.#end(tooLargeError(limit));
      return false;
    }
    if (!this.#discarding) this.#chunks.push(chunk);
    return true;
  }

  /** undici: the body is complete. */
  onComplete(): void {
    this.#complete = true;
    this.#release();
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    // Decoded before the waiter is let go: a body too long for a string throws, and undici's onError then rejects it.
    const text = this.#discarding ? "" : this.#takeText();
    this.#waiter = undefined;
    waiter.resolve(text);
  }

  /** undici: the request failed, or was aborted; also called when dispatching it threw. */
  onError(error: unknown): void {
    this.#release();
    const head = this.#head;
    // A request that never had a connection was never sent: it has no stage, and cannot have reached the backend.
    const stage = this.#abort === undefined ? undefined : head === undefined ? "body" : "headers";
    const failure = toTransportError(error, this.#signal, stage);
    if (head !== undefined) {
      this.#head = undefined;
      head.reject(failure);
      return;
    }
    this.#error = failure;
    this.#chunks = [];
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(failure);
  }

  /**
   * Ends the request with `reason`: a request on a connection is aborted, which
   * drops the connection; one not on a connection yet (queued in the pool)
   * fails at once, and is dropped unsent when it reaches one (onConnect).
   */
  #end(reason: Error): void {
    if (this.#abort === undefined) this.onError(reason);
    else this.#abort(reason);
  }

  /** Ends a request whose body will not be read: its connection is dropped unless the body was already complete. */
  #giveUp(error: TransportError): Promise<never> {
    this.#discarding = true;
    this.#chunks = [];
    if (!this.#complete) this.#end(error);
    return Promise.reject(error);
  }

  /** The body decoded as UTF-8; the chunks are let go. */
  #takeText(): string {
    const chunks = this.#chunks;
    this.#chunks = [];
    if (chunks.length === 1) return (chunks[0] as Buffer).toString("utf8");
    return this.#bytes === 0 ? "" : Buffer.concat(chunks, this.#bytes).toString("utf8");
  }

  /** Takes the listener off the request's signal: the request is over. */
  #release(): void {
    const onStop = this.#onStop;
    if (onStop === undefined) return;
    this.#onStop = undefined;
    this.#signal?.removeEventListener("abort", onStop);
  }
}

/**
 * The values of header `name` (lower case) in a raw head, in order, decoded
 * as latin1, as undici's `parseHeaders` decodes them; undefined when absent.
 * Only the names of `name`'s length are decoded.
 */
function headerValues(raw: RawHeaders, name: string): string[] | undefined {
  let values: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i];
    if (typeof key !== "string" && !Buffer.isBuffer(key)) continue;
    if (key.length !== name.length || (typeof key === "string" ? key : key.toString("latin1")).toLowerCase() !== name) continue;
    const value = raw[i + 1];
    if (value === undefined) continue;
    const decoded = Array.isArray(value) ? value.map(latin1) : [latin1(value as Buffer | string)];
    if (values === undefined) values = decoded;
    else values.push(...decoded);
  }
  return values;
}

function latin1(value: Buffer | string): string {
  return typeof value === "string" ? value : value.toString("latin1");
}
