import { describe, expect, it } from "vitest";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";
import type { AsyncHttpConfig } from "../../../src/http/metadata/config.js";
import { HttpClient, type RunSettings } from "../../../src/runners/http-client.js";
import { protocolOf, protocolOfRun } from "../../../src/runners/async-http/protocol.js";
import { API, asyncInvocation, asyncRunner, useMswServer } from "../../support/async-http.js";
import { fakeClock } from "../../support/fake-clock.js";
import { scriptBackend } from "../../support/msw-backend.js";

const server = useMswServer();

function settingsOf(client: HttpClient<AsyncHttpConfig>, metadata: Record<string, string>, invocationId: string): RunSettings<AsyncHttpConfig> {
  const settings = client.settingsOf(asyncInvocation(metadata, { invocation_id: invocationId }), "http_async", 0);
  if ("rejected" in settings) throw new Error(settings.rejected.error_summary ?? "rejected");
  return settings;
}

describe("the settings of a run that fills {invocation_id} in", () => {
  it("share their configuration's headers, redactor and protocol when only the body takes the id", () => {
    const client = new HttpClient<AsyncHttpConfig>({}, parseAsyncHttpMetadata);
    const metadata = { "http.body": '{"job": "{invocation_id}"}', "http.headers": '{"x-team": "blue"}' };
    const first = settingsOf(client, metadata, "inv-1");
    const second = settingsOf(client, metadata, "inv-2");
    expect([first.config.body, second.config.body]).toEqual(['{"job": "inv-1"}', '{"job": "inv-2"}']);
    expect(first.parsed).toBe(second.parsed);
    expect(first.config).not.toBe(first.parsed);
    expect(first.shared).toBe(client.shared(first.parsed));
    expect(second.shared).toBe(first.shared);
    expect(protocolOfRun(first.parsed, first.config)).toBe(protocolOf(first.parsed));
  });

  it("have headers of their own when a header takes the id, and a protocol of their own when the URL does", () => {
    const client = new HttpClient<AsyncHttpConfig>({}, parseAsyncHttpMetadata);
    const inHeader = settingsOf(client, { "http.headers": '{"x-job": "{invocation_id}"}' }, "inv-1");
    expect(inHeader.shared.headers).not.toBe(client.shared(inHeader.parsed).headers);
    expect(inHeader.shared.headers.plain).toMatchObject({ "x-job": "inv-1" });
    expect(inHeader.shared.redact).toBe(client.shared(inHeader.parsed).redact);
    const inUrl = settingsOf(client, { "http.url": `${API}/u/{invocation_id}/runs` }, "inv-1");
    expect(inUrl.shared).toBe(client.shared(inUrl.parsed));
    expect(protocolOfRun(inUrl.parsed, inUrl.config)).not.toBe(protocolOf(inUrl.parsed));
  });
});

describe("runs of one configuration that fills {invocation_id} in", () => {
  it("each send their own id in the URL, the body and a header, and poll under their own URL", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/u/inv-1/runs`]: [{ status: 202, json: { id: "1" } }],
      [`POST ${API}/u/inv-2/runs`]: [{ status: 202, json: { id: "2" } }],
      [`GET ${API}/u/inv-1/runs/1`]: [{ json: { status: "completed" } }],
      [`GET ${API}/u/inv-2/runs/2`]: [{ json: { status: "completed" } }],
    });
    const metadata = {
      "http.url": `${API}/u/{invocation_id}/runs`,
      "http.poll_url_template": "runs/{run_id}",
      "http.body": '{"job": "{invocation_id}"}',
      "http.headers": '{"x-job": "{invocation_id}"}',
    };
    const runner = asyncRunner(fakeClock());
    const results = await Promise.all(["inv-1", "inv-2"].map((id) => runner.run(asyncInvocation(metadata, { invocation_id: id }))));
    expect(results.map((result) => result.status)).toEqual(["succeeded", "succeeded"]);
    const sent = backend.requests.map((request) => `${request.method} ${request.url} ${request.headers["x-job"]} ${request.body}`).sort();
    expect(sent).toEqual([
      `GET ${API}/u/inv-1/runs/1 inv-1 `,
      `GET ${API}/u/inv-2/runs/2 inv-2 `,
      `POST ${API}/u/inv-1/runs inv-1 {"job": "inv-1"}`,
      `POST ${API}/u/inv-2/runs inv-2 {"job": "inv-2"}`,
    ]);
  });
});

describe("a run whose header carries its invocation id", () => {
  it("keeps the id in what it reports, and still removes what the header's value has of its own", async () => {
    scriptBackend(server, {
      [`POST ${API}/u/inv-1/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/u/inv-1/runs/1`]: [{ status: 400, body: "job inv-1 refused key k3y-s3cret-inv-1" }],
    });
    const metadata = { "http.url": `${API}/u/{invocation_id}/runs`, "http.poll_url_template": "runs/{run_id}", "http.headers": '{"x-key": "k3y-s3cret-{invocation_id}", "x-order": "{invocation_id}"}' };
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(metadata));
    expect(result.metadata["http.poll_url"]).toBe(`${API}/u/inv-1/runs/1`);
    expect(result.error_summary).toContain("job inv-1 refused key [REDACTED]inv-1");
    expect(JSON.stringify(result)).not.toContain("k3y-s3cret");
  });
});
