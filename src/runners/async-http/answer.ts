import type { TransportResponse } from "../../http/transport/transport.js";

/** What `Answer.json` holds for a body that is not JSON. */
export const NOT_JSON: unique symbol = Symbol("not JSON");

const UNREAD: unique symbol = Symbol("unread");

/**
 * A response as the classifiers read it: its status code, headers and body,
 * with the body parsed as JSON once, on first use (a pending 404 is never parsed).
 */
export class Answer {
  readonly response: TransportResponse;
  #json: unknown = UNREAD;

  constructor(response: TransportResponse) {
    this.response = response;
  }

  /** The HTTP status code. */
  get code(): number {
    return this.response.status;
  }

  /** A header by lower-case name. */
  header(name: string): string | undefined {
    return this.response.header(name);
  }

  /** The body parsed as JSON; NOT_JSON when it is not JSON. */
  get json(): unknown {
    if (this.#json === UNREAD) {
      try {
        this.#json = JSON.parse(this.response.body) as unknown;
      } catch {
        this.#json = NOT_JSON;
      }
    }
    return this.#json;
  }
}
