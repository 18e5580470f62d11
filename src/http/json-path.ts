const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** A dotted path compiled once: `run.items.0.id`. */
export interface JsonPath {
  /** The path as written. */
  readonly text: string;
  readonly segments: readonly string[];
}

/**
 * Compiles a dotted path. Returns an error message for an empty path or an
 * empty segment (`a..b`), which would otherwise silently find nothing.
 */
export function compileJsonPath(text: string): JsonPath | string {
  if (text.length === 0) return "must be a dotted path such as run.status, got an empty string";
  const segments = text.split(".");
  if (segments.some((segment) => segment.length === 0)) {
    return `must be a dotted path such as run.status, got '${text}' (it has an empty segment)`;
  }
  return { text, segments };
}

/**
 * Reads the value at `path`: own properties only (`__proto__`, `constructor`
 * find nothing), numeric segments index arrays. Undefined when absent.
 */
export function readJsonPath(value: unknown, path: JsonPath): unknown {
  let current = value;
  for (const segment of path.segments) {
    if (typeof current !== "object" || current === null) return undefined;
    if (Array.isArray(current)) {
      if (!ARRAY_INDEX.test(segment)) return undefined;
      current = current[Number(segment)];
    } else {
      if (!Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}
