import { describe, expect, test } from "vitest";
import { formatPath } from "../../../src/contracts/issues.js";
import type { HttpRequestConfig } from "../../../src/http/metadata/config.js";
import { parseHttpMetadata } from "../../../src/http/metadata/parse.js";

const URL_ONLY = { "http.url": "https://api.test/hooks" };

const at = (key: string) => formatPath(["metadata", key]);

function issuesOf(metadata: Record<string, string>) {
  const parsed = parseHttpMetadata(metadata);
  return parsed.ok ? [] : parsed.issues;
}

function configOf(metadata: Record<string, string>): HttpRequestConfig {
  const parsed = parseHttpMetadata(metadata);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

describe(parseHttpMetadata.name, () => {
  test("fills the defaults when only the URL is set", () => {
    const { url, ...config } = configOf(URL_ONLY);
    expect(url.href).toBe("https://api.test/hooks");
    expect(config).toEqual({ method: "POST", body: undefined, bodyFormat: "json", headers: {}, urlTemplate: undefined, usesInvocationId: false });
  });

  test.each(["file:///etc/passwd", "ftp://files.test/run"])("rejects the non-http URL %s", (url) => {
    const scheme = new URL(url).protocol;
    expect(issuesOf({ "http.url": url })).toEqual([{ path: at("http.url"), message: `must be an http: or https: URL, got '${scheme}'` }]);
  });

  test("rejects credentials in the URL without repeating them", () => {
    expect(issuesOf({ "http.url": "https://me:hunter2@api.test/hooks" })).toEqual([
      { path: at("http.url"), message: "must be a URL without credentials (user:pass@); put them in http.headers" },
    ]);
  });

  test("rejects a relative URL", () => {
    expect(issuesOf({ "http.url": "/hooks" })).toEqual([
      { path: at("http.url"), message: "must be an absolute http: or https: URL such as https://api.example.com/runs, got a relative URL" },
    ]);
  });

  test("accepts {invocation_id} in the URL and keeps the URL as written for each run to fill", () => {
    const config = configOf({ "http.url": "http://host/api/{invocation_id}/run?for={invocation_id}" });
    expect(config).toMatchObject({ urlTemplate: "http://host/api/{invocation_id}/run?for={invocation_id}", usesInvocationId: true });
  });

  test.each(["https://{invocation_id}.api.test/runs", "https://api.test:{invocation_id}/runs", "{invocation_id}/runs"])(
    "rejects {invocation_id} where it would choose the host: %s",
    (url) => {
      expect(issuesOf({ "http.url": url })).toHaveLength(1);
      expect(issuesOf({ "http.url": url })[0]!.path).toBe(at("http.url"));
    },
  );

  test("says why {invocation_id} may not name the host", () => {
    expect(issuesOf({ "http.url": "https://{invocation_id}.api.test/runs" })).toEqual([
      {
        path: at("http.url"),
        message: "must use {invocation_id} only in its path, query or fragment: the invocation id must not choose the host a request and its headers go to",
      },
    ]);
  });

  test.each([
    ["http.body", '{"message": "run {invocation_id}"}'],
    ["http.headers", '{"X-Run": "{invocation_id}"}'],
  ])("marks a config whose %s uses {invocation_id} as filled for each run", (key, value) => {
    expect(configOf({ ...URL_ONLY, [key]: value })).toMatchObject({ urlTemplate: undefined, usesInvocationId: true });
  });

  test("lower-cases header names", () => {
    const metadata = { ...URL_ONLY, "http.headers": '{"Authorization": "Bearer abc", "X-Team": "search"}' };
    expect(configOf(metadata).headers).toEqual({ authorization: "Bearer abc", "x-team": "search" });
  });

  test("rejects a header value with CR or LF without repeating it", () => {
    const metadata = { ...URL_ONLY, "http.headers": '{"X-Token": "abc\\r\\nInjected: 1"}' };
    expect(issuesOf(metadata)).toEqual([{ path: at("http.headers"), message: "header 'X-Token' has a value containing CR, LF or NUL" }]);
  });

  test("rejects headers that are not an object of strings", () => {
    const metadata = { ...URL_ONLY, "http.headers": '{"X-Retries": 3, "bad name": "x"}' };
    expect(issuesOf(metadata)).toEqual([
      { path: at("http.headers"), message: "header 'X-Retries' must have a string value, got a number" },
      { path: at("http.headers"), message: "has a header name that is not an HTTP token: 'bad name'" },
    ]);
  });

  test("rejects the same header name twice in different cases", () => {
    const metadata = { ...URL_ONLY, "http.headers": '{"Accept": "a", "accept": "b"}' };
    expect(issuesOf(metadata)).toEqual([{ path: at("http.headers"), message: "has the header 'accept' twice (names are case-insensitive)" }]);
  });

  test("sends a JSON body as the text given", () => {
    const body = '{ "id": 12345678901234567890 }';
    expect(configOf({ ...URL_ONLY, "http.body": body })).toMatchObject({ body, bodyFormat: "json" });
  });

  test("form-encodes a flat JSON object", () => {
    const metadata = { ...URL_ONLY, "http.body": '{"name": "a b&c", "n": 2, "ok": true}', "http.body_format": "form" };
    expect(configOf(metadata)).toMatchObject({ body: "name=a+b%26c&n=2&ok=true", bodyFormat: "form" });
  });

  test("rejects a form body with a nested value", () => {
    const metadata = { ...URL_ONLY, "http.body": '{"tags": ["a"]}', "http.body_format": "form" };
    expect(issuesOf(metadata)).toEqual([
      {
        path: at("http.body"),
        message: "must be a JSON object of string, number or boolean values when http.body_format is form, but 'tags' is an array",
      },
    ]);
  });

  test("rejects a body that is not JSON", () => {
    expect(issuesOf({ ...URL_ONLY, "http.body": "hello" })).toEqual([
      {
        path: at("http.body"),
        message: 'must be a JSON text such as {"name": "value"} (a string needs quotes), got text that is not valid JSON',
      },
    ]);
  });

  test("rejects a body format other than json or form", () => {
    expect(issuesOf({ ...URL_ONLY, "http.body_format": "xml" })).toEqual([
      { path: at("http.body_format"), message: "must be 'json' or 'form', got 'xml'" },
    ]);
  });

  test.each(["GET", "head"])("rejects a body with method %s", (method) => {
    expect(issuesOf({ ...URL_ONLY, "http.method": method, "http.body": "{}" })).toEqual([
      { path: at("http.body"), message: `must not be set when http.method is ${method.toUpperCase()}, which sends no body` },
    ]);
  });

  test("upper-cases the method", () => {
    expect(configOf({ ...URL_ONLY, "http.method": "patch" }).method).toBe("PATCH");
  });

  test("rejects a method that is not an HTTP token", () => {
    expect(issuesOf({ ...URL_ONLY, "http.method": "PO ST" })).toEqual([
      { path: at("http.method"), message: "must be an HTTP method such as POST, got 'PO ST'" },
    ]);
  });

  test("rejects the keys only the async runner reads", () => {
    expect(issuesOf({ ...URL_ONLY, "http.poll_status_path": "status" })).toEqual([
      { path: at("http.poll_status_path"), message: "is not a known key here (only AsyncHttpRunner reads it)" },
    ]);
  });
});
