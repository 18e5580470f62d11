import { afterEach, describe, expect, it } from "vitest";
import { createTransport } from "../../../src/http/transport/create-transport.js";
import type { Transport, TransportRequest } from "../../../src/http/transport/transport.js";
import { closeScriptedServers, startScriptedServer } from "../../support/scripted-server.js";

const MiB = 1024 * 1024;

// Node's own fetch (undici inside) answers redirect: "manual" with the real 3xx, unlike a browser.
function newTransport(): Transport {
  return createTransport({ fetch: globalThis.fetch, maxResponseBytes: MiB, maxRedirects: 5, connections: 4 });
}

function get(url: string, signal = new AbortController().signal): TransportRequest {
  return { method: "GET", url: new URL(url).href, headers: {}, signal };
}

afterEach(closeScriptedServers);

describe("createTransport (Node's fetch)", () => {
  it("follows a redirect itself", async () => {
    const server = await startScriptedServer([{ status: 302, headers: { location: "/final" } }, { body: "done" }]);
    const response = await newTransport().send(get(server.url("/start")));
    expect(response).toMatchObject({ status: 200, body: "done" });
    expect(response.url).toBe(server.url("/final"));
    expect(server.requests.map((r) => r.url)).toEqual(["/start", "/final"]);
  });

  it("aborts a request in flight", async () => {
    const server = await startScriptedServer([{ action: "hang" }]);
    const controller = new AbortController();
    const sending = newTransport().send(get(server.url(), controller.signal));
    await server.waitFor(() => server.requests.length === 1);
    controller.abort("cancelled");
    await expect(sending).rejects.toMatchObject({ kind: "aborted", cause: "cancelled" });
    await server.waitFor(() => server.openConnectionCount === 0);
  });

  it("drops the connection once a streamed body passes the cap", async () => {
    const server = await startScriptedServer([{ action: "huge", bytes: 50 * MiB }]);
    await expect(newTransport().send(get(server.url()))).rejects.toMatchObject({ kind: "too_large" });
    await server.waitFor(() => server.openConnectionCount === 0);
  });
});
