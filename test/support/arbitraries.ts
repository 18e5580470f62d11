import fc from "fast-check";
import { RUNTIME_KINDS } from "../../src/index.js";

const nonEmpty = fc.string({ minLength: 1, maxLength: 20 });
const stringMap = fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), { maxKeys: 4 });

/** A kind: mostly RxP's vocabulary, sometimes any string. */
export const kindArbitrary = fc.oneof(fc.constantFrom(...RUNTIME_KINDS), fc.constantFrom("lambda", "HTTP"), fc.string());

/** A valid invocation without `output_result_path`, so a run never writes to a random place. */
export const validInvocationArbitrary = fc.record(
  {
    schema_version: fc.constant("0.1"),
    contract_kind: fc.constant("runtime_invocation"),
    invocation_id: nonEmpty,
    runtime_name: nonEmpty,
    runtime_kind: fc.oneof(fc.constantFrom(...RUNTIME_KINDS), nonEmpty),
    working_directory: fc.option(fc.string(), { nil: null }),
    command: fc.array(fc.string(), { maxLength: 3 }),
    environment: stringMap,
    timeout_seconds: fc.option(fc.integer({ min: 1, max: 86_400 }), { nil: null }),
    input_payload_path: fc.option(fc.string(), { nil: null }),
    artifact_directory: fc.option(fc.string(), { nil: null }),
    metadata: stringMap,
  },
  { requiredKeys: ["invocation_id", "runtime_name", "runtime_kind"] },
);

/** Mostly a valid value, sometimes any JSON value. */
function mostly<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<T | fc.JsonValue> {
  return fc.oneof({ arbitrary: valid, weight: 8 }, { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 });
}

const invocationFields = {
  schema_version: mostly(fc.constant("0.1")),
  contract_kind: mostly(fc.constant("runtime_invocation")),
  invocation_id: mostly(nonEmpty),
  runtime_name: mostly(nonEmpty),
  runtime_kind: mostly(kindArbitrary),
  command: mostly(fc.array(fc.string(), { maxLength: 3 })),
  environment: mostly(stringMap),
  timeout_seconds: fc.oneof(
    { arbitrary: fc.option(fc.integer({ min: 1, max: 86_400 }), { nil: null }), weight: 6 },
    { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.string()), weight: 1 },
  ),
  metadata: fc.oneof(
    { arbitrary: stringMap, weight: 6 },
    { arbitrary: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 }), { minKeys: 1, maxKeys: 3 }), weight: 1 },
  ),
};
const identityKeys: (keyof typeof invocationFields)[] = ["invocation_id", "runtime_name", "runtime_kind"];

/**
 * A record shaped like an invocation: each field mostly valid, sometimes any
 * JSON value or missing, sometimes with random extra fields. About a quarter are
 * valid invocations. `output_result_path` never appears, so a run never writes
 * to a random place.
 */
export const invocationLikeArbitrary = fc
  .tuple(
    fc.oneof(
      { arbitrary: fc.record(invocationFields, { requiredKeys: identityKeys }), weight: 4 },
      { arbitrary: fc.record(invocationFields, { requiredKeys: [] }), weight: 1 },
    ),
    fc.oneof(
      { arbitrary: fc.constant({}), weight: 4 },
      { arbitrary: fc.dictionary(fc.string({ maxLength: 16 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 2 }), weight: 1 },
    ),
  )
  .map(([fields, extra]) => {
    const record: Record<string, unknown> = { ...fields };
    for (const [key, value] of Object.entries(extra)) {
      if (key !== "output_result_path") Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return record;
  });

/** Names that reach into prototypes when a reader is careless. */
export const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "length"] as const;

/**
 * Any string a hostile or careless caller could put in a metadata value:
 * printable, control characters, any code point, prototype names, numbers
 * that overflow, placeholders, URLs, and very long text.
 */
export const hostileStringArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary-ascii" }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(...PROTOTYPE_KEYS, "", " ", "\u0000", "\r\n", "{run_id}", "{}", "[]", "null", "1e999", "-0", "NaN", "0x10", "http://127.0.0.1:9/x"),
  fc.string({ unit: "grapheme-ascii", minLength: 5_000, maxLength: 20_000 }),
);

/**
 * A dotted path: prototype names, empty segments (`a..b`, a leading or
 * trailing dot), array indexes, arbitrary text, and very long paths.
 */
export const dottedPathArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc
    .array(fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, "", "0", "1", "name", "status", "id", "result"), fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 6 })
    .map((segments) => segments.join(".")),
  fc.integer({ min: 500, max: 5_000 }).map((depth) => Array.from({ length: depth }, (_, i) => (i % 2 === 0 ? "__proto__" : "a")).join(".")),
  fc.string(),
);

/** A JSON value whose objects often carry prototype names, the keys a run reads, and statuses. */
export const hostileJsonArbitrary: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom("completed", "failed", "cancelled", "running", "1"),
    fc.jsonValue({ maxDepth: 2 }),
    tie("object"),
    fc.array(tie("value"), { maxLength: 3 }),
  ),
  object: fc
    .array(fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS, "status", "id", "result", "run"), tie("value")), { maxLength: 4 })
    .map((entries) => {
      // defineProperty, so that `__proto__` becomes an own key as JSON.parse makes it, not the prototype.
      const object: Record<string, unknown> = {};
      for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
      return object;
    }),
})).value;
