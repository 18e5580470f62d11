import { afterEach, describe, expect, it } from "vitest";
import { createTransport } from "../../../src/http/transport/create-transport.js";
import type { Transport, TransportRequest } from "../../../src/http/transport/transport.js";
import { closeScriptedServers, startScriptedServer } from "../../support/scripted-server.js";

const transports: Transport[] = [];

function newTransport(maxRedirects = 5): Transport {
  const transport = createTransport({ maxResponseBytes: 1024 * 1024, maxRedirects, connections: 4 });
  transports.push(transport);
  return transport;
}

function request(method: string, url: string, headers: Record<string, string> = {}, body?: string): TransportRequest {
  return { method, url: new URL(url).href, headers, body, signal: new AbortController().signal };
}

const CREDENTIALS = { authorization: "Bearer s3cret", cookie: "session=1", "proxy-authorization": "Basic eA==" };

afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
  await closeScriptedServers();
});

describe("createTransport redirects", () => {
  it("follows a redirect to the final URL", async () => {
    const server = await startScriptedServer([
      { status: 302, headers: { location: "/final?x=1" }, body: "moved" },
      { body: "done" },
    ]);
    const response = await newTransport().send(request("GET", server.url("/start")));
    expect(response).toMatchObject({ status: 200, body: "done" });
    expect(response.url).toBe(server.url("/final?x=1"));
    expect(server.requests.map((r) => r.url)).toEqual(["/start", "/final?x=1"]);
  });

  it("fails with a redirect error past maxRedirects", async () => {
    const loop = { status: 301, headers: { location: "/again" } };
    const server = await startScriptedServer([loop, loop, loop, loop]);
    await expect(newTransport(3).send(request("GET", server.url()))).rejects.toMatchObject({
      kind: "redirect",
      message: "too many redirects (more than 3)",
    });
    expect(server.requests).toHaveLength(4);
  });

  it("returns the 3xx as is when maxRedirects is 0", async () => {
    const server = await startScriptedServer([{ status: 302, headers: { location: "/next" }, body: "moved" }]);
    const response = await newTransport(0).send(request("GET", server.url()));
    expect(response).toMatchObject({ status: 302, body: "moved" });
    expect(response.header("location")).toBe("/next");
  });

  it("returns a 3xx without Location as is", async () => {
    const server = await startScriptedServer([{ status: 307, body: "nowhere" }]);
    await expect(newTransport().send(request("GET", server.url()))).resolves.toMatchObject({ status: 307 });
  });

  it("refuses a redirect to a URL that is not http(s)", async () => {
    const server = await startScriptedServer([{ status: 302, headers: { location: "ftp://files.test/x?token=t" } }]);
    const error = await newTransport().send(request("GET", server.url())).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "redirect", message: "redirect to a URL that is not http(s) (ftp:)" });
  });

  it("sends only Accept, Content-Type, User-Agent and the trace headers to another origin, for every hop after it", async () => {
    const first = await startScriptedServer();
    // Another port on 127.0.0.1 is another origin.
    const other = await startScriptedServer([{ status: 302, headers: { location: first.url("/back") } }]);
    first.push({ status: 307, headers: { location: other.url("/x") } }, { body: "home again" });
    const kept = { accept: "application/json", "user-agent": "executor-runtime", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" };
    const headers = { ...CREDENTIALS, ...kept, "x-slurm-user-token": "eyJ.jwt.value", "x-api-key": "k-123", "x-trace": "t1" };
    const response = await newTransport().send(request("GET", first.url("/start"), headers));
    expect(response.body).toBe("home again");
    expect(first.requests[0]?.headers).toMatchObject(headers);
    for (const seen of [other.requests[0], first.requests[1]]) {
      expect(seen?.headers).toMatchObject(kept);
      for (const name of [...Object.keys(CREDENTIALS), "x-slurm-user-token", "x-api-key", "x-trace"]) expect(seen?.headers).not.toHaveProperty(name);
    }
  });

  it("keeps credentials on a redirect within the origin", async () => {
    const server = await startScriptedServer([{ status: 308, headers: { location: "/next" } }, { body: "ok" }]);
    await newTransport().send(request("GET", server.url(), CREDENTIALS));
    expect(server.requests[1]?.headers).toMatchObject(CREDENTIALS);
  });

  it("turns a POST into a GET without body after a 303", async () => {
    const server = await startScriptedServer([{ status: 303, headers: { location: "/status" } }, { body: "ok" }]);
    const headers = { "content-type": "application/json", "x-trace": "t1" };
    await newTransport().send(request("POST", server.url("/runs"), headers, '{"a":1}'));
    expect(server.requests[1]).toMatchObject({ method: "GET", url: "/status", body: "", headers: { "x-trace": "t1" } });
    expect(server.requests[1]?.headers).not.toHaveProperty("content-type");
    expect(server.requests[1]?.headers).not.toHaveProperty("content-length");
  });

  it("repeats method and body after a 307", async () => {
    const server = await startScriptedServer([{ status: 307, headers: { location: "/v2/runs" } }, { status: 202 }]);
    await newTransport().send(request("POST", server.url("/runs"), { "content-type": "application/json" }, '{"a":1}'));
    expect(server.requests[1]).toMatchObject({
      method: "POST",
      url: "/v2/runs",
      body: '{"a":1}',
      headers: { "content-type": "application/json" },
    });
  });

  it("drops a large redirect body without counting it against the cap", async () => {
    const server = await startScriptedServer([
      { action: "huge", bytes: 8 * 1024 * 1024, status: 302, headers: { location: "/final" } },
      { body: "done" },
    ]);
    const response = await newTransport().send(request("GET", server.url()));
    expect(response.body).toBe("done");
  });
});
