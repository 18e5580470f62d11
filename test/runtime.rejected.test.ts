import { describe, expect, test, vi } from "vitest";
import { ExecutorRuntime, ManualRunner } from "../src/index.js";
import { manualInvocation } from "./support/invocations.js";
import { expectRxpValid } from "./support/rxp-schema.js";

const UNKNOWN = { invocation_id: "unknown", runtime_name: "unknown", runtime_kind: "unknown" };
const ECHOED = { invocation_id: "inv-1", runtime_name: "test-runtime", runtime_kind: "manual" };

const { invocation_id, ...withoutId } = manualInvocation();

// [what is wrong, input, text the summary must contain, identity the result must carry]
const badInputs: [string, unknown, string, Record<string, string>][] = [
  ["null", null, "an invocation must be a JSON object, got null", UNKNOWN],
  ["a number", 42, "an invocation must be a JSON object, got a number", UNKNOWN],
  ["a string", "inv-1", "an invocation must be a JSON object, got a string", UNKNOWN],
  ["an array", [manualInvocation()], "an invocation must be a JSON object, got an array", UNKNOWN],
  ["an empty object", {}, "invocation_id is required; runtime_name is required; runtime_kind is required", UNKNOWN],
  ["a missing id", withoutId, "invocation_id is required", { ...ECHOED, invocation_id: "unknown" }],
  ["an empty id", manualInvocation({ invocation_id: "" }), "invocation_id must be a non-empty string", { ...ECHOED, invocation_id: "unknown" }],
  ["a numeric id", manualInvocation({ invocation_id: 7 }), "invocation_id must be a string, got number 7", { ...ECHOED, invocation_id: "unknown" }],
  ["an empty kind", manualInvocation({ runtime_kind: "" }), "runtime_kind must be a non-empty string", { ...ECHOED, runtime_kind: "unknown" }],
  ["a non-string metadata value", manualInvocation({ metadata: { owner: 1 } }), "metadata.owner must be a string, got number 1", ECHOED],
  ["metadata that is not a map", manualInvocation({ metadata: "owner=ops" }), "metadata must be a record", ECHOED],
  ["a non-string environment value", manualInvocation({ environment: { DEBUG: true } }), "environment.DEBUG must be a string, got boolean true", ECHOED],
  ["a timeout of 0", manualInvocation({ timeout_seconds: 0 }), "timeout_seconds must be a positive number of seconds", ECHOED],
  ["a fractional timeout", manualInvocation({ timeout_seconds: 1.5 }), "timeout_seconds must be a whole number of seconds", ECHOED],
  [
    "a timeout past 2^53 (1e20), a whole number that is too long",
    manualInvocation({ timeout_seconds: 1e20 }),
    "timeout_seconds must be at most 1000000000000 seconds (about 31,700 years), so that the run's deadline is a date JavaScript can represent",
    ECHOED,
  ],
  [
    "a timeout whose deadline is past the last date (1e13 s)",
    manualInvocation({ timeout_seconds: 1e13 }),
    "timeout_seconds must be at most 1000000000000 seconds (about 31,700 years), so that the run's deadline is a date JavaScript can represent",
    ECHOED,
  ],
  ["a timeout given as a string", manualInvocation({ timeout_seconds: "10" }), 'timeout_seconds must be a number, got the string "10"', ECHOED],
  ["a misspelt field", manualInvocation({ timeout_second: 10 }), "timeout_second is not a known field (did you mean 'timeout_seconds'?)", ECHOED],
  ["a wrong schema version", manualInvocation({ schema_version: "0.2" }), 'schema_version must be "0.1"', ECHOED],
  ["a wrong contract kind", manualInvocation({ contract_kind: "runtime_result" }), 'contract_kind must be "runtime_invocation"', ECHOED],
  ["a command that is not a list", manualInvocation({ command: "make all" }), "command must be an array", ECHOED],
];

describe(`${ExecutorRuntime.name} input validation`, () => {
  test.each(badInputs)("rejects %s, naming the problem", async (_label, input, expected, identity) => {
    const dispatch = vi.fn();
    const result = await new ExecutorRuntime().register("manual", new ManualRunner(dispatch)).run(input);
    expect(result).toMatchObject({ status: "rejected", exit_code: null, ...identity });
    expect(result.error_summary).toContain(expected);
    expect(result.error_summary).toMatch(/^invalid invocation: /);
    expect(dispatch).not.toHaveBeenCalled();
    expectRxpValid(result);
  });

  test("names every problem of one input in a single summary", async () => {
    const result = await new ExecutorRuntime().run(manualInvocation({ timeout_seconds: 0, metadata: { a: 1 }, extra: true }));
    expect(result.error_summary).toMatch(/timeout_seconds .*; metadata\.a .*; extra is not a known field/);
  });

  test("validates the input before looking up the runner", async () => {
    const result = await new ExecutorRuntime().run(manualInvocation({ runtime_kind: "nowhere", timeout_seconds: -1 }));
    expect(result.error_summary).toBe("invalid invocation: timeout_seconds must be a positive number of seconds");
  });
});
