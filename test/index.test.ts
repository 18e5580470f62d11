import { describe, expect, expectTypeOf, test } from "vitest";
import * as api from "../src/index.js";
import type { Checkpoint, RunEvent, RunOptions, Runner, RuntimeInvocation, RuntimeInvocationInput, RuntimeResult } from "../src/index.js";

describe("public API", () => {
  test("exports the runtime, the runners, the metadata builders, the result builder and the vocabulary, and nothing else at run time", () => {
    expect(Object.keys(api).sort()).toEqual([
      "ASYNC_HTTP_METADATA_KEYS",
      "AsyncHttpRunner",
      "ExecutorRuntime",
      "FINAL_STATUSES",
      "HTTP_METADATA_KEYS",
      "HttpRunner",
      "ManualRunner",
      "RUNTIME_KINDS",
      "RUNTIME_STATUSES",
      "RXP_SCHEMA_VERSION",
      "SubprocessRunner",
      "asyncHttpMetadata",
      "buildResult",
      "describeArtifact",
      "httpMetadata",
      "isRuntimeKind",
    ]);
  });

  test.each([
    "RuntimeInvocationSchema",
    "RuntimeResultSchema",
    "CheckpointSchema",
    "ArtifactDescriptorSchema",
    "INVOCATION_FIELDS",
    "parseInvocation",
    "checkResult",
    "identityOf",
    "parseAsyncHttpMetadata",
    "parseHttpMetadata",
  ])("keeps %s, which only the library itself needs, out of the root", (name) => {
    expect(api).not.toHaveProperty(name);
  });

  test("keeps the parsed configs, the parse results and the JSON path type out of the root", () => {
    // @ts-expect-error: the runner's parsed metadata is internal
    expectTypeOf<api.AsyncHttpConfig>().not.toBeNever();
    // @ts-expect-error: the runner's parsed metadata is internal
    expectTypeOf<api.HttpRequestConfig>().not.toBeNever();
    // @ts-expect-error: a parsed dotted path is internal
    expectTypeOf<api.JsonPath>().not.toBeNever();
    // @ts-expect-error: the metadata parsers are internal
    expectTypeOf<api.MetadataParseResult<unknown>>().not.toBeNever();
    // @ts-expect-error: parseInvocation is internal
    expectTypeOf<api.InvocationParseResult>().not.toBeNever();
    // @ts-expect-error: validation issues reach callers as a result's error_summary
    expectTypeOf<api.ValidationIssue>().not.toBeNever();
  });

  test("has no default export", () => {
    expect(api).not.toHaveProperty("default");
  });

  test("run() takes a RuntimeInvocationInput, or any value typed unknown, and resolves to a RuntimeResult", () => {
    expectTypeOf<api.InvocationArgument<{ invocation_id: string }>>().toEqualTypeOf<RuntimeInvocationInput>();
    expectTypeOf<api.InvocationArgument<unknown>>().toEqualTypeOf<unknown>();
    expectTypeOf<api.ExecutorRuntime["run"]>().returns.toEqualTypeOf<Promise<RuntimeResult>>();
  });

  test("exports the types of the credentials options: a secret, a headers function and the request it is told of", () => {
    expectTypeOf<api.Secret>().toEqualTypeOf<string | ((context: api.SecretContext) => string | Promise<string>)>();
    expectTypeOf<(request: api.HeaderRequest) => Record<string, string>>().toExtend<api.HeadersOption>();
    expectTypeOf<NonNullable<api.HttpRunnerOptions["secrets"]>>().toEqualTypeOf<Readonly<Record<string, api.Secret>>>();
  });

  test("a Runner receives a parsed invocation and may omit close()", () => {
    expectTypeOf<Runner["run"]>().parameter(0).toEqualTypeOf<RuntimeInvocation>();
    expectTypeOf<{ run: Runner["run"] }>().toExtend<Runner>();
  });

  test("RunOptions carries abort and abandon signals, an event listener, a resume checkpoint, the kickoff and checkpoint hooks and a trace context, all optional", () => {
    expectTypeOf<Record<string, never>>().toExtend<RunOptions>();
    expectTypeOf<Required<RunOptions>>().toEqualTypeOf<{
      readonly signal: AbortSignal;
      readonly abandon: AbortSignal;
      readonly onEvent: (event: RunEvent) => void;
      readonly resume: Checkpoint;
      readonly beforeKickoff: () => Promise<void>;
      readonly saveCheckpoint: (checkpoint: Checkpoint) => Promise<void>;
      readonly traceContext: Readonly<Record<string, string>>;
    }>();
  });

  test("run events are discriminated by their type", () => {
    expectTypeOf<RunEvent["type"]>().toEqualTypeOf<"kickoff" | "accepted" | "poll" | "pending" | "retry" | "wait" | "terminal" | "cancel">();
    expectTypeOf<Extract<RunEvent, { type: "accepted" }>["checkpoint"]>().toEqualTypeOf<Checkpoint>();
  });

  test("result fields are the RxP wire types", () => {
    expectTypeOf<RuntimeResult["status"]>().toEqualTypeOf<api.RuntimeStatus>();
    expectTypeOf<RuntimeResult["exit_code"]>().toEqualTypeOf<number | null>();
    expectTypeOf<RuntimeResult["metadata"]>().toEqualTypeOf<Record<string, string>>();
  });
});
