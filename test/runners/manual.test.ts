import { describe, expect, expectTypeOf, test, vi } from "vitest";
import { parseInvocation, type RuntimeInvocation } from "../../src/contracts/invocation.js";
import { buildResult, type RuntimeResult } from "../../src/contracts/result.js";
import { ManualRunner, type ManualDispatch } from "../../src/runners/manual.js";
import type { RunOptions, Runner } from "../../src/runners/runner.js";
import { manualInvocation, succeededResult } from "../support/invocations.js";
import { expectRxpValid } from "../support/rxp-schema.js";

function invocation(overrides: Record<string, unknown> = {}): RuntimeInvocation {
  const parsed = parseInvocation(manualInvocation(overrides));
  if (!parsed.ok) throw new Error("fixture invocation is invalid");
  return parsed.invocation;
}

describe(ManualRunner.name, () => {
  test("resolves to the result the dispatch function returns", async () => {
    const expected = succeededResult(invocation(), { answer: "42" });
    expect(await new ManualRunner(() => expected).run(invocation())).toEqual(expected);
  });

  test("awaits a dispatch function that returns a promise", async () => {
    const runner = new ManualRunner(async (input) => succeededResult(input));
    expect(await runner.run(invocation())).toMatchObject({ status: "succeeded", invocation_id: "inv-1" });
  });

  test("forwards the invocation and the run options", async () => {
    const dispatch = vi.fn<ManualDispatch>((input) => succeededResult(input));
    const options: RunOptions = { signal: new AbortController().signal };
    await new ManualRunner(dispatch).run(invocation(), options);
    expect(dispatch).toHaveBeenCalledWith(invocation(), options);
  });

  test("passes empty options when none are given", async () => {
    const dispatch = vi.fn<ManualDispatch>((input) => succeededResult(input));
    await new ManualRunner(dispatch).run(invocation());
    expect(dispatch).toHaveBeenCalledWith(invocation(), {});
  });

  test("turns a throwing dispatch function into a failed result with its message", async () => {
    const runner = new ManualRunner(() => {
      throw new Error("queue is full");
    });
    const result = await runner.run(invocation());
    expect(result).toMatchObject({ status: "failed", error_summary: "manual runner threw: queue is full", invocation_id: "inv-1" });
    expectRxpValid(result);
  });

  test("turns a rejected promise into a failed result", async () => {
    const runner = new ManualRunner(async () => Promise.reject(new RangeError("out of slots")));
    expect((await runner.run(invocation())).error_summary).toBe("manual runner threw: out of slots");
  });

  test("describes a thrown value that is not an Error", async () => {
    const runner = new ManualRunner(() => {
      throw { code: 503 };
    });
    expect((await runner.run(invocation())).error_summary).toBe('manual runner threw: {"code":503}');
  });

  test("turns a malformed return value into a failed result naming the field", async () => {
    const runner = new ManualRunner((input) => ({ ...succeededResult(input), status: "done" }) as unknown as RuntimeResult);
    const result = await runner.run(invocation());
    expect(result).toMatchObject({ status: "failed", error_summary: expect.stringMatching(/^runner returned an invalid result: status /) });
  });

  test("refuses a result carrying a field RxP does not define", async () => {
    const runner = new ManualRunner((input) => ({ ...succeededResult(input), duration_ms: 5 }) as RuntimeResult);
    const result = await runner.run(invocation());
    expect(result.error_summary).toBe("runner returned an invalid result: duration_ms is not a known field");
  });

  test("keeps a valid failure result as the dispatch function built it", async () => {
    const failed = buildResult(invocation(), { status: "timed_out", summary: "took too long" }, { exitCode: 124 });
    expect(await new ManualRunner(() => failed).run(invocation())).toEqual(failed);
  });

  test("refuses a dispatch that is not a function", () => {
    expect(() => new ManualRunner("run" as unknown as ManualDispatch)).toThrow(
      new TypeError("Expected `dispatch` to be a function, got string"),
    );
  });

  test("is a Runner whose dispatch may answer synchronously or asynchronously", () => {
    expectTypeOf<ManualRunner>().toExtend<Runner>();
    expectTypeOf<(input: RuntimeInvocation) => RuntimeResult>().toExtend<ManualDispatch>();
    expectTypeOf<(input: RuntimeInvocation) => Promise<RuntimeResult>>().toExtend<ManualDispatch>();
    expectTypeOf<() => string>().not.toExtend<ManualDispatch>();
  });
});
