/**
 * A fetch with a cookie jar, for backends that keep a client's state in a
 * cookie. The AutoRest test server does: each LRO scenario answers "still
 * running" until the client sends back the `scenario` cookie that answer set,
 * so every AutoRest generator's tests give their HTTP client a cookie jar (Go's
 * `net/http/cookiejar`, the Node clients' tough-cookie).
 */

/** A recorded exchange, in the order sent. */
export interface CookieFetchExchange {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** The fetch, and every exchange it made. */
export interface CookieFetch {
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  readonly exchanges: readonly CookieFetchExchange[];
}

/**
 * Wraps `globalThis.fetch` with one cookie jar for one origin (names and
 * values only: path, domain and the other attributes do not matter there). A
 * cookie is dropped when its `Max-Age` is 0 or less, or, without one, when its
 * `Expires` is not after `now()`.
 */
export function cookieFetch(now: () => number): CookieFetch {
  const jar = new Map<string, string>();
  const exchanges: CookieFetchExchange[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await globalThis.fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) keep(jar, line, now());
    exchanges.push({
      method: init.method ?? "GET",
      url: input instanceof Request ? input.url : String(input),
      status: response.status,
      headers: Object.fromEntries(response.headers),
    });
    return response;
  };
  return { fetch, exchanges };
}

function keep(jar: Map<string, string>, line: string, nowMs: number): void {
  const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
  const equals = pair.indexOf("=");
  if (equals <= 0) return;
  const name = pair.slice(0, equals);
  const attribute = (wanted: string) =>
    attributes.find((part) => part.toLowerCase().startsWith(`${wanted}=`))?.slice(wanted.length + 1);
  const maxAge = attribute("max-age");
  const expires = attribute("expires");
  const gone = maxAge !== undefined ? Number(maxAge) <= 0 : expires !== undefined && Date.parse(expires) <= nowMs;
  if (gone) jar.delete(name);
  else jar.set(name, pair.slice(equals + 1));
}
