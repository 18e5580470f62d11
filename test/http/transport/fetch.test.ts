import { getEventListeners } from "node:events";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createTransport } from "../../../src/http/transport/create-transport.js";
import type { FetchFunction, Transport, TransportRequest } from "../../../src/http/transport/transport.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const backend = setupServer();

beforeAll(() => backend.listen({ onUnhandledRequest: "error" }));
afterEach(() => backend.resetHandlers());
afterAll(() => backend.close());

function newTransport(fetch: FetchFunction, maxResponseBytes = 64 * KiB): Transport {
  return createTransport({ fetch, maxResponseBytes, maxRedirects: 5, connections: 4 });
}

function request(url: string, init: Partial<TransportRequest> = {}): TransportRequest {
  return { method: "GET", url: new URL(url).href, headers: {}, signal: new AbortController().signal, ...init };
}

/** A body that yields 16 KiB chunks until cancelled; `cancelled` resolves when it is. */
function endlessBody(): { stream: ReadableStream<Uint8Array>; cancelled: Promise<unknown> } {
  let onCancel: (reason: unknown) => void = () => {};
  const cancelled = new Promise((resolve) => (onCancel = resolve));
  const stream = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.enqueue(new Uint8Array(16 * KiB)),
    cancel: (reason) => onCancel(reason),
  });
  return { stream, cancelled };
}

describe("createTransport (fetch)", () => {
  it("sends through globalThis.fetch patched by msw", async () => {
    backend.use(
      http.post("http://backend.test/runs", async ({ request: req }) =>
        HttpResponse.json(
          { id: "r1", got: await req.text(), key: req.headers.get("idempotency-key") },
          { status: 202 },
        ),
      ),
    );
    const transport = newTransport(globalThis.fetch);
    const response = await transport.send(
      request("http://backend.test/runs", { method: "POST", headers: { "idempotency-key": "inv-1" }, body: "{}" }),
    );
    expect(response).toMatchObject({ status: 202, body: '{"id":"r1","got":"{}","key":"inv-1"}' });
    expect(response.header("content-type")).toBe("application/json");
  });

  it("follows an msw redirect and sends the other origin none of the caller's headers but the trace and content ones", async () => {
    const seen: (string | null)[] = [];
    backend.use(
      http.get(
        "http://backend.test/start",
        () => new HttpResponse(null, { status: 302, headers: { location: "http://other.test/done" } }),
      ),
      http.get("http://other.test/done", ({ request: req }) => {
        seen.push(req.headers.get("authorization"), req.headers.get("x-trace"), req.headers.get("traceparent"));
        return HttpResponse.text("done");
      }),
    );
    const transport = newTransport((input, init) => globalThis.fetch(input, init));
    const headers = { authorization: "Bearer t", "x-trace": "1", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" };
    const response = await transport.send(request("http://backend.test/start", { headers }));
    expect(response).toMatchObject({ status: 200, body: "done" });
    expect(response.url).toBe("http://other.test/done");
    expect(seen).toEqual([null, null, headers.traceparent]);
  });

  it("calls the fetch function with manual redirects and a signal of the request's own, unlinked once the response is read", async () => {
    const fetch = vi.fn<FetchFunction>(async () => new Response("ok"));
    const run = new AbortController();
    const sent = request("http://backend.test/runs/1", { headers: { accept: "application/json" }, signal: run.signal });
    await newTransport(fetch).send(sent);
    expect(fetch).toHaveBeenCalledWith("http://backend.test/runs/1", {
      method: "GET",
      headers: { accept: "application/json" },
      body: null,
      signal: expect.any(AbortSignal),
      redirect: "manual",
    });
    const given = fetch.mock.calls[0]?.[1]?.signal;
    expect(given).not.toBe(run.signal);
    expect(getEventListeners(run.signal, "abort")).toHaveLength(0);
    run.abort();
    expect(given?.aborted).toBe(false);
  });

  it("aborts the request's own signal when the run's signal aborts while the request is out", async () => {
    const run = new AbortController();
    let given: AbortSignal | undefined;
    const fetch: FetchFunction = (_input, init) => {
      given = init?.signal ?? undefined;
      return new Promise(() => undefined);
    };
    const sending = newTransport(fetch).send(request("http://backend.test/runs/1", { signal: run.signal }));
    run.abort("cancelled");
    await expect(sending).rejects.toMatchObject({ kind: "aborted" });
    expect([given?.aborted, given?.reason]).toEqual([true, "cancelled"]);
    expect(getEventListeners(run.signal, "abort")).toHaveLength(0);
  });

  it("reads a response without body as an empty string", async () => {
    const transport = newTransport(async () => new Response(null, { status: 204 }));
    await expect(transport.send(request("http://backend.test/"))).resolves.toMatchObject({ status: 204, body: "" });
  });

  it("rejects as aborted when a stub ignores the signal", async () => {
    const controller = new AbortController();
    let called!: () => void;
    const calledOnce = new Promise<void>((resolve) => (called = resolve));
    const fetch = vi.fn<FetchFunction>(() => {
      called();
      return new Promise<Response>(() => {});
    });
    const sending = newTransport(fetch).send(request("http://backend.test/", { signal: controller.signal }));
    await calledOnce;
    controller.abort("cancelled");
    await expect(sending).rejects.toMatchObject({ kind: "aborted", stage: "headers", cause: "cancelled" });
  });

  it("rejects as aborted while a body that ignores the signal is read", async () => {
    const controller = new AbortController();
    let reading!: () => void;
    const readingStarted = new Promise<void>((resolve) => (reading = resolve));
    // One chunk, then a source that never delivers the rest.
    const body = new ReadableStream<Uint8Array>({
      start: (c) => c.enqueue(new TextEncoder().encode("part")),
      pull: () => {
        reading();
        return new Promise<void>(() => {});
      },
    });
    const sending = newTransport(async () => new Response(body)).send(
      request("http://backend.test/", { signal: controller.signal }),
    );
    await readingStarted;
    controller.abort("timed_out");
    await expect(sending).rejects.toMatchObject({ kind: "aborted", stage: "body", cause: "timed_out" });
  });

  it("cancels a streamed body past the cap", async () => {
    const { stream, cancelled } = endlessBody();
    const transport = newTransport(async () => new Response(stream), 100 * KiB);
    await expect(transport.send(request("http://backend.test/"))).rejects.toMatchObject({
      kind: "too_large",
      message: `response body exceeds ${100 * KiB} bytes`,
    });
    await cancelled;
  });

  it("fails before reading when content-length exceeds the cap", async () => {
    const { stream, cancelled } = endlessBody();
    const transport = newTransport(async () => new Response(stream, { headers: { "content-length": String(MiB) } }));
    await expect(transport.send(request("http://backend.test/"))).rejects.toMatchObject({ kind: "too_large" });
    await cancelled;
  });

  it("reports a rejected fetch as a network error without quoting it", async () => {
    const reset = Object.assign(new Error("Bearer s3cret"), { code: "ECONNRESET" });
    const failure = new TypeError("fetch failed", { cause: reset });
    const transport = newTransport(async () => Promise.reject(failure));
    const error = await transport.send(request("http://backend.test/")).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "network", message: "connection reset (ECONNRESET)", cause: failure });
  });

  it("reports a fetch that resolves to something else than a Response as a network error", async () => {
    const transport = newTransport((async () => undefined) as unknown as FetchFunction);
    await expect(transport.send(request("http://backend.test/"))).rejects.toMatchObject({ kind: "network" });
  });
});

