import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Dispatcher, MockAgent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { createTransport, type TransportOptions } from "../../../src/http/transport/create-transport.js";
import { TransportError } from "../../../src/http/transport/transport-error.js";
import type { Transport } from "../../../src/http/transport/transport.js";
import { RunScope } from "../../../src/runners/scope/run-scope.js";
import { closeScriptedServers, startScriptedServer } from "../../support/scripted-server.js";

const MiB = 1024 * 1024;
const transports: Transport[] = [];

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

/**
 * A dispatcher that answers `METHOD PATH` from memory, calling the handler as
 * undici's own dispatchers do, at the moment `when` calls it back.
 */
class MemoryDispatcher extends Dispatcher {
  readonly #lengthName: string;
  readonly #when: (answer: () => void) => void;

  constructor(lengthName: string, when: (answer: () => void) => void) {
    super();
    this.#lengthName = lengthName;
    this.#when = when;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.#when(() => {
      handler.onConnect?.(() => {});
      const body = Buffer.from(`${options.method} ${options.path}`);
      handler.onHeaders?.(200, [Buffer.from(this.#lengthName), Buffer.from(String(body.length))], () => {}, "OK");
      handler.onData?.(body);
      handler.onComplete?.([]);
    });
    return true;
  }
}

/** A dispatcher that answers every request 200 with a body in the given chunks. */
class ChunkDispatcher extends Dispatcher {
  readonly #chunks: readonly Buffer[];

  constructor(chunks: readonly Buffer[]) {
    super();
    this.#chunks = chunks;
  }

  override dispatch(_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    queueMicrotask(() => {
      handler.onConnect?.(() => {});
      handler.onHeaders?.(200, [], () => {}, "OK");
      for (const chunk of this.#chunks) handler.onData?.(chunk);
      handler.onComplete?.([]);
    });
    return true;
  }
}

function newTransport(options: Partial<TransportOptions> = {}): Transport {
  const transport = createTransport({ maxResponseBytes: MiB, maxRedirects: 5, connections: 4, ...options });
  transports.push(transport);
  return transport;
}

function get(url: string, headers: Record<string, string> = {}, signal = new AbortController().signal) {
  return { method: "GET", url: new URL(url).href, headers, signal };
}

afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
  await closeScriptedServers();
});

