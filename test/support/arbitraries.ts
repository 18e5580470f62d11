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
