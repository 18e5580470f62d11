/**
 * A loopback HTTP backend for tests: it answers requests with a script of
 * responses, in order, and records every request. The steps include the
 * faults of a bad backend (see ScriptedResponse); a `fallback` answers every
 * request once the script is used up (a redirect loop, a router by hand).
 *
 * @example
 * afterEach(closeScriptedServers);
 *
 * const server = await startScriptedServer([
 *   { status: 202, headers: { location: "/runs/1" } },
 *   { json: { status: "running" } },
 *   { json: { status: "completed" } },
 * ]);
 * // ... send requests to server.url("/runs") ...
 * expect(server.requests.map((r) => r.method)).toEqual(["POST", "GET", "GET"]);
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A request as the server received it. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query string, e.g. "/runs/1?x=1". */
  readonly url: string;
  /** Header names are lower-case. */
  readonly headers: IncomingHttpHeaders;
  /** The body decoded as UTF-8; "" when there is none. */
  readonly body: string;
}

/** The start of an answer: status (default 200) and headers. */
export interface ScriptedHead {
  readonly status?: number;
  readonly headers?: OutgoingHttpHeaders;
}

/**
 * One step of the script. A plain reply (`closeConnection` ends the
 * keep-alive socket once the reply is sent, as a server that drops idle
 * connections does), or an `action`:
 * - `hang`: never answer (not even headers);
 * - `hang-mid-body`: send the head and `body`, then never finish;
 * - `destroy`: destroy the socket without answering;
 * - `reset`: reset the connection (TCP RST) without answering;
 * - `destroy-mid-body`: announce more bytes than `body` in content-length, send `body`, destroy the socket;
 * - `endless`: a chunked body that never ends;
 * - `huge`: a body of `bytes` bytes, streamed in chunks (announced in content-length when `contentLength` is true);
 * - a function: answer by hand.
 * Streamed bodies follow backpressure and stop when the client goes away.
 */
export type ScriptedResponse =
  | (ScriptedHead & { readonly body?: string | Uint8Array; readonly json?: unknown; readonly closeConnection?: boolean })
  | { readonly action: "hang" }
  | { readonly action: "reset" }
  | (ScriptedHead & { readonly action: "hang-mid-body"; readonly body: string })
  | { readonly action: "destroy" }
  | (ScriptedHead & { readonly action: "destroy-mid-body"; readonly body: string })
  | (ScriptedHead & { readonly action: "endless" })
  | (ScriptedHead & { readonly action: "huge"; readonly bytes: number; readonly contentLength?: boolean })
  | ((request: RecordedRequest, response: ServerResponse) => void);

/** A running scripted server. */
export interface ScriptedServer {
  /** "http://127.0.0.1:<port>". */
  readonly origin: string;
  /** Every request received so far, in order. */
  readonly requests: readonly RecordedRequest[];
  /** TCP connections accepted so far. */
  readonly connectionCount: number;
  /** TCP connections open now. */
  readonly openConnectionCount: number;
  /** Bytes written to connections that have closed (headers included). */
  readonly bytesWritten: number;
  /** An absolute URL on this server. */
  url(path?: string): string;
  /** Appends steps to the script. */
  push(...responses: ScriptedResponse[]): void;
  /** Resolves once `condition` holds; checked after every request and connection change. */
  waitFor(condition: () => boolean): Promise<void>;
  /** Destroys open connections and stops listening. */
  close(): Promise<void>;
}

const STREAM_CHUNK = Buffer.alloc(64 * 1024, "x");
const running = new Set<ScriptedServer>();

/** Options of `startScriptedServer`. */
export interface ScriptedServerOptions {
  /** Answers every request once the script is used up. @default a 500 "no scripted response left" */
  readonly fallback?: ScriptedResponse;
}

/**
 * Starts a server on 127.0.0.1, port 0, answering with `script` in order,
 * then with `options.fallback`.
 */
export async function startScriptedServer(
  script: readonly ScriptedResponse[] = [],
  options: ScriptedServerOptions = {},
): Promise<ScriptedServer> {
  const steps = [...script];
  const requests: RecordedRequest[] = [];
  const waiters: { condition: () => boolean; resolve: () => void }[] = [];
  let connectionCount = 0;
  let openConnectionCount = 0;
  let bytesWritten = 0;

  const notify = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      if (waiter?.condition()) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(recorded);
      play(steps.shift() ?? options.fallback, recorded, res);
      notify();
    });
  });
  server.on("connection", (socket: Socket) => {
    connectionCount++;
    openConnectionCount++;
    socket.on("close", () => {
      openConnectionCount--;
      bytesWritten += socket.bytesWritten;
      notify();
    });
    notify();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const scripted: ScriptedServer = {
    origin,
    requests,
    get connectionCount() {
      return connectionCount;
    },
    get openConnectionCount() {
      return openConnectionCount;
    },
    get bytesWritten() {
      return bytesWritten;
    },
    url: (path = "/") => new URL(path, origin).href,
    push: (...responses) => void steps.push(...responses),
    waitFor: (condition) =>
      condition() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ condition, resolve })),
    close: async () => {
      running.delete(scripted);
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  running.add(scripted);
  return scripted;
}

/** Closes every server started in this test file; use as `afterEach(closeScriptedServers)`. */
export async function closeScriptedServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.close()));
}

function play(step: ScriptedResponse | undefined, request: RecordedRequest, res: ServerResponse): void {
  if (step === undefined) {
    res.writeHead(500, { "content-type": "text/plain" }).end("scripted server: no response left");
    return;
  }
  if (typeof step === "function") {
    step(request, res);
    return;
  }
  if (!("action" in step)) {
    const socket = res.socket;
    // Ended after the reply, without a `connection: close` header: the client learns it only from the FIN.
    const sent = step.closeConnection === true ? () => socket?.end() : undefined;
    if (step.json !== undefined) {
      res.writeHead(step.status ?? 200, { "content-type": "application/json", ...step.headers });
      res.end(JSON.stringify(step.json), sent);
    } else {
      res.writeHead(step.status ?? 200, step.headers).end(step.body ?? "", sent);
    }
    return;
  }
  switch (step.action) {
    case "hang":
      return;
    case "destroy":
      res.socket?.destroy();
      return;
    case "reset":
      res.socket?.resetAndDestroy();
      return;
    case "hang-mid-body":
      res.writeHead(step.status ?? 200, step.headers).write(step.body);
      return;
    case "destroy-mid-body":
      res.writeHead(step.status ?? 200, { ...step.headers, "content-length": Buffer.byteLength(step.body) + 1000 });
      res.write(step.body, () => res.socket?.destroy());
      return;
    case "endless":
      res.writeHead(step.status ?? 200, step.headers);
      streamBody(res, Infinity);
      return;
    case "huge": {
      const headers = step.contentLength ? { ...step.headers, "content-length": step.bytes } : step.headers;
      res.writeHead(step.status ?? 200, headers);
      streamBody(res, step.bytes);
      return;
    }
  }
}

/** Writes `bytes` bytes as fast as the client reads them; stops when the connection goes away. */
function streamBody(res: ServerResponse, bytes: number): void {
  let left = bytes;
  const pump = (): void => {
    while (left > 0) {
      if (res.destroyed) return;
      const size = Math.min(left, STREAM_CHUNK.length);
      left -= size;
      if (!res.write(size === STREAM_CHUNK.length ? STREAM_CHUNK : STREAM_CHUNK.subarray(0, size))) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  pump();
}
