import { describe, expect, test } from "vitest";
import { cachedMetadataParser } from "../../../src/http/metadata/cache.js";
import type { AsyncHttpConfig, HttpRequestConfig } from "../../../src/http/metadata/config.js";
import { configForInvocation, invocationIdProblem } from "../../../src/http/metadata/for-invocation.js";
import { parseAsyncHttpMetadata, parseHttpMetadata } from "../../../src/http/metadata/parse.js";

const STATUS_KEYS = { "http.poll_status_path": "status", "http.poll_terminal_states": "completed" };

function requestConfig(metadata: Record<string, string>): HttpRequestConfig {
  const parsed = parseHttpMetadata(metadata);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

function asyncConfig(metadata: Record<string, string>): AsyncHttpConfig {
  const parsed = parseAsyncHttpMetadata({ ...STATUS_KEYS, ...metadata });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

describe(configForInvocation.name, () => {
  test("returns the same config when nothing in it uses {invocation_id}", () => {
    const config = requestConfig({ "http.url": "https://api.test/runs", "http.body": '{"a": 1}', "http.headers": '{"X-Team": "search"}' });
    expect(config.usesInvocationId).toBe(false);
    expect(configForInvocation(config, "job-1")).toBe(config);
  });

  test("returns the same config when only the templates use {invocation_id}: they are filled per request", () => {
    const config = asyncConfig({
      "http.url": "https://api.test/runs",
      "http.poll_url_template": "/runs/{invocation_id}",
      "http.cancel_url_template": "/runs/{invocation_id}/cancel",
      "http.run_owner_path": "title",
    });
    expect(configForInvocation(config, "job-1")).toBe(config);
  });

  test("fills the id URL-encoded in the URL's path and query", () => {
    const config = requestConfig({ "http.url": "http://host/api/{invocation_id}/run?for={invocation_id}" });
    expect(configForInvocation(config, "a/b c?").url.href).toBe("http://host/api/a%2Fb%20c%3F/run?for=a%2Fb%20c%3F");
  });

  test("fills the id in a JSON body as the content of a JSON string", () => {
    const config = requestConfig({ "http.url": "https://api.test/runs", "http.body": '{"message": "run {invocation_id}", "n": 12345678901234567890}' });
    const body = configForInvocation(config, 'say "hi"\n\\').body!;
    expect(body).toBe('{"message": "run say \\"hi\\"\\n\\\\", "n": 12345678901234567890}');
    expect(JSON.parse(body)).toMatchObject({ message: 'run say "hi"\n\\' });
  });

  test("fills the id form-encoded in a form body, in names and values", () => {
    const metadata = { "http.url": "https://api.test/runs", "http.body_format": "form", "http.body": '{"note": "id {invocation_id}", "{invocation_id}": 1}' };
    const body = configForInvocation(requestConfig(metadata), "a b&c=d+é").body;
    expect(body).toBe(new URLSearchParams([["note", "id a b&c=d+é"], ["a b&c=d+é", "1"]]).toString());
  });

  test("fills the id as given in header values and leaves the other headers alone", () => {
    const config = requestConfig({ "http.url": "https://api.test/runs", "http.headers": '{"X-Run": "run-{invocation_id}", "Accept": "application/json"}' });
    expect(configForInvocation(config, "job 1").headers).toEqual({ "x-run": "run-job 1", accept: "application/json" });
  });

  test("gives each run its own copy and leaves the shared config as parsed", () => {
    const parse = cachedMetadataParser(parseHttpMetadata);
    const metadata = { "http.url": "https://api.test/jobs/{invocation_id}" };
    const [first, second] = [parse(metadata), parse(metadata)];
    if (!first.ok || !second.ok) throw new Error("expected both to parse");
    expect(second.config).toBe(first.config);
    const runs = [configForInvocation(first.config, "job-1"), configForInvocation(second.config, "job-2")];
    expect(runs.map((run) => run.url.href)).toEqual(["https://api.test/jobs/job-1", "https://api.test/jobs/job-2"]);
    expect(first.config).toMatchObject({ urlTemplate: "https://api.test/jobs/{invocation_id}", usesInvocationId: true });
  });

  test("leaves a run's copy nothing more to fill", () => {
    const run = configForInvocation(requestConfig({ "http.url": "https://api.test/jobs/{invocation_id}" }), "job-1");
    expect(run).toMatchObject({ urlTemplate: undefined, usesInvocationId: false });
    expect(configForInvocation(run, "job-2")).toBe(run);
  });

  test("fills the lookup URL and resolves it against the run's own URL", () => {
    const lookupKeys = { "http.run_lookup_path": "*.id", "http.poll_url_template": "/runs/{lookup}" };
    const relative = asyncConfig({ "http.url": "https://api.test/u/{invocation_id}/run", "http.run_lookup_url": "messages?n=1", ...lookupKeys });
    const own = asyncConfig({ "http.url": "https://api.test/run", "http.run_lookup_url": "/lookups?for={invocation_id}", ...lookupKeys });
    const urls = [configForInvocation(relative, "job-1"), configForInvocation(own, "job 2")].map((run) => run.pollProtocol === "status" && run.runLookupUrl?.href);
    expect(urls).toEqual(["https://api.test/u/job-1/messages?n=1", "https://api.test/lookups?for=job%202"]);
  });

  test("holds only the run's own values, and reads every other setting from the configuration's", () => {
    const config = asyncConfig({ "http.url": "https://api.test/u/{invocation_id}", "http.body": '{"id": "{invocation_id}"}', "http.poll_interval_seconds": "7" });
    const copy = configForInvocation(config, "job-1");
    expect(Object.keys(copy).sort()).toEqual(["body", "headers", "url", "urlTemplate", "usesInvocationId"]);
    expect([copy.url.href, copy.body, copy.pollIntervalSeconds, copy.pollProtocol]).toEqual(["https://api.test/u/job-1", '{"id": "job-1"}', 7, config.pollProtocol]);
  });

  test("keeps the templates of a run's copy as written", () => {
    const config = asyncConfig({ "http.url": "https://api.test/u/{invocation_id}", "http.cancel_url_template": "/runs/{invocation_id}/cancel", "http.run_owner_path": "title" });
    expect(configForInvocation(config, "job-1")).toMatchObject({ cancelUrlTemplate: "/runs/{invocation_id}/cancel", runOwnerValue: "{invocation_id}" });
  });

  test("refuses an id that a header using it cannot carry", () => {
    const config = requestConfig({ "http.url": "https://api.test/runs", "http.headers": '{"X-Run": "{invocation_id}"}' });
    expect(() => configForInvocation(config, "job\r\nX-Injected: 1")).toThrow(
      new TypeError("The invocation id contains CR, LF or NUL, which may not go in the header 'x-run' (its value in http.headers uses {invocation_id})"),
    );
  });
});

describe(invocationIdProblem.name, () => {
  test("refuses an id that holds a secret's placeholder where a header uses it, and takes it where only URLs and bodies do", () => {
    const inHeader = requestConfig({ "http.url": "https://api.test/runs", "http.headers": '{"X-Job": "job {invocation_id}"}' });
    expect(invocationIdProblem(inHeader, "{secret:api_key}")).toBe(
      "contains {secret:api_key}, which the header 'x-job' would read as the runner's secret api_key (its value in http.headers uses {invocation_id})",
    );
    expect(invocationIdProblem(inHeader, "{secret: api_key}")).toBeUndefined();
    const elsewhere = requestConfig({ "http.url": "https://api.test/jobs/{invocation_id}", "http.body": '"{invocation_id}"' });
    expect(invocationIdProblem(elsewhere, "{secret:api_key}")).toBeUndefined();
  });

  test("finds none for an id with CR or LF where only URLs and bodies use it", () => {
    const config = requestConfig({ "http.url": "https://api.test/jobs/{invocation_id}", "http.body": '"{invocation_id}"' });
    expect(invocationIdProblem(config, "a\nb")).toBeUndefined();
    expect(configForInvocation(config, "a\nb")).toMatchObject({ body: '"a\\nb"' });
  });

  test.each([".", ".."])("refuses the id '%s' where a URL uses it, since the URL would read it as a path step", (id) => {
    const config = requestConfig({ "http.url": "https://api.test/jobs/{invocation_id}/run" });
    expect(invocationIdProblem(config, id)).toBe(`is '${id}', which a URL reads as a step in its path, not as a name`);
    expect(invocationIdProblem(requestConfig({ "http.url": "https://api.test/jobs", "http.body": '"{invocation_id}"' }), id)).toBeUndefined();
  });
});
