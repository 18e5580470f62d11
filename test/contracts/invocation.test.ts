import { describe, expect, expectTypeOf, test } from "vitest";
import {
  INVOCATION_FIELDS,
  parseInvocation,
  type RuntimeInvocation,
  type RuntimeInvocationInput,
} from "../../src/contracts/invocation.js";

const minimal = { invocation_id: "inv-1", runtime_name: "jobs", runtime_kind: "http_async" };

function issuesOf(input: unknown) {
  const parsed = parseInvocation(input);
  return parsed.ok ? [] : parsed.issues;
}

describe(parseInvocation.name, () => {
  test("fills every defaulted field of a minimal invocation", () => {
    expect(parseInvocation(minimal)).toEqual({
      ok: true,
      invocation: {
        ...minimal,
        schema_version: "0.1",
        contract_kind: "runtime_invocation",
        working_directory: null,
        command: [],
        environment: {},
        timeout_seconds: null,
        input_payload_path: null,
        output_result_path: null,
        artifact_directory: null,
        metadata: {},
      },
    });
  });

  test("keeps every field of a complete RxP invocation", () => {
    const full = {
      ...minimal,
      schema_version: "0.1",
      contract_kind: "runtime_invocation",
      working_directory: "/srv/jobs",
      command: ["run", "--fast"],
      environment: { MODE: "batch" },
      timeout_seconds: 30,
      input_payload_path: "/tmp/in.json",
      output_result_path: "/tmp/out.json",
      artifact_directory: "/tmp/artifacts",
      metadata: { "http.url": "https://jobs.example/run" },
    };
    expect(parseInvocation(full)).toEqual({ ok: true, invocation: full });
  });

  test("accepts any non-empty runtime kind, not only the vocabulary", () => {
    expect(parseInvocation({ ...minimal, runtime_kind: "lambda" }).ok).toBe(true);
  });

  test("names what it got when the input is not an object", () => {
    expect(issuesOf([minimal])).toEqual([{ path: "", message: "an invocation must be a JSON object, got an array" }]);
  });

  test("reports every problem at once", () => {
    const paths = issuesOf({ runtime_name: "", timeout_seconds: -1, metadata: { a: 1 } }).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(["invocation_id", "runtime_name", "runtime_kind", "timeout_seconds", "metadata.a"]));
  });

  test("rejects an unknown top-level field with a did-you-mean hint", () => {
    expect(issuesOf({ ...minimal, timeout_second: 10 })).toEqual([
      { path: "timeout_second", message: "is not a known field (did you mean 'timeout_seconds'?)" },
    ]);
  });

  test("rejects a non-string metadata value, naming its key", () => {
    expect(issuesOf({ ...minimal, metadata: { "http.url": 5 } })).toEqual([
      { path: 'metadata["http.url"]', message: "must be a string, got number 5" },
    ]);
  });

  test("leaves unknown metadata keys alone", () => {
    expect(parseInvocation({ ...minimal, metadata: { "team.owner": "ops" } }).ok).toBe(true);
  });
});

describe("RuntimeInvocationSchema", () => {
  test("INVOCATION_FIELDS lists every RxP invocation field", () => {
    expect([...INVOCATION_FIELDS].sort()).toEqual([
      "artifact_directory",
      "command",
      "contract_kind",
      "environment",
      "input_payload_path",
      "invocation_id",
      "metadata",
      "output_result_path",
      "runtime_kind",
      "runtime_name",
      "schema_version",
      "timeout_seconds",
      "working_directory",
    ]);
  });

  test("the input type leaves the defaulted fields optional", () => {
    expectTypeOf<typeof minimal>().toExtend<RuntimeInvocationInput>();
    expectTypeOf<RuntimeInvocationInput["metadata"]>().toEqualTypeOf<Record<string, string> | undefined>();
  });

  test("the parsed type has every field filled in", () => {
    expectTypeOf<RuntimeInvocation["metadata"]>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<RuntimeInvocation["timeout_seconds"]>().toEqualTypeOf<number | null>();
    expectTypeOf<RuntimeInvocation["command"]>().toEqualTypeOf<string[]>();
  });
});
