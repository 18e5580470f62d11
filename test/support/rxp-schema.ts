import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";

const schemaUrl = new URL("../fixtures/rxp-runtime-result.schema.json", import.meta.url);
const schema: unknown = JSON.parse(readFileSync(schemaUrl, "utf8"));

// ajv-formats is CommonJS: its function is both `module.exports` and
// `module.exports.default`, so `.default` works under every loader.
const addFormats = ajvFormats.default;

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema as object);

/** Validates a value against the independent RxP v0.1 RuntimeResult JSON schema. */
export function validateRxpResult(value: unknown): { valid: boolean; errors: string[] } {
  const valid = validate(value);
  const errors = (validate.errors ?? []).map((error) => `${error.instancePath || "/"} ${error.message ?? "is invalid"}`);
  return { valid, errors };
}

/** The RxP v0.1 RuntimeResult JSON schema, parsed. */
export const rxpRuntimeResultSchema = schema;

/** Asserts that `value` is a valid RxP v0.1 RuntimeResult, listing every problem when not. */
export function expectRxpValid(value: unknown): void {
  const { errors } = validateRxpResult(value);
  if (errors.length > 0) throw new Error(`not a valid RxP v0.1 result: ${errors.join("; ")}\n${JSON.stringify(value)}`);
}
