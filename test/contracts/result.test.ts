import { describe, expect, expectTypeOf, test } from "vitest";
import { describeArtifact } from "../../src/contracts/artifact.js";
import {
  RuntimeResultSchema,
  buildResult,
  checkResult,
  identityOf,
  type ResultOutcome,
  type RuntimeResult,
} from "../../src/contracts/result.js";
import { FINAL_STATUSES } from "../../src/contracts/vocabulary.js";
import { validateRxpResult } from "../support/rxp-schema.js";

const identity = { invocation_id: "inv-1", runtime_name: "jobs", runtime_kind: "http_async" };
const at = Date.UTC(2026, 0, 2, 3, 4, 5, 6);

function outcomeFor(status: (typeof FINAL_STATUSES)[number]): ResultOutcome {
  return status === "succeeded" ? { status } : { status, summary: `the run ${status}` };
}

describe(buildResult.name, () => {
  test.each(FINAL_STATUSES)("builds a %s result that passes the RxP v0.1 JSON schema", (status) => {
    expect(validateRxpResult(buildResult(identity, outcomeFor(status))).errors).toEqual([]);
  });

  test("echoes the identity and fills the contract fields", () => {
    expect(buildResult(identity, { status: "succeeded" }, { finishedAtMs: at })).toEqual({
      schema_version: "0.1",
      contract_kind: "runtime_result",
      ...identity,
      status: "succeeded",
      exit_code: null,
      started_at: "2026-01-02T03:04:05.006Z",
      finished_at: "2026-01-02T03:04:05.006Z",
      stdout_path: null,
      stderr_path: null,
      artifacts: [],
      error_summary: null,
      metadata: {},
    });
  });

  test("copies only the identity fields of a richer object such as an invocation", () => {
    const result = buildResult({ ...identity, metadata: { secret: "x" }, timeout_seconds: 3 } as typeof identity, { status: "succeeded" });
    expect(RuntimeResultSchema.safeParse(result).success).toBe(true);
    expect(result.metadata).toEqual({});
  });

  test("carries the summary of a failed outcome", () => {
    expect(buildResult(identity, { status: "failed", summary: "backend said no" }).error_summary).toBe("backend said no");
  });

  test("formats start and finish as ISO 8601 UTC", () => {
    const result = buildResult(identity, { status: "succeeded" }, { startedAtMs: at - 1500, finishedAtMs: at });
    expect([result.started_at, result.finished_at]).toEqual(["2026-01-02T03:04:03.506Z", "2026-01-02T03:04:05.006Z"]);
  });

  test("falls back to the current time for a non-finite timestamp", () => {
    const result = buildResult(identity, { status: "succeeded" }, { startedAtMs: Number.NaN, finishedAtMs: at });
    expect(RuntimeResultSchema.safeParse(result).success).toBe(true);
  });

  test("keeps exit code, output paths, artifacts and metadata", () => {
    const artifact = describeArtifact({ artifactId: "response", path: "/tmp/response.json", kind: "json" });
    const details = { exitCode: 1, stdoutPath: "/tmp/out", stderrPath: "/tmp/err", artifacts: [artifact], metadata: { "http.polls": "3" } };
    expect(buildResult(identity, { status: "failed", summary: "no" }, details)).toMatchObject({
      exit_code: 1,
      stdout_path: "/tmp/out",
      stderr_path: "/tmp/err",
      artifacts: [artifact],
      metadata: { "http.polls": "3" },
    });
  });

  test("copies artifacts and metadata instead of sharing them with the caller", () => {
    const metadata: Record<string, string> = { a: "1" };
    const artifacts = [describeArtifact({ artifactId: "a", path: "p", kind: "k" })];
    const result = buildResult(identity, { status: "succeeded" }, { metadata, artifacts });
    metadata["b"] = "2";
    artifacts.pop();
    expect([result.metadata, result.artifacts.length]).toEqual([{ a: "1" }, 1]);
  });

  test("only failure outcomes need a summary", () => {
    expectTypeOf<{ status: "succeeded" }>().toExtend<ResultOutcome>();
    expectTypeOf<{ status: "failed" }>().not.toExtend<ResultOutcome>();
    expectTypeOf(buildResult).returns.toEqualTypeOf<RuntimeResult>();
  });
});

describe(identityOf.name, () => {
  test("reads the three identity fields of an invocation", () => {
    expect(identityOf({ ...identity, metadata: {} })).toEqual(identity);
  });

  test.each([
    ["null", null],
    ["a number", 42],
    ["an array", ["inv-1"]],
    ["an empty object", {}],
  ])("answers unknown for every field of %s", (_label, input) => {
    expect(identityOf(input)).toEqual({ invocation_id: "unknown", runtime_name: "unknown", runtime_kind: "unknown" });
  });

  test("answers unknown only for the fields that are empty or not strings", () => {
    expect(identityOf({ invocation_id: "", runtime_name: 7, runtime_kind: "manual" })).toEqual({
      invocation_id: "unknown",
      runtime_name: "unknown",
      runtime_kind: "manual",
    });
  });

  test("ignores identity fields inherited from a prototype", () => {
    expect(identityOf(Object.create(identity)).invocation_id).toBe("unknown");
  });
});

describe(checkResult.name, () => {
  const valid = buildResult(identity, { status: "succeeded" });

  test("accepts a result built by buildResult", () => {
    expect(checkResult(valid)).toEqual({ ok: true, result: valid });
  });

  test("names a missing field", () => {
    const { finished_at, ...rest } = valid;
    expect(checkResult(rest)).toEqual({ ok: false, summary: "runner returned an invalid result: finished_at is required" });
  });

  test("names a field RxP does not define", () => {
    expect(checkResult({ ...valid, stdout: "hi" })).toMatchObject({ ok: false, summary: expect.stringContaining("stdout is not a known field") });
  });

  test("names a status outside the vocabulary", () => {
    expect(checkResult({ ...valid, status: "done" })).toMatchObject({ ok: false, summary: expect.stringContaining("status") });
  });

  test("names a timestamp that is not ISO 8601", () => {
    const checked = checkResult({ ...valid, started_at: "yesterday" });
    expect(checked).toMatchObject({ ok: false, summary: expect.stringContaining("started_at must be an ISO 8601 timestamp") });
  });

  test("says what it got when the value is not an object", () => {
    expect(checkResult(undefined)).toMatchObject({ ok: false, summary: expect.stringContaining("must be an object, got nothing") });
  });
});
