import { z } from "zod";
import { compiledOnFirstUse } from "./compiled.js";
import { issuesFromZod, type ValidationIssue } from "./issues.js";
import { RXP_SCHEMA_VERSION } from "./vocabulary.js";

const nonEmptyString = z.string().min(1, { error: "must be a non-empty string" });
const stringMap = z.record(z.string(), z.string()).default({});
const optionalPath = z.string().nullable().default(null);

/**
 * The longest `timeout_seconds`, about 31,700 years. A run's deadline is its
 * start plus the timeout, and must be a date JavaScript can represent (at most
 * 8.64e15 ms after 1970; a checkpoint carries it as an ISO 8601 string): a
 * larger whole number, such as 1e13, made an asynchronous run fail with
 * "Invalid time value" once the backend had accepted it.
 */
export const MAX_TIMEOUT_SECONDS = 1_000_000_000_000;

/**
 * RxP v0.1 `RuntimeInvocation`, accepted liberally: the defaulted fields may be
 * left out, and `working_directory`/`command` are only needed by the
 * subprocess runner. Unknown top-level fields are rejected.
 */
export const RuntimeInvocationSchema = z.strictObject({
  schema_version: z.literal(RXP_SCHEMA_VERSION, { error: `must be "${RXP_SCHEMA_VERSION}"` }).default(RXP_SCHEMA_VERSION),
  contract_kind: z
    .literal("runtime_invocation", { error: 'must be "runtime_invocation"' })
    .default("runtime_invocation"),
  invocation_id: nonEmptyString,
  runtime_name: nonEmptyString,
  runtime_kind: nonEmptyString,
  working_directory: z.string().nullable().default(null),
  command: z.array(z.string()).default([]),
  environment: stringMap,
  timeout_seconds: z
    .number()
    // First, and the only one reported when it fails: past 2^53 zod's int check fails too, and would say "whole number".
    .max(MAX_TIMEOUT_SECONDS, {
      error: `must be at most ${MAX_TIMEOUT_SECONDS} seconds (about 31,700 years), so that the run's deadline is a date JavaScript can represent`,
      abort: true,
    })
    .int({ error: "must be a whole number of seconds" })
    .positive({ error: "must be a positive number of seconds" })
    .nullable()
    .default(null),
  input_payload_path: optionalPath,
  output_result_path: optionalPath,
  artifact_directory: optionalPath,
  metadata: stringMap,
});

/** A validated invocation, with every default filled in. */
export type RuntimeInvocation = z.output<typeof RuntimeInvocationSchema>;

/** An invocation as callers may write it: defaulted fields are optional. */
export type RuntimeInvocationInput = z.input<typeof RuntimeInvocationSchema>;

const invocationSchema = compiledOnFirstUse(RuntimeInvocationSchema);

/** The field names of an RxP v0.1 invocation. */
export const INVOCATION_FIELDS: readonly string[] = Object.keys(RuntimeInvocationSchema.shape);

/** The outcome of `parseInvocation`: the invocation, or every problem found. */
export type InvocationParseResult =
  | { readonly ok: true; readonly invocation: RuntimeInvocation }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** Validates any value as an invocation and reports every problem at once. */
export function parseInvocation(input: unknown): InvocationParseResult {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    const got = input === null ? "null" : Array.isArray(input) ? "an array" : `a ${typeof input}`;
    return { ok: false, issues: [{ path: "", message: `an invocation must be a JSON object, got ${got}` }] };
  }
  const glanced = atAGlance(input as Record<string, unknown>);
  if (glanced !== undefined) return { ok: true, invocation: glanced };
  const parsed = invocationSchema().safeParse(input, { reportInput: true });
  if (parsed.success) return { ok: true, invocation: parsed.data };
  return { ok: false, issues: issuesFromZod(parsed.error, INVOCATION_FIELDS) };
}

/** The fields an invocation read at a glance may have: what a dispatcher mostly writes. */
const GLANCED_FIELDS = new Set(["invocation_id", "runtime_name", "runtime_kind", "metadata", "timeout_seconds"]);

/**
 * An invocation as dispatchers mostly write it, read without the schema
 * (PERFORMANCE.md, "Invocations read at a glance"): a plain object with no
 * fields but `GLANCED_FIELDS`, every one plainly valid. It accepts nothing
 * the schema rejects and gives what the schema gives (its defaults, and a
 * copy of `metadata`); for anything else it gives undefined, and the schema
 * decides. `test/contracts/invocation.test.ts` holds the two to the same
 * answers.
 */
function atAGlance(input: Record<string, unknown>): RuntimeInvocation | undefined {
  if (Object.getPrototypeOf(input) !== Object.prototype) return undefined;
  for (const key in input) if (!GLANCED_FIELDS.has(key) || !Object.hasOwn(input, key)) return undefined;
  if (setsOtherField(input)) return undefined;
  const { invocation_id, runtime_name, runtime_kind, metadata, timeout_seconds } = input;
  if (!isNonEmptyString(invocation_id) || !isNonEmptyString(runtime_name) || !isNonEmptyString(runtime_kind)) return undefined;
  const timeout = timeout_seconds ?? null;
  if (timeout !== null && !isTimeoutSeconds(timeout)) return undefined;
  const strings = metadata === undefined ? {} : copyOfStrings(metadata);
  if (strings === undefined) return undefined;
  return {
    schema_version: RXP_SCHEMA_VERSION,
    contract_kind: "runtime_invocation",
    invocation_id,
    runtime_name,
    runtime_kind,
    working_directory: null,
    command: [],
    environment: {},
    timeout_seconds: timeout,
    input_payload_path: null,
    output_result_path: null,
    artifact_directory: null,
    metadata: strings,
  };
}

/**
 * Whether a field the glance does not read is set, which the schema reads even where a `for...in` does not see
 * it (not enumerable, or inherited). Each is read by a name written here, not by a loop over the names: an
 * absent field read by a written name costs its inline cache's one check, and by a name in a variable, a search
 * of the object and of Object.prototype (PERFORMANCE.md, "Invocations read at a glance").
 * `test/contracts/invocation.test.ts` fails when a field of the schema is missing here.
 */
function setsOtherField(input: Readonly<Record<string, unknown>>): boolean {
  return (
    input.schema_version !== undefined ||
    input.contract_kind !== undefined ||
    input.working_directory !== undefined ||
    input.command !== undefined ||
    input.environment !== undefined ||
    input.input_payload_path !== undefined ||
    input.output_result_path !== undefined ||
    input.artifact_directory !== undefined
  );
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

/** A whole, positive number of seconds, at most `MAX_TIMEOUT_SECONDS`. */
function isTimeoutSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value <= MAX_TIMEOUT_SECONDS;
}

/**
 * A copy of a plain object whose own keys are all strings with string values; undefined for any other value.
 * Copied first, then checked: the copy holds only own enumerable properties, each read once (a getter too), so
 * its keys need no `hasOwn` (PERFORMANCE.md, "Invocations read at a glance").
 */
function copyOfStrings(value: unknown): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const copy: Record<string, unknown> = { ...value };
  for (const key in copy) if (key === "__proto__" || typeof copy[key] !== "string") return undefined;
  if (Object.getOwnPropertySymbols(copy).length > 0) return undefined;
  return copy as Record<string, string>;
}
