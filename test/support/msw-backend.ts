import { http, HttpResponse } from "msw";
import type { SetupServer } from "msw/node";

/** One scripted answer. `json` is sent as a JSON body; `body` as text. */
export interface ScriptedAnswer {
  readonly status?: number;
  readonly json?: unknown;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Fails the request as a network error (the connection dropped), instead of answering. */
  readonly networkError?: boolean;
}

/** A request the backend received. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Scripts an HTTP backend on msw: each route (`"POST https://api.test/runs"`)
 * answers its list in order and repeats the last answer once the list runs
 * out. Every request is recorded, unscripted routes included.
 */
export function scriptBackend(server: SetupServer, routes: Record<string, readonly ScriptedAnswer[]>) {
  const requests: RecordedRequest[] = [];
  const handlers = Object.entries(routes).map(([route, answers]) => {
    const [method, url] = route.split(" ") as [string, string];
    let next = 0;
    return http.all(url, async ({ request }) => {
      if (request.method !== method) return undefined;
      requests.push({
        method: request.method,
        url: request.url,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
      });
      const answer = answers[Math.min(next++, answers.length - 1)] ?? {};
      if (answer.networkError === true) return HttpResponse.error();
      const init = { status: answer.status ?? 200, headers: answer.headers ?? {} };
      return answer.json === undefined ? new HttpResponse(answer.body ?? null, init) : HttpResponse.json(answer.json, init);
    });
  });
  server.use(...handlers);
  return {
    requests,
    /** How many requests reached `"METHOD url"`. */
    count(route: string): number {
      const [method, url] = route.split(" ");
      return requests.filter((request) => request.method === method && request.url === url).length;
    },
  };
}
