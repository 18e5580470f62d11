import { isHttpUrl } from "../url.js";
import type { Exchange, ExchangeResponse } from "./exchange.js";
import { TransportError } from "./transport-error.js";
import type { TransportRequest, TransportResponse } from "./transport.js";

/**
 * The only headers that follow a redirect to another origin than the one the
 * caller addressed (DESIGN.md, "Safety rules"): every other one came from the
 * invocation, the runner's `headers` or a secret, and any of them may be a
 * credential (`X-SLURM-USER-TOKEN`, `X-API-Key`), not only Authorization and Cookie.
 */
const CROSS_ORIGIN_HEADERS: ReadonlySet<string> = new Set(["accept", "content-type", "user-agent", "traceparent", "tracestate", "baggage"]);
/** Headers about the body: a redirect that turns the request into a GET drops them (as Fetch does). */
const BODY_HEADERS = [
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "content-location",
] as const;

/**
 * A sender that follows 301/302/303/307/308 answers that carry a Location
 * header, up to `maxRedirects` (0 returns the 3xx as is). The body of each
 * intermediate answer is dropped before the next hop.
 */
export function followingRedirects(exchange: Exchange, maxRedirects: number): (request: TransportRequest) => Promise<TransportResponse> {
  // Not an async function: an answer read in full costs one promise here (PERFORMANCE.md, "Answers without promises").
  return (request) => exchange.send(request).then((response) => afterHead(exchange, request, response, maxRedirects));
}

/** The final answer to `request`, from the answer of its first hop: the redirects it names followed. */
export function afterHead(exchange: Exchange, request: TransportRequest, response: ExchangeResponse, maxRedirects: number): TransportResponse | Promise<TransportResponse> {
  const location = redirectLocation(response, maxRedirects);
  if (location !== undefined) return followRedirects(exchange, request, response, location, maxRedirects);
  return completed(response, request.url);
}

/** The final answer once its body is read: at once when the exchange has read it already. */
function completed(response: ExchangeResponse, url: string): TransportResponse | Promise<TransportResponse> {
  const body = response.text();
  return typeof body === "string" ? new CompleteResponse(response, url, body) : body.then((text) => new CompleteResponse(response, url, text));
}

function redirectLocation(response: ExchangeResponse, maxRedirects: number): string | undefined {
  return maxRedirects > 0 && isRedirect(response.status) ? response.header("location") : undefined;
}

async function followRedirects(
  exchange: Exchange,
  request: TransportRequest,
  first: ExchangeResponse,
  firstLocation: string,
  maxRedirects: number,
): Promise<TransportResponse> {
  let hop = request;
  let response = first;
  let location: string | undefined = firstLocation;
  for (let redirects = 0; ; redirects++) {
    if (location === undefined) return completed(response, hop.url);
    await response.discard();
    if (redirects === maxRedirects) {
      throw new TransportError("redirect", `too many redirects (more than ${maxRedirects})`);
    }
    hop = redirectedRequest(hop, response.status, location);
    response = await exchange.send(hop);
    location = redirectLocation(response, maxRedirects);
  }
}

/** Whether `status` is one of the redirects followed. */
export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** The next hop's request; the rules follow the Fetch standard's "HTTP-redirect fetch". */
function redirectedRequest(hop: TransportRequest, status: number, location: string): TransportRequest {
  let url: URL;
  try {
    url = new URL(location, hop.url);
  } catch (error) {
    throw new TransportError("redirect", "redirect to an invalid URL", { cause: error });
  }
  // The target is not quoted: it may carry a token in its query string.
  if (!isHttpUrl(url)) {
    throw new TransportError("redirect", `redirect to a URL that is not http(s) (${url.protocol})`);
  }
  let { method, headers, body } = hop;
  if ((status === 303 || status === 301 || status === 302) && method !== "GET" && method !== "HEAD") {
    method = "GET";
    body = undefined;
    headers = withoutHeaders(headers, BODY_HEADERS);
  }
  // Once stripped, the hop's headers stay stripped for every later hop, even back to the first origin.
  if (url.origin !== new URL(hop.url).origin) headers = onlyHeaders(headers, CROSS_ORIGIN_HEADERS);
  return { method, url: url.href, headers, body, signal: hop.signal };
}

/** The headers named in `names` alone. */
function onlyHeaders(headers: Readonly<Record<string, string>>, names: ReadonlySet<string>): Readonly<Record<string, string>> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (names.has(name)) kept[name] = value;
  return kept;
}

/** The headers without `names`; the same object when none is present, since most hops drop nothing. */
function withoutHeaders(
  headers: Readonly<Record<string, string>>,
  names: readonly string[],
): Readonly<Record<string, string>> {
  let copy: Record<string, string> | undefined;
  for (const name of names) {
    if (!Object.hasOwn(headers, name)) continue;
    copy ??= { ...headers };
    delete copy[name];
  }
  return copy ?? headers;
}

/** The final answer: status and headers of the last hop, with its body read. */
class CompleteResponse implements TransportResponse {
  readonly status: number;
  readonly url: string;
  readonly body: string;
  readonly #source: ExchangeResponse;

  constructor(source: ExchangeResponse, url: string, body: string) {
    this.status = source.status;
    this.url = url;
    this.body = body;
    this.#source = source;
  }

  header(name: string): string | undefined {
    return this.#source.header(name);
  }
}
