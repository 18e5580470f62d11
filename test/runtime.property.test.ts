import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RuntimeResultSchema, identityOf } from "../src/contracts/result.js";
import { ExecutorRuntime, ManualRunner, buildResult, isRuntimeKind, type Runner, type RuntimeResult } from "../src/index.js";
import { invocationLikeArbitrary, validInvocationArbitrary } from "./support/arbitraries.js";
import { validateRxpResult } from "./support/rxp-schema.js";
import { makeTempDir } from "./support/temp-dir.js";

/** A runtime whose runners cover every way a runner can answer. */
function createRuntime(): ExecutorRuntime {
  const throwing: Runner = { run: async () => Promise.reject(new Error("backend exploded")) };
  const malformed: Runner = { run: async () => ({ status: "done" }) as unknown as RuntimeResult };
  return new ExecutorRuntime()
    .register("manual", new ManualRunner((invocation) => buildResult(invocation, { status: "succeeded" }, { metadata: invocation.metadata })))
    .register("subprocess", new ManualRunner((invocation) => buildResult(invocation, { status: "failed", summary: "exit 1" }, { exitCode: 1 })))
    .register("http", throwing)
    .register("http_async", malformed)
    .register("unknown", new ManualRunner(() => Promise.reject(new Error("no"))))
    .register("lambda", new ManualRunner((invocation) => buildResult(invocation, { status: "cancelled", summary: "aborted" })));
}

function assertContract(input: unknown, result: RuntimeResult): void {
  expect(RuntimeResultSchema.safeParse(result).error?.issues).toBeUndefined();
  expect(identityOf(result)).toEqual(identityOf(input));
  if (isRuntimeKind(result.runtime_kind)) expect(validateRxpResult(result).errors).toEqual([]);
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

describe(`${ExecutorRuntime.name} run() for arbitrary input`, () => {
  const runtime = createRuntime();
  beforeAll(() => {
    process.on("unhandledRejection", onUnhandled);
  });
  afterAll(() => {
    process.off("unhandledRejection", onUnhandled);
  });

  test("resolves to a valid result echoing the input's identity for any JSON value", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (input: unknown) => {
        assertContract(input, await runtime.run(input));
      }),
      { numRuns: 300 },
    );
  });

  test("resolves to a valid result for records shaped like invocations with random fields", async () => {
    await fc.assert(
      fc.asyncProperty(invocationLikeArbitrary, async (input: unknown) => {
        assertContract(input, await runtime.run(input));
      }),
      { numRuns: 500 },
    );
  });

  test("never rejects a valid invocation of a registered kind", async () => {
    await fc.assert(
      fc.asyncProperty(validInvocationArbitrary, async (input) => {
        const result = await runtime.run(input);
        assertContract(input, result);
        expect(result.status === "rejected").toBe(!runtime.isRegistered(input.runtime_kind));
      }),
      { numRuns: 300 },
    );
  });

  test("writes a valid result file for any invocation-shaped record", async () => {
    const path = join(await makeTempDir(), "out", "result.json");
    await fc.assert(
      fc.asyncProperty(invocationLikeArbitrary, async (input) => {
        const invocation: unknown = { ...input, output_result_path: path };
        const result = await runtime.run(invocation);
        assertContract(input, result);
        expect(result.error_summary ?? "").not.toContain("could not be written");
      }),
      { numRuns: 50 },
    );
  });

  test("leaves no unhandled rejection behind", async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue(), async (input: unknown) => void (await runtime.run(input))), { numRuns: 100 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });
});
