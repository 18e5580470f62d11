import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { asyncHttpMetadata, httpMetadata } from "../../../src/http/metadata/builders.js";
import type { AsyncHttpCommonFields, AsyncHttpMetadataFields, StatusProtocolFields } from "../../../src/http/metadata/fields.js";
import { ASYNC_HTTP_METADATA_KEYS, HTTP_METADATA_KEYS, parseAsyncHttpMetadata, parseHttpMetadata } from "../../../src/http/metadata/parse.js";

const MINIMAL: AsyncHttpMetadataFields = {
  url: "https://api.test/runs",
  pollStatusPath: "status",
  pollTerminalStates: ["completed", "failed"],
};

describe(asyncHttpMetadata.name, () => {
  test("writes only the fields given", () => {
    expect(asyncHttpMetadata(MINIMAL)).toEqual({
      "http.url": "https://api.test/runs",
      "http.poll_status_path": "status",
      "http.poll_terminal_states": "completed,failed",
    });
  });

  test("round-trips a minimal set of fields through the parser", () => {
    const parsed = parseAsyncHttpMetadata(asyncHttpMetadata(MINIMAL));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    expect(parsed.config.url.href).toBe("https://api.test/runs");
    expect(parsed.config).toMatchObject({
      pollStatusPath: { text: "status" },
      pollTerminalStates: new Set(["completed", "failed"]),
      pollSuccessStates: new Set(["completed"]),
      pollCancelledStates: new Set(),
    });
  });

  test("round-trips every field through the parser", () => {
    const fields: Required<AsyncHttpCommonFields & StatusProtocolFields> = {
      url: new URL("https://api.test/v1/runs"),
      method: "put",
      body: { prompt: "hi", n: 2 },
      bodyFormat: "form",
      headers: { Authorization: "Bearer abc" },
      idempotencyKeyHeader: "Idempotency-Key",
      kickoffMaxRetries: 5,
      pollProtocol: "status",
      pollUrlTemplate: "runs/{lookup}?id={run_id}",
      pollRunIdPath: "run.id",
      runLookupUrl: "lookups?since=1",
      runLookupPath: "*.key",
      pollStatusPath: "run.status",
      pollTerminalStates: ["done", "error", "stopped", "expired"],
      pollSuccessStates: ["done"],
      pollCancelledStates: ["stopped"],
      pollTimedOutStates: ["expired"],
      pollOutcomePath: "run.outcome",
      pollInitialDelaySeconds: 4,
      pollIntervalSeconds: 0.5,
      pollBackoff: 1.5,
      pollMaxIntervalSeconds: 30,
      pollPendingCodes: [404, 409],
      pollMaxConsecutiveErrors: 3,
      cancelUrlTemplate: "https://api.test/v1/runs/{run_id}/cancel",
      cancelMethod: "delete",
      cancelOnFailure: true,
      resultPath: "run.output",
      errorPath: "errors[0].error",
      exitCodePath: "run.exit_code",
      exitCodeFormat: "wait_status",
      runOwnerPath: "run.user_message",
      runOwnerValue: "nightly {invocation_id}",
    };
    const parsed = parseAsyncHttpMetadata(asyncHttpMetadata(fields));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    if (parsed.config.pollProtocol !== "status") throw new Error("expected protocol status");
    const { url, pollRunIdPath, pollStatusPath, resultPath, runLookupUrl, runLookupPath, pollOutcomePath, runOwnerPath, errorPath, exitCodePath, ...config } =
      parsed.config;
    expect([url.href, pollRunIdPath?.text, pollStatusPath.text, resultPath?.text]).toEqual([
      "https://api.test/v1/runs",
      "run.id",
      "run.status",
      "run.output",
    ]);
    expect([runLookupUrl?.href, runLookupPath?.text, pollOutcomePath?.text, runOwnerPath?.text]).toEqual([
      "https://api.test/v1/lookups?since=1",
      "*.key",
      "run.outcome",
      "run.user_message",
    ]);
    expect([errorPath?.segments, exitCodePath?.text]).toEqual([["errors", "0", "error"], "run.exit_code"]);
    expect(config).toEqual({
      method: "PUT",
      body: "prompt=hi&n=2",
      bodyFormat: "form",
      headers: { authorization: "Bearer abc" },
      idempotencyKeyHeader: "idempotency-key",
      kickoffMaxRetries: 5,
      pollProtocol: "status",
      pollUrlTemplate: "runs/{lookup}?id={run_id}",
      pollTerminalStates: new Set(["done", "error", "stopped", "expired"]),
      pollSuccessStates: new Set(["done"]),
      pollCancelledStates: new Set(["stopped"]),
      pollTimedOutStates: new Set(["expired"]),
      pollInitialDelaySeconds: 4,
      pollIntervalSeconds: 0.5,
      pollBackoff: 1.5,
      pollMaxIntervalSeconds: 30,
      pollPendingCodes: new Set([404, 409]),
      pollMaxConsecutiveErrors: 3,
      cancelUrlTemplate: "https://api.test/v1/runs/{run_id}/cancel",
      cancelMethod: "DELETE",
      cancelOnFailure: true,
      exitCodeFormat: "wait_status",
      runOwnerValue: "nightly {invocation_id}",
      urlTemplate: undefined,
      usesInvocationId: false,
      runLookupUrlTemplate: undefined,
    });
  });

  test("rejects a state that a comma list cannot hold", () => {
    expect(() => asyncHttpMetadata({ ...MINIMAL, pollTerminalStates: ["done,ok"] })).toThrow(TypeError);
  });

  test("never throws while parsing, and explains every rejection", () => {
    const keys = [...ASYNC_HTTP_METADATA_KEYS, "http.poll_intervall", "team.owner"];
    const samples = ["", " ", "0", "-1", "1e999", "https://api.test/{run_id}", "{}", '{"a":"b"}', "a..b", "GET", "404", "x,y"];
    const value = fc.oneof(fc.string(), fc.constantFrom(...samples));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), value), (metadata) => {
        const parsed = parseAsyncHttpMetadata(metadata);
        return parsed.ok || parsed.issues.length > 0;
      }),
      { numRuns: 300 },
    );
  });
});

describe(httpMetadata.name, () => {
  test("round-trips the request fields through the parser", () => {
    const metadata = httpMetadata({ url: "https://api.test/hooks", method: "patch", body: "ping", headers: { "X-Team": "search" } });
    expect(parseHttpMetadata(metadata)).toMatchObject({
      ok: true,
      config: { method: "PATCH", body: '"ping"', bodyFormat: "json", headers: { "x-team": "search" } },
    });
  });

  test("rejects a body that has no JSON form", () => {
    expect(() => httpMetadata({ url: "https://api.test/hooks", body: () => 1 })).toThrow("Expected `body` to be a JSON value, got a function");
  });
});

describe("HTTP_METADATA_KEYS", () => {
  test("lists the request keys, which the async runner also knows", () => {
    expect(HTTP_METADATA_KEYS).toEqual(["http.url", "http.method", "http.body", "http.body_format", "http.headers"]);
    expect(ASYNC_HTTP_METADATA_KEYS).toEqual(expect.arrayContaining([...HTTP_METADATA_KEYS]));
    expect(ASYNC_HTTP_METADATA_KEYS).toHaveLength(34);
  });
});
