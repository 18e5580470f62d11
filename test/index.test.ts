import { describe, expect, expectTypeOf, test } from "vitest";
import * as api from "../src/index.js";
import type { Checkpoint, RunEvent, RunOptions, Runner, RuntimeInvocation, RuntimeResult } from "../src/index.js";

describe("public API", () => {
  test("exports the runtime, the manual runner and the contract helpers by name", () => {
    expect(Object.keys(api)).toEqual(
      expect.arrayContaining([
        "ExecutorRuntime",
        "ManualRunner",
        "RuntimeInvocationSchema",
        "RuntimeResultSchema",
        "ArtifactDescriptorSchema",
        "CheckpointSchema",
        "INVOCATION_FIELDS",
        "parseInvocation",
        "buildResult",
        "checkResult",
        "identityOf",
        "describeArtifact",
        "RUNTIME_KINDS",
        "RUNTIME_STATUSES",
        "FINAL_STATUSES",
        "RXP_SCHEMA_VERSION",
        "isRuntimeKind",
      ]),
    );
  });

  test("has no default export", () => {
    expect(api).not.toHaveProperty("default");
  });

  test("run() is typed to accept anything and resolve to a RuntimeResult", () => {
    expectTypeOf<api.ExecutorRuntime["run"]>().parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf<api.ExecutorRuntime["run"]>().returns.toEqualTypeOf<Promise<RuntimeResult>>();
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
