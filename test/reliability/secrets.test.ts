import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { RuntimeInvocationSchema, type RuntimeInvocation } from "../../src/contracts/invocation.js";
import type { RuntimeResult } from "../../src/contracts/result.js";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { HttpRunner } from "../../src/runners/http.js";
import type { RunEvent, Runner } from "../../src/runners/runner.js";
import { ExecutorRuntime } from "../../src/runtime.js";
import { loopbackBackend } from "../support/async-http.js";
import type { RecordedRequest, ScriptedResponse, ScriptedServer } from "../support/scripted-server.js";

/** Distinctive secrets, one per place a caller or a backend can put one. */
const SECRET = {
  runnerToken: "rnr7f3a9c1e", // runner `headers`: Authorization: Bearer <token>
  proxy: "prxc0ffee77", // runner `headers`: Proxy-Authorization
  apiKey: "hdr51be0d77", // `http.headers`: X-Api-Key
  cookie: "ck9d2e11aa", // `http.headers`: Cookie sid=<cookie>
  urlQuery: "qrya1b2c3d4", // `http.url` ?token=
  templateQuery: "tpl44556677", // `http.poll_url_template` ?api_key=
  cancelQuery: "cnc99887766", // `http.cancel_url_template` ?access_token=
  userinfo: "usr88776655", // URL userinfo: in `http.url` (rejected), in a Location header
  locationQuery: "sig33445566", // a Location header's ?sig=
} as const;
const HEADER_SECRETS = [SECRET.runnerToken, SECRET.proxy, SECRET.apiKey, SECRET.cookie];

const runnerHeaders = { Authorization: `Bearer ${SECRET.runnerToken}`, "Proxy-Authorization": `Basic ${SECRET.proxy}` };
const invocationHeaders = JSON.stringify({ "X-Api-Key": SECRET.apiKey, Cookie: `sid=${SECRET.cookie}; theme=dark` });

/**
 * A backend that echoes what it received, each secret within the first 200
 * characters (the preview length), the bare token and cookie value too.
 */
function echo(status: number, wrap: (text: string) => unknown = (text) => text): ScriptedResponse {
  return (request: RecordedRequest, response: ServerResponse) => {
    const h = request.headers;
    const text = `${request.url} ${h.authorization} ${h["x-api-key"]} ${h.cookie} ${SECRET.runnerToken} ${SECRET.cookie} ${h["proxy-authorization"]}`;
    const body = wrap(text);
    response.writeHead(status).end(typeof body === "string" ? body : JSON.stringify(body));
  };
}

function invocation(kind: "http" | "http_async", metadata: Record<string, string>): RuntimeInvocation {
  return RuntimeInvocationSchema.parse({ invocation_id: "inv-1", runtime_name: "backend", runtime_kind: kind, timeout_seconds: 60, metadata });
}

function asyncMetadata(server: ScriptedServer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "http.url": server.url(`/runs?token=${SECRET.urlQuery}&page=2`),
    "http.headers": invocationHeaders,
    "http.poll_url_template": `/runs/{run_id}?api_key=${SECRET.templateQuery}`,
    "http.poll_run_id_path": "id",
    "http.poll_status_path": "status",
    "http.poll_terminal_states": "completed,failed",
    "http.poll_interval_seconds": "0",
    ...extra,
  };
}

/** A status URL with userinfo and a secret query, as a backend handing out pre-signed URLs would send. */
function signedLocation(server: ScriptedServer): string {
  return server.url(`/runs/1?sig=${SECRET.locationQuery}`).replace("//", `//poller:${SECRET.userinfo}@`);
}

/** Everything a run hands back: the summary, the metadata, and the events (the checkpoint's poll URL apart). */
interface Outputs {
  readonly result: RuntimeResult;
  readonly texts: string[];
  readonly checkpointPollUrls: string[];
}

async function collect(runner: Runner, input: RuntimeInvocation, signal?: AbortSignal): Promise<Outputs> {
  const events: RunEvent[] = [];
  const result = await runner.run(input, { onEvent: (event) => void events.push(event), ...(signal ? { signal } : {}) });
  await runner.close?.();
  const checkpointPollUrls = events.flatMap((event) => (event.type === "accepted" ? [event.checkpoint.pollUrl] : []));
  const withoutPollUrl = events.map((event) => (event.type === "accepted" ? { ...event, checkpoint: { ...event.checkpoint, pollUrl: "" } } : event));
  return { result, checkpointPollUrls, texts: [result.error_summary ?? "", JSON.stringify(result.metadata), JSON.stringify(withoutPollUrl)] };
}

function expectNoSecret(outputs: Outputs): void {
  for (const text of outputs.texts) {
    for (const secret of Object.values(SECRET)) expect(text).not.toContain(secret);
  }
  // The checkpoint must work when resumed, so it is the one place that keeps the poll URL whole; never a header value.
  for (const url of outputs.checkpointPollUrls) for (const secret of HEADER_SECRETS) expect(url).not.toContain(secret);
}

/** The backend did receive the secrets it echoes, so an output without them proves redaction. */
function expectBackendSaw(server: ScriptedServer): void {
  const seen = JSON.stringify(server.requests);
  for (const secret of [...HEADER_SECRETS, SECRET.urlQuery]) expect(seen).toContain(secret);
}