describe("createTransport (undici)", () => {
  it("returns status, headers and the decoded body of a plain 200", async () => {
    const server = await startScriptedServer([
      { json: { status: "ok", name: "café" }, headers: { "x-tag": ["a", "b"] } },
    ]);
    const response = await newTransport().send(get(server.url("/runs/1")));
    expect(response).toMatchObject({ status: 200, body: '{"status":"ok","name":"café"}' });
    expect(response.url).toBe(server.url("/runs/1"));
    expect(response.header("content-type")).toBe("application/json");
    expect(response.header("x-tag")).toBe("a, b");
    expect(response.header("x-missing")).toBeUndefined();
  });

  it("sends method, headers and body as given", async () => {
    const server = await startScriptedServer([{ status: 201 }]);
    const headers = { "content-type": "application/json", "x-id": "7" };
    const request = { ...get(server.url("/runs"), headers), method: "POST", body: '{"a":1}' };
    await newTransport().send(request);
    expect(server.requests[0]).toMatchObject({ method: "POST", url: "/runs", body: '{"a":1}', headers });
  });

  it("sends the URL's path and query, encoded as parsed, and never its fragment", async () => {
    const server = await startScriptedServer([{ status: 200 }, { status: 200 }]);
    const transport = newTransport();
    await transport.send(get(`${server.url("/runs/a b")}?state=open&n=1#section`));
    await transport.send(get(server.url("/runs/2#only-a-fragment")));
    expect(server.requests.map((request) => request.url)).toEqual(["/runs/a%20b?state=open&n=1", "/runs/2"]);
  });

  it("reuses one keep-alive connection for sequential requests", async () => {
    const server = await startScriptedServer([{ body: "one" }, { body: "two" }]);
    const transport = newTransport();
    expect((await transport.send(get(server.url("/a")))).body).toBe("one");
    // undici hands a socket back to its pool one event-loop turn after a response
    // (a guard against servers that close despite keep-alive); runners always wait between polls.
    await new Promise(setImmediate);
    expect((await transport.send(get(server.url("/b")))).body).toBe("two");
    expect(server.connectionCount).toBe(1);
  });

  it("fails with too_large when content-length exceeds the cap", async () => {
    const server = await startScriptedServer([{ action: "huge", bytes: 2 * MiB, contentLength: true }]);
    const error = await newTransport().send(get(server.url())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ kind: "too_large", message: `response body exceeds ${MiB} bytes` });
    await server.waitFor(() => server.openConnectionCount === 0);
  });

  it("ignores content-length over the cap on a HEAD answer", async () => {
    const server = await startScriptedServer([{ headers: { "content-length": String(2 * MiB) } }]);
    const response = await newTransport().send({ ...get(server.url()), method: "HEAD" });
    expect(response).toMatchObject({ status: 200, body: "" });
    expect(response.header("content-length")).toBe(String(2 * MiB));
  });

  it("drops the connection once a streamed body passes the cap", async () => {
    const server = await startScriptedServer([{ action: "huge", bytes: 50 * MiB }]);
    await expect(newTransport().send(get(server.url()))).rejects.toMatchObject({ kind: "too_large" });
    await server.waitFor(() => server.openConnectionCount === 0);
  });

  it("aborts a request in flight when its signal aborts", async () => {
    const server = await startScriptedServer([{ action: "hang" }]);
    const controller = new AbortController();
    const sending = newTransport().send(get(server.url(), {}, controller.signal));
    await server.waitFor(() => server.requests.length === 1);
    controller.abort("cancelled");
    await expect(sending).rejects.toMatchObject({
      kind: "aborted",
      stage: "headers",
      message: "request aborted while waiting for the response headers",
      cause: "cancelled",
    });
    await server.waitFor(() => server.openConnectionCount === 0);
  });

  it("aborts while the body is being read", async () => {
    const server = await startScriptedServer([{ action: "hang-mid-body", body: "partial" }]);
    const controller = new AbortController();
    const sending = newTransport().send(get(server.url(), {}, controller.signal));
    await server.waitFor(() => server.requests.length === 1);
    controller.abort("timed_out");
    await expect(sending).rejects.toMatchObject({ kind: "aborted", cause: "timed_out" });
  });

  it("takes a run's stop signal: aborts the request in flight when the run is cancelled", async () => {
    const server = await startScriptedServer([{ action: "hang" }]);
    const caller = new AbortController();
    const scope = new RunScope({ now: () => Date.now(), signal: caller.signal });
    const sending = newTransport().send({ method: "GET", url: new URL(server.url()).href, headers: {}, signal: scope });
    await server.waitFor(() => server.requests.length === 1);
    expect(scope.listenerCount).toBe(1);
    caller.abort();
    await expect(sending).rejects.toMatchObject({ kind: "aborted", stage: "headers", cause: "cancelled" });
    await server.waitFor(() => server.openConnectionCount === 0);
  });

  it("keeps no listener on a run's stop signal once a response is read", async () => {
    const server = await startScriptedServer(Array.from({ length: 20 }, (_, i) => ({ json: { poll: i } })));
    const scope = new RunScope({ now: () => Date.now(), deadlineAtMs: Date.now() + 60_000 });
    const transport = newTransport();
    const left: number[] = [];
    for (let i = 0; i < 20; i++) {
      await transport.send({ method: "GET", url: new URL(server.url(`/runs/${i}`)).href, headers: {}, signal: scope });
      left.push(scope.listenerCount);
    }
    scope.dispose();
    expect(left).toEqual(Array.from({ length: 20 }, () => 0));
  });

  it("fails a request still queued in the pool as soon as its signal aborts, and never sends it", async () => {
    const server = await startScriptedServer([{ action: "hang" }, { body: "never asked for" }]);
    const transport = newTransport({ connections: 1 });
    const first = new AbortController();
    const holding = transport.send(get(server.url("/first"), {}, first.signal)).catch((e: unknown) => e);
    await server.waitFor(() => server.requests.length === 1);
    const queued = new AbortController();
    const waiting = transport.send(get(server.url("/queued"), {}, queued.signal));
    queued.abort("cancelled");
    // The one connection is still held by the first request: the queued one fails without it.
    await expect(waiting).rejects.toMatchObject({ kind: "aborted", stage: undefined, mayHaveReached: false, cause: "cancelled" });
    first.abort("cancelled");
    await holding;
    await server.waitFor(() => server.openConnectionCount === 0);
    expect(server.requests.map((request) => request.url)).toEqual(["/first"]);
  });

  it("keeps no listener on a run's stop signal once a request has failed or its redirect body was dropped", async () => {
    const server = await startScriptedServer([
      { action: "destroy" },
      { status: 302, headers: { location: "/final" }, body: "moved" },
      { body: "final" },
    ]);
    const scope = new RunScope({ now: () => Date.now(), deadlineAtMs: Date.now() + 60_000 });
    const transport = newTransport();
    const send = (path: string) => transport.send({ method: "GET", url: new URL(server.url(path)).href, headers: {}, signal: scope });
    await expect(send("/gone")).rejects.toMatchObject({ kind: "network" });
    expect(scope.listenerCount).toBe(0);
    expect((await send("/moved")).body).toBe("final");
    expect(scope.listenerCount).toBe(0);
    scope.dispose();
  });

  it("skips an informational 103 answer and returns the final one", async () => {
    const server = await startScriptedServer([
      (_request, response) => {
        response.writeEarlyHints({ link: "</style.css>; rel=preload" });
        response.end("final");
      },
    ]);
    const response = await newTransport().send(get(server.url()));
    expect(response).toMatchObject({ status: 200, body: "final" });
    expect(response.header("link")).toBeUndefined();
  });

  it("sends through any dispatcher that serves undici's request(), whose handler interface it uses", async () => {
    const response = await newTransport({ dispatcher: new MemoryDispatcher("content-length", setImmediate) }).send(get("http://backend.test/runs/1?x=1"));
    expect(response).toMatchObject({ status: 200, body: "GET /runs/1?x=1" });
    expect(response.header("content-length")).toBe("15");
  });

  it("decodes a body in no chunk, in one, and in several, a character split across two of them", async () => {
    const euro = Buffer.from("€ 10", "utf8");
    const bodies = [[], [Buffer.from("one chunk")], [euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2)], [Buffer.alloc(0), Buffer.from("after an empty one")]];
    const texts: string[] = [];
    for (const chunks of bodies) {
      const response = await newTransport({ dispatcher: new ChunkDispatcher(chunks) }).send(get("http://127.0.0.1:1/runs/1"));
      texts.push(response.body);
    }
    expect(texts).toEqual(["", "one chunk", "€ 10", "after an empty one"]);
  });

  it("hands an answer over after dispatch() returned, even from a dispatcher that answers inside it", async () => {
    // The whole handler is called before dispatch() returns.
    const transport = newTransport({ dispatcher: new MemoryDispatcher("Content-Length", (answer) => answer()) });
    const answers: unknown[] = [];
    transport.deliver(get("http://backend.test/runs/1"), { answered: (answer) => answers.push(answer) });
    transport.deliver(get("http://backend.test/runs/2"), { answered: (answer) => answers.push(answer) });
    expect(answers).toEqual([]);
    await new Promise(setImmediate);
    expect(answers).toMatchObject([
      { status: 200, body: "GET /runs/1", url: new URL("http://backend.test/runs/1") },
      { status: 200, body: "GET /runs/2" },
    ]);
  });

  it("hands an answer read in full over as an object of its own, and its handler keeps neither head nor body", async () => {
    const handlers: Dispatcher.DispatchHandler[] = [];
    class CapturingDispatcher extends MemoryDispatcher {
      override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        handlers.push(handler);
        return super.dispatch(options, handler);
      }
    }
    const transport = newTransport({ dispatcher: new CapturingDispatcher("content-length", setImmediate) });
    const sent = await transport.send(get("http://backend.test/runs/1"));
    const delivered = await new Promise<unknown>((resolve) => transport.deliver(get("http://backend.test/runs/2"), { answered: resolve }));
    expect(sent).toMatchObject({ status: 200, body: "GET /runs/1" });
    expect(delivered).toMatchObject({ status: 200, body: "GET /runs/2" });
    expect(sent.header("content-length")).toBe("11");
    expect(handlers).toHaveLength(2);
    for (const handler of handlers) {
      expect(handler).not.toBe(sent);
      expect(handler).not.toBe(delivered);
      expect((handler as unknown as { header(name: string): string | undefined }).header("content-length")).toBeUndefined();
    }
  });

  it("keeps nothing of undici's request once it is over: its abort closure is let go", async () => {
    // undici's abort is a closure over its request and socket; a response kept after its answer must not keep them.
    const handlers: Dispatcher.DispatchHandler[] = [];
    let requestState: WeakRef<object> | undefined;
    class AbortingDispatcher extends Dispatcher {
      override dispatch(_options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
        handlers.push(handler);
        const state = { request: "undici's request and socket" };
        requestState = new WeakRef(state);
        setImmediate(() => {
          handler.onConnect?.(() => void state.request);
          handler.onHeaders?.(200, [Buffer.from("content-length"), Buffer.from("2")], () => {}, "OK");
          handler.onData?.(Buffer.from("ok"));
          handler.onComplete?.([]);
        });
        return true;
      }
    }
    const response = await newTransport({ dispatcher: new AbortingDispatcher() }).send(get("http://backend.test/runs/1"));
    expect(response.body).toBe("ok");
    await new Promise(setImmediate);
    collectGarbage();
    expect(handlers).toHaveLength(1);
    expect(requestState?.deref()).toBeUndefined();
  });

  it("delivers a failure to the receiver once, and a redirect's final answer, not its first", async () => {
    const server = await startScriptedServer([{ status: 302, headers: { location: "/final" }, body: "moved" }, { body: "final" }]);
    const transport = newTransport();
    const redirected = await new Promise((resolve) => transport.deliver(get(server.url()), { answered: resolve }));
    expect(redirected).toMatchObject({ status: 200, body: "final" });
    await server.close();
    const answers: unknown[] = [];
    await new Promise<void>((resolve) =>
      transport.deliver(get(server.url()), {
        answered: (answer) => {
          answers.push(answer);
          resolve();
        },
      }),
    );
    // A later turn of the event loop brings no second answer.
    await new Promise((resolve) => setImmediate(resolve));
    expect(answers).toHaveLength(1);
    expect(answers[0]).toBeInstanceOf(TransportError);
    expect(answers[0]).toMatchObject({ kind: "network" });
  });

  it("sends nothing when the signal is already aborted", async () => {
    const server = await startScriptedServer([{ body: "unused" }]);
    await expect(newTransport().send(get(server.url(), {}, AbortSignal.abort("cancelled")))).rejects.toMatchObject({
      kind: "aborted",
      stage: undefined,
      message: "request aborted",
    });
    expect(server.requests).toHaveLength(0);
  });

  it("reports a refused connection as a network error without header values", async () => {
    const server = await startScriptedServer();
    const url = server.url();
    await server.close();
    const error = await newTransport().send(get(url, { authorization: "Bearer s3cret" })).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "network", message: "connection refused (ECONNREFUSED)" });
    expect((error as Error).message).not.toContain("s3cret");
  });

  it("reports a socket closed mid-body as a network error", async () => {
    const server = await startScriptedServer([{ action: "destroy-mid-body", body: "partial" }]);
    await expect(newTransport().send(get(server.url()))).rejects.toMatchObject({
      kind: "network",
      message: "socket closed before the response was complete (UND_ERR_SOCKET)",
    });
  });

  it("reports a socket destroyed before any answer as a network error", async () => {
    const server = await startScriptedServer([{ action: "destroy" }]);
    await expect(newTransport().send(get(server.url()))).rejects.toMatchObject({ kind: "network" });
  });

  it("closes its agent on close()", async () => {
    const server = await startScriptedServer([{ body: "ok" }]);
    const transport = newTransport();
    await transport.send(get(server.url()));
    expect(server.openConnectionCount).toBe(1);
    await transport.close();
    await server.waitFor(() => server.openConnectionCount === 0);
    await expect(transport.send(get(server.url()))).rejects.toMatchObject({
      kind: "network",
      message: "transport is closed",
    });
  });

  it("closes without having sent anything", async () => {
    await expect(newTransport().close()).resolves.toBeUndefined();
  });

  it("sends through a caller's dispatcher and leaves it open on close()", async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get("http://backend.test").intercept({ path: "/runs/1" }).reply(200, "mocked").times(2);
    const transport = newTransport({ dispatcher: agent });
    expect((await transport.send(get("http://backend.test/runs/1"))).body).toBe("mocked");
    await transport.close();
    const other = newTransport({ dispatcher: agent });
    expect((await other.send(get("http://backend.test/runs/1"))).body).toBe("mocked");
    await agent.close();
  });
});
