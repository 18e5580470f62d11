import type { Dispatcher } from "undici";
import { deliverLater, type Deliverable } from "./delivery.js";
import type { ExchangeResponse, HeadFollower } from "./exchange.js";
import { announcedLength, announcesMoreThan, headerOf, type RawHeaders } from "./raw-headers.js";
import { ReadResponse } from "./read-response.js";
import { isRedirect } from "./redirects.js";
import type { Receiver, TransportRequest } from "./transport.js";
import { abortedError, tooLargeError, toTransportError, type TransportError } from "./transport-error.js";

/** The head of a response before it came: one empty list that every response starts with. */
const NO_HEADERS: RawHeaders = [];

/**
 * The abort a response keeps once its request is over. undici's abort of a request that is over does
 * nothing, and it is a closure over undici's request and socket: kept by the response, which is old by then,
 * it would keep those through every scavenge (PERFORMANCE.md, "An answer apart from its handler").
 */
const OVER = (): void => {};

/** A redirect body up to this size is read to the end so its socket goes back to the pool. */
const DISCARD_LIMIT_BYTES = 128 * 1024;

/** What reading the body waits for: its text, or the end of a discard. */
interface BodyWaiter {
  resolve(text: string): void;
  reject(error: TransportError): void;
}

/**
 * One request's undici handler, and its response. It keeps the body's chunks
 * up to the size cap, listens to the request's stop signal while the request
 * is in progress, and aborts the request (which drops its socket) when the
 * signal stops, when the body grows past the cap, or when a body is given up
 * unread. It implements the handler interface that undici's own `request()`
 * uses, so any dispatcher that serves `request()` serves it.
 *
 * The answer is handed over once, later, in the event loop's check phase (`deliverLater`):
 * read in full, to the receiver, as a `ReadResponse` of its own (the handler
 * lets go of its head and body then); at its head, to the follower, when its
 * body may go unread (a redirect) or must fail at once (announced past the
 * cap); or the failure, to the receiver (PERFORMANCE.md, "Answers without
 * promises").
 */
export class UndiciResponse implements ExchangeResponse, Dispatcher.DispatchHandler, Deliverable {
  status = 0;
  /** The body, once read in full, until it is handed over. */
  #body = "";
  /** The head as undici gave it; a header is read from it by name when asked for (PERFORMANCE.md, "Headers read on demand"). */
  #rawHeaders: RawHeaders = NO_HEADERS;
  /** The request, whose signal and method the response reads, and which a redirect is followed from. */
  readonly #hop: TransportRequest;
  readonly #maxResponseBytes: number;
  /** Who takes the answer; gone once it was handed over. */
  #receiver: Receiver<ReadResponse> | undefined;
  readonly #follower: HeadFollower;
  /** What is handed over: the answer read in full, at its head, or the failure; undefined until then. */
  #handed: "whole" | "head" | TransportError | undefined;
  /** undici's abort of this request, once it is on a connection. */
  #abort: ((reason: Error) => void) | undefined;
  /**
   * The body's chunks so far: none, one (most bodies come in one), or a list; no list is made for a body of one
   * chunk (PERFORMANCE.md, "A body in one chunk").
   */
  #chunks: Buffer | Buffer[] | undefined;
  #bytes = 0;
  #complete = false;
  #error: TransportError | undefined;
  #waiter: BodyWaiter | undefined;
  #discarding = false;

  constructor(hop: TransportRequest, maxResponseBytes: number, receiver: Receiver<ReadResponse>, follower: HeadFollower) {
    this.#hop = hop;
    this.#maxResponseBytes = maxResponseBytes;
    this.#receiver = receiver;
    this.#follower = follower;
    // The response listens to its request's signal as itself (`handleEvent`) until the request is over (`release`).
    hop.signal?.addEventListener("abort", this);
  }

  /**
   * The request's signal stopped (its 'abort' listener: the response listens as itself, with no closure per
   * request; PERFORMANCE.md, "A response that listens as itself"): the request ends with the signal's reason.
   */
  handleEvent(): void {
    const signal = this.#hop.signal;
    if (signal !== undefined) this.end(signal.reason as Error);
  }

