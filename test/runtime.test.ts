import { describe, expect, expectTypeOf, test, vi } from "vitest";
import {
  ExecutorRuntime,
  ManualRunner,
  buildResult,
  type InvocationArgument,
  type RunOptions,
  type Runner,
  type RuntimeInvocationInput,
  type RuntimeResult,
} from "../src/index.js";
import { manualInvocation, succeededResult } from "./support/invocations.js";
import { expectRxpValid } from "./support/rxp-schema.js";

const echo = (): ManualRunner => new ManualRunner((invocation) => succeededResult(invocation));
const runnerReturning = (value: unknown): Runner => ({ run: async () => value as RuntimeResult });

describe(ExecutorRuntime.name, () => {
  test("starts with an empty registry", () => {
    expect(new ExecutorRuntime().kinds()).toEqual([]);
  });

  test("registers the runners passed to the constructor", () => {
    const runtime = new ExecutorRuntime({ runners: { manual: echo(), http: echo() } });
    expect(runtime.kinds()).toEqual(["manual", "http"]);
  });

  test("register returns the runtime so calls chain", () => {
    const runtime = new ExecutorRuntime();
    expect(runtime.register("manual", echo()).register("http", echo())).toBe(runtime);
  });

  test("isRegistered reports whether a kind has a runner", () => {
    const runtime = new ExecutorRuntime().register("manual", echo());
    expect([runtime.isRegistered("manual"), runtime.isRegistered("http")]).toEqual([true, false]);
  });

  test("register replaces the runner of a kind already registered", async () => {
    const second = new ManualRunner((invocation) => succeededResult(invocation, { runner: "second" }));
    const runtime = new ExecutorRuntime().register("manual", echo()).register("manual", second);
    expect((await runtime.run(manualInvocation())).metadata).toEqual({ runner: "second" });
  });

  test("unregister removes a kind and reports whether it was there", () => {
    const runtime = new ExecutorRuntime().register("manual", echo());
    expect([runtime.unregister("manual"), runtime.unregister("manual"), runtime.kinds()]).toEqual([true, false, []]);
  });

  test("accepts kinds outside the RxP vocabulary", () => {
    expect(new ExecutorRuntime().register("lambda", echo()).isRegistered("lambda")).toBe(true);
  });

  test("register refuses an empty kind", () => {
    expect(() => new ExecutorRuntime().register("", echo())).toThrow(new TypeError('Expected `kind` to be a non-empty string, got ""'));
  });

  test("register refuses a runner without a run method", () => {
    expect(() => new ExecutorRuntime().register("manual", {} as Runner)).toThrow(/to have a run\(\) method/);
  });

  test("passes the parsed invocation, with defaults filled in, to the runner", async () => {
    const dispatch = vi.fn((invocation) => succeededResult(invocation));
    await new ExecutorRuntime().register("manual", new ManualRunner(dispatch)).run(manualInvocation());
    expect(dispatch.mock.calls[0]?.[0]).toMatchObject({ schema_version: "0.1", environment: {}, metadata: {}, timeout_seconds: null });
  });

  test("passes the signal and event listener through to the runner", async () => {
    const run = vi.fn(async (invocation) => succeededResult(invocation));
    const options: RunOptions = { signal: new AbortController().signal, onEvent: () => undefined };
    await new ExecutorRuntime().register("manual", { run }).run(manualInvocation(), options);
    expect(run).toHaveBeenCalledWith(expect.anything(), options);
  });

  test("resolves to the runner's result when it is valid", async () => {
    const result = await new ExecutorRuntime().register("manual", echo()).run(manualInvocation());
    expect(result).toMatchObject({ status: "succeeded", invocation_id: "inv-1", exit_code: 0, error_summary: null });
    expectRxpValid(result);
  });

  test("rejects an unknown kind, naming it and the registered kinds", async () => {
    const runtime = new ExecutorRuntime().register("manual", echo()).register("http_async", echo());
    const result = await runtime.run(manualInvocation({ runtime_kind: "http_asyn" }));
    expect(result).toMatchObject({ status: "rejected", runtime_kind: "http_asyn" });
    expect(result.error_summary).toBe(
      "no runner registered for runtime_kind 'http_asyn' (did you mean 'http_async'?) (registered: manual, http_async)",
    );
  });

  test("says that none are registered when the registry is empty", async () => {
    const result = await new ExecutorRuntime().run(manualInvocation());
    expect(result.error_summary).toBe("no runner registered for runtime_kind 'manual' (none are registered)");
  });

  test("turns a runner that throws into a failed result with its message", async () => {
    const runner: Runner = { run: async () => Promise.reject(new Error("backend exploded")) };
    const result = await new ExecutorRuntime().register("manual", runner).run(manualInvocation());
    expect(result).toMatchObject({ status: "failed", error_summary: "runner for 'manual' threw: backend exploded" });
    expectRxpValid(result);
  });

  test("turns a runner that throws synchronously into a failed result", async () => {
    const runner: Runner = {
      run: () => {
        throw new TypeError("not a promise");
      },
    };
    const result = await new ExecutorRuntime().register("manual", runner).run(manualInvocation());
    expect(result).toMatchObject({ status: "failed", error_summary: "runner for 'manual' threw: not a promise" });
  });

  test("turns a malformed runner result into a failed result naming the problem", async () => {
    const malformed = { ...buildResult(manualInvocation(), { status: "succeeded" }), exit_code: "0" };
    const result = await new ExecutorRuntime().register("manual", runnerReturning(malformed)).run(manualInvocation());
    expect(result).toMatchObject({ status: "failed", invocation_id: "inv-1" });
    expect(result.error_summary).toBe('runner returned an invalid result: exit_code must be a number, got the string "0"');
  });

  test("fails a runner result that echoes another invocation's id", async () => {
    const other = buildResult(manualInvocation({ invocation_id: "inv-2" }) as never, { status: "succeeded" });
    const result = await new ExecutorRuntime().register("manual", runnerReturning(other)).run(manualInvocation());
    expect(result).toMatchObject({ status: "failed", invocation_id: "inv-1" });
    expect(result.error_summary).toBe("runner for 'manual' returned a result whose invocation_id is 'inv-2', not 'inv-1'");
  });

  test("turns a runner that resolves to nothing into a failed result", async () => {
    const result = await new ExecutorRuntime().register("manual", runnerReturning(undefined)).run(manualInvocation());
    expect(result).toMatchObject({ status: "failed", error_summary: expect.stringContaining("must be an object, got nothing") });
  });

  test("rejects an invalid resume checkpoint without calling the runner", async () => {
    const run = vi.fn();
    const resume = { version: 1 as const, pollUrl: "ftp://jobs.example/1", acceptedAt: "2026-01-01T00:00:00Z" };
    const result = await new ExecutorRuntime().register("manual", { run }).run(manualInvocation(), { resume });
    expect(result).toMatchObject({ status: "rejected", error_summary: "invalid resume checkpoint: pollUrl must be an http(s) URL" });
    expect(run).not.toHaveBeenCalled();
  });

  test("passes a valid resume checkpoint through to the runner", async () => {
    const run = vi.fn(async (invocation) => succeededResult(invocation));
    const resume = { version: 1 as const, pollUrl: "https://jobs.example/1", acceptedAt: "2026-01-01T00:00:00Z" };
    await new ExecutorRuntime().register("manual", { run }).run(manualInvocation(), { resume });
    expect(run).toHaveBeenCalledWith(expect.anything(), { resume });
  });
});

