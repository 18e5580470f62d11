import { z } from "zod";

/**
 * A schema's compiled fast path (PERFORMANCE.md, "Compiled schemas"), built on first use so that importing the
 * library compiles nothing. `z.compile` gives the same results and the same
 * issues several times faster; where code generation from strings is not
 * allowed, it returns the schema itself, which then parses as before.
 */
export function compiledOnFirstUse<T extends z.ZodType>(schema: T): () => T {
  let compiled: T | undefined;
  return () => (compiled ??= z.compile(schema));
}