  header(name: string): string | undefined {
    return headerOf(this.#rawHeaders, name);
  }

  /** The body of an answer handed over at its head (one read in full is handed over as a `ReadResponse`). */
  text(): string | Promise<string> {
    const signal = this.#hop.signal;
    if (signal?.aborted === true) return this.giveUp(abortedError(signal, "body"));
    // Fail without waiting for a body the server announces too large.
    const length = this.announcedLength();
    if (length !== undefined && length > this.#maxResponseBytes) {
      return this.giveUp(tooLargeError(this.#maxResponseBytes));
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#complete) {
      try {
        return this.takeText();
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
    this.#chunks = undefined;
    const length = this.announcedLength();
    if (length !== undefined && length > DISCARD_LIMIT_BYTES) this.end(tooLargeError(DISCARD_LIMIT_BYTES));
    if (this.#complete || this.#error !== undefined) return Promise.resolve();
    // A larger body aborts the request (onData), which drops its socket instead of downloading the rest.
    return new Promise((resolve) => {
      this.#waiter = { resolve: () => resolve(), reject: () => resolve() };
    });
  }

  /** Hands the answer over (Deliverable): called by `deliverLater`, once. */
  deliver(): void {
    const receiver = this.#receiver;
    const handed = this.#handed;
    this.#receiver = undefined;
    if (receiver === undefined || handed === undefined) return;
    if (handed === "head") this.#follower.follow(this.#hop, this, receiver);
    else if (handed !== "whole") receiver.answered(handed);
    else {
      // PERFORMANCE.md, "An answer apart from its handler": the head and body go to a young object, and this one keeps neither.
      const answer = new ReadResponse(this.status, this.#hop.url, this.#rawHeaders, this.#body);
      this.#rawHeaders = NO_HEADERS;
      this.#body = "";
      receiver.answered(answer);
    }
  }

  /** undici: the request has a connection; `abort` ends it and drops the connection. */
  onConnect(abort: (reason?: Error) => void): void {
    this.#abort = abort;
    const signal = this.#hop.signal;
    if (signal?.aborted === true) abort(signal.reason as Error);
  }

  /** undici: the response head; 1xx answers are informational and skipped. */
  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.#rawHeaders = rawHeaders;
    if (isRedirect(statusCode) || (!this.bodiless() && announcesMoreThan(rawHeaders, this.#maxResponseBytes))) this.handOver("head");
    return true;
  }

  /** HEAD, 204 and 304 answers have no body whatever content-length says. */
  private bodiless(): boolean {
    const status = this.status;
    return this.#hop.method === "HEAD" || status === 204 || status === 304;
  }

  /** The announced body size, when it describes the bytes that will arrive (read for an answer handed over at its head). */
  private announcedLength(): number | undefined {
    return this.bodiless() ? undefined : announcedLength(this.#rawHeaders);
  }

  /** undici: a chunk of the body, kept within the cap (nothing is kept of a body being discarded). */
  onData(chunk: Buffer): boolean {
    this.#bytes += chunk.length;
    const limit = this.#discarding ? DISCARD_LIMIT_BYTES : this.#maxResponseBytes;
    if (this.#bytes > limit) {
      this.end(tooLargeError(limit));
      return false;
    }
    if (this.#discarding) return true;
    const chunks = this.#chunks;
    if (chunks === undefined) this.#chunks = chunk;
    else if (Array.isArray(chunks)) chunks.push(chunk);
    else this.#chunks = [chunks, chunk];
    return true;
  }

  /** undici: the body is complete. */
  onComplete(): void {
    this.#complete = true;
    this.release();
    if (this.#handed === undefined) {
      // Decoded first: a body too long for a string throws, and undici's onError then fails the request.
      this.#body = this.takeText();
      this.handOver("whole");
      return;
    }
    const waiter = this.#waiter;
    if (waiter === undefined) return;
    const text = this.#discarding ? "" : this.takeText();
    this.#waiter = undefined;
    waiter.resolve(text);
  }

  /** undici: the request failed, or was aborted; also called when dispatching it threw. */
  onError(error: unknown): void {
    this.release();
    // A request that never had a connection was never sent: it has no stage, and cannot have reached the backend.
    const stage = this.#abort === undefined ? undefined : this.status === 0 ? "headers" : "body";
    const failure = toTransportError(error, this.#hop.signal, stage);
    if (this.#handed === undefined) {
      this.#chunks = undefined;
      this.handOver(failure);
      return;
    }
    this.#error = failure;
    this.#chunks = undefined;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(failure);
  }

  private handOver(handed: "whole" | "head" | TransportError): void {
    this.#handed = handed;
    deliverLater(this);
  }

  /**
   * Ends the request with `reason`: a request on a connection is aborted, which
   * drops the connection; one not on a connection yet (queued in the pool)
   * fails at once, and is dropped unsent when it reaches one (onConnect).
   */
  private end(reason: Error): void {
    if (this.#abort === undefined) this.onError(reason);
    else this.#abort(reason);
  }

  /** Ends a request whose body will not be read: its connection is dropped unless the body was already complete. */
  private giveUp(error: TransportError): Promise<never> {
    this.#discarding = true;
    this.#chunks = undefined;
    if (!this.#complete) this.end(error);
    return Promise.reject(error);
  }

  /** The body decoded as UTF-8; the chunks are let go. */
  private takeText(): string {
    const chunks = this.#chunks;
    this.#chunks = undefined;
    if (chunks === undefined) return "";
    if (!Array.isArray(chunks)) return chunks.toString("utf8");
    return Buffer.concat(chunks, this.#bytes).toString("utf8");
  }

  /** The request is over: takes the listener off its signal, and lets go of undici's abort (again, a no-op). */
  private release(): void {
    this.#hop.signal?.removeEventListener("abort", this);
    if (this.#abort !== undefined) this.#abort = OVER;
  }
}