describe("ExecutorRuntime.run's invocation type", () => {
  const runtime = (): ExecutorRuntime => new ExecutorRuntime().register("manual", echo());

  test("does not compile an object literal with a misspelled field, which is rejected at run time too", async () => {
    const result = await runtime().run({
      invocation_id: "inv-1",
      runtime_name: "test-runtime",
      runtime_kind: "manual",
      // @ts-expect-error: `timeout_second` is not a field of RuntimeInvocationInput (did you mean `timeout_seconds`?)
      timeout_second: 5,
    });
    expect(result).toMatchObject({ status: "rejected", error_summary: expect.stringContaining("timeout_second is not a known field") });
  });

  test("does not compile an object literal without a required field, or with a field of the wrong type", async () => {
    // @ts-expect-error: `runtime_kind` is missing
    const missing = await runtime().run({ invocation_id: "inv-1", runtime_name: "test-runtime" });
    // @ts-expect-error: `timeout_seconds` is a number
    const mistyped = await runtime().run({ invocation_id: "inv-1", runtime_name: "test-runtime", runtime_kind: "manual", timeout_seconds: "5" });
    expect([missing.error_summary, mistyped.error_summary]).toEqual([
      expect.stringContaining("runtime_kind"),
      expect.stringContaining("timeout_seconds"),
    ]);
  });

  test("compiles a literal with every field spelled right", async () => {
    const result = await runtime().run({ invocation_id: "inv-1", runtime_name: "test-runtime", runtime_kind: "manual", timeout_seconds: 5, metadata: { team: "a" } });
    expectTypeOf(result).toEqualTypeOf<RuntimeResult>();
    expect(result.status).toBe("succeeded");
  });

  test("takes a value typed unknown (parsed JSON, job data) and rejects it at run time, naming the problem", async () => {
    const parsed: unknown = JSON.parse('{"invocation_id": "inv-1", "runtime_name": "test-runtime", "runtime_kind": "manual", "timeout_second": 5}');
    const result = await runtime().run(parsed);
    expect(result).toMatchObject({ status: "rejected", invocation_id: "inv-1" });
    expect(result.error_summary).toBe("invalid invocation: timeout_second is not a known field (did you mean 'timeout_seconds'?)");
  });

  test("takes a value typed any, as JSON.parse returns it", async () => {
    const result = await runtime().run(JSON.parse('{"invocation_id": "inv-1", "runtime_name": "test-runtime", "runtime_kind": "manual"}'));
    expect(result.status).toBe("succeeded");
  });

  test("does not compile a value whose type is not an invocation (null); typed unknown, it is rejected at run time", async () => {
    // @ts-expect-error: null is not a RuntimeInvocationInput
    const typed = await runtime().run(null);
    const unreadable: unknown = null;
    const untyped = await runtime().run(unreadable);
    expect([typed.status, untyped.status]).toEqual(["rejected", "rejected"]);
  });

  test("InvocationArgument is the value's own type for unknown and any (what JSON.parse returns), and RuntimeInvocationInput for every other type", () => {
    expectTypeOf<InvocationArgument<unknown>>().toEqualTypeOf<unknown>();
    expectTypeOf<InvocationArgument<ReturnType<typeof JSON.parse>>>().toBeAny();
    expectTypeOf<InvocationArgument<{ invocation_id: string; timeout_second: number }>>().toEqualTypeOf<RuntimeInvocationInput>();
    expectTypeOf<InvocationArgument<null>>().toEqualTypeOf<RuntimeInvocationInput>();
  });
});
