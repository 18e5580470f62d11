import { describe, expect, expectTypeOf, test } from "vitest";
import {
  INVOCATION_FIELDS,
  MAX_TIMEOUT_SECONDS,
  RuntimeInvocationSchema,
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

describe("an invocation read at a glance", () => {
  const metadata = { "http.url": "https://jobs.example/run", "http.poll_interval_seconds": "2" };
  const hidden = Object.defineProperty({ ...minimal }, "command", { value: 5, enumerable: false });
  const withProto = JSON.parse('{"invocation_id":"i","runtime_name":"n","runtime_kind":"k","metadata":{"__proto__":"x","a":"1"}}') as unknown;
  const symbolKeyed = { ...minimal, metadata: { a: "1", [Symbol("s")]: "2" } };
  const nullProto = Object.assign(Object.create(null) as object, minimal);
  class Invocation {
    invocation_id = "inv-1";
    runtime_name = "jobs";
    runtime_kind = "http_async";
  }
  test.each<[string, unknown]>([
    ["the three names", minimal],
    ["with metadata", { ...minimal, metadata }],
    ["with timeout_seconds", { ...minimal, metadata, timeout_seconds: 30 }],
    ["with timeout_seconds null", { ...minimal, timeout_seconds: null }],
    ["at the longest timeout", { ...minimal, timeout_seconds: MAX_TIMEOUT_SECONDS }],
    ["past the longest timeout", { ...minimal, timeout_seconds: MAX_TIMEOUT_SECONDS + 1 }],
    ["with a fractional timeout", { ...minimal, timeout_seconds: 1.5 }],
    ["with a timeout of 0", { ...minimal, timeout_seconds: 0 }],
    ["with a timeout that is not a number", { ...minimal, timeout_seconds: "30" }],
    ["with NaN for a timeout", { ...minimal, timeout_seconds: Number.NaN }],
    ["with an empty name", { ...minimal, runtime_name: "" }],
    ["with a name that is not a string", { ...minimal, invocation_id: 7 }],
    ["without a kind", { invocation_id: "inv-1", runtime_name: "jobs" }],
    ["with a metadata value that is not a string", { ...minimal, metadata: { a: 1 } }],
    ["with metadata that is an array", { ...minimal, metadata: ["a"] }],
    ["with metadata that is a Map", { ...minimal, metadata: new Map([["a", "1"]]) }],
    ["with metadata null", { ...minimal, metadata: null }],
    ["with a __proto__ key in its metadata", withProto],
    ["with a symbol key in its metadata", symbolKeyed],
    ["with another field", { ...minimal, command: ["run"] }],
    ["with a field the schema defaults", { ...minimal, schema_version: "0.1", environment: {} }],
    ["with a wrong schema_version", { ...minimal, schema_version: "0.2" }],
    ["with an unknown field", { ...minimal, timeout_second: 10 }],
    ["with a field that is not enumerable", hidden],
    ["with no prototype", nullProto],
    ["that is a class instance", new Invocation()],
  ])("gives what the schema gives: %s", (_title, input) => {
    const expected = RuntimeInvocationSchema.safeParse(input);
    const parsed = parseInvocation(input);
    expect(parsed.ok).toBe(expected.success);
    if (expected.success && parsed.ok) expect(parsed.invocation).toStrictEqual(expected.data);
  });

  // Every field the glance does not read, set where a `for...in` does not see it, to a value the schema rejects.
  const glanced = new Set(["invocation_id", "runtime_name", "runtime_kind", "metadata", "timeout_seconds"]);
  test.each(INVOCATION_FIELDS.filter((field) => !glanced.has(field)))("leaves an invocation whose %s is not enumerable to the schema", (field) => {
    const input = Object.defineProperty({ ...minimal }, field, { value: 42, enumerable: false });
    expect(RuntimeInvocationSchema.safeParse(input).success).toBe(false);
    expect(parseInvocation(input).ok).toBe(false);
  });

  test("copies the metadata, and gives each invocation fields of its own", () => {
    const input = { ...minimal, metadata: { a: "1" } };
    const first = parseInvocation(input);
    const second = parseInvocation(input);
    if (!first.ok || !second.ok) throw new Error("not parsed");
    expect(first.invocation.metadata).toEqual({ a: "1" });
    expect(first.invocation.metadata).not.toBe(input.metadata);
    expect(first.invocation.command).not.toBe(second.invocation.command);
    expect(first.invocation.environment).not.toBe(second.invocation.environment);
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