describe("secrets in results and events", () => {
  it("are redacted from a kickoff failure whose body echoes the request", async () => {
    const server = await loopbackBackend([echo(500)]);
    const outputs = await collect(new AsyncHttpRunner({ headers: runnerHeaders }), invocation("http_async", asyncMetadata(server)));
    expect(outputs.result.status).toBe("failed");
    expect(outputs.result.error_summary).toContain("[REDACTED]");
    expectBackendSaw(server);
    expectNoSecret(outputs);
  });

  it("are redacted from retries, the Location poll URL with userinfo and a secret query, and http.result", async () => {
    const server = await loopbackBackend();
    server.push(
      { status: 202, headers: { location: signedLocation(server) } },
      echo(503),
      echo(200, (text) => ({ status: "running", note: text })),
      echo(200, (text) => ({ status: "completed", output: text })),
    );
    const metadata = asyncMetadata(server, { "http.poll_max_consecutive_errors": "1", "http.result_path": "output" });
    delete metadata["http.poll_url_template"];
    const outputs = await collect(new AsyncHttpRunner({ headers: runnerHeaders }), invocation("http_async", metadata));
    expect(outputs.result).toMatchObject({ status: "succeeded", metadata: { "http.polls": "3" } });
    expect(outputs.result.metadata["http.poll_url"]).toBe(server.url(`/runs/1?sig=[REDACTED]`).replace("//", "//[REDACTED]@"));
    expect(outputs.result.metadata["http.result"]).toContain("[REDACTED]");
    expect(outputs.checkpointPollUrls).toEqual([signedLocation(server)]);
    expectBackendSaw(server);
    expectNoSecret(outputs);
  });

  it("are redacted from a permanent poll failure and from a cancelled run's summary and cancel status", async () => {
    const server = await loopbackBackend([{ status: 202, json: { id: "1" } }, echo(401)]);
    const failed = await collect(new AsyncHttpRunner({ headers: runnerHeaders }), invocation("http_async", asyncMetadata(server)));
    expect(failed.result.error_summary).toMatch(/^poll 1 of .* answered HTTP 401: .*\[REDACTED\]/);
    expectNoSecret(failed);

    server.push({ status: 202, json: { id: "1" } }, { action: "hang" }, { action: "reset" });
    const controller = new AbortController();
    const cancelled = collect(
      new AsyncHttpRunner({ headers: runnerHeaders }),
      invocation("http_async", asyncMetadata(server, { "http.cancel_url_template": `/runs/{run_id}/cancel?access_token=${SECRET.cancelQuery}` })),
      controller.signal,
    );
    await server.waitFor(() => server.requests.length === 4);
    controller.abort();
    const outputs = await cancelled;
    expect(outputs.result).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "error: connection reset (ECONNRESET)" } });
    expect(server.requests.at(-1)?.url).toContain(SECRET.cancelQuery);
    expectNoSecret(outputs);
  });

  it("are redacted from a network failure of a URL with a secret query", async () => {
    const server = await loopbackBackend([{ action: "reset" }]);
    const outputs = await collect(new AsyncHttpRunner({ headers: runnerHeaders }), invocation("http_async", asyncMetadata(server)));
    expect(outputs.result.error_summary).toBe(`kickoff POST ${server.origin}/runs?token=[REDACTED]&page=2 failed: connection reset (ECONNRESET); the backend may hold the job: the request that starts it was sent and its outcome is unknown`);
    expectNoSecret(outputs);
  });

  it("are redacted from an HttpRunner failure whose body echoes the request", async () => {
    const server = await loopbackBackend([echo(401)]);
    const metadata = { "http.url": server.url(`/hooks?token=${SECRET.urlQuery}`), "http.headers": invocationHeaders };
    const outputs = await collect(new HttpRunner({ headers: runnerHeaders }), invocation("http", metadata));
    expect(outputs.result).toMatchObject({ status: "failed", exit_code: 401 });
    expectBackendSaw(server);
    expectNoSecret(outputs);
  });

  it("never appear in the summary of metadata rejected for holding them in the wrong place", async () => {
    const runtime = new ExecutorRuntime({ runners: { http_async: new AsyncHttpRunner(), http: new HttpRunner() } });
    const results = await Promise.all([
      runtime.run(invocation("http", { "http.url": `http://admin:${SECRET.userinfo}@127.0.0.1:9/hooks?token=${SECRET.urlQuery}` })),
      runtime.run(invocation("http", { "http.url": "http://127.0.0.1:9/hooks", "http.headers": JSON.stringify({ "X-Api-Key": `${SECRET.apiKey}\r\nX-Injected: 1` }) })),
      runtime.run(invocation("http", { "http.url": "http://127.0.0.1:9/hooks", "http.header": JSON.stringify({ "X-Api-Key": SECRET.apiKey }) })),
      runtime.run(invocation("http", { "http.url": "http://127.0.0.1:9/hooks", "http.headers": `{"X-Api-Key": ${SECRET.apiKey}` })),
    ]);
    await runtime.close();
    for (const result of results) {
      expect(result.status).toBe("rejected");
      expectNoSecret({ result, texts: [result.error_summary ?? "", JSON.stringify(result.metadata)], checkpointPollUrls: [] });
    }
  });
});
