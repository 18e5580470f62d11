const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** The segment that stands for each element of an array. */
const EACH = "*";

/** A dotted path compiled once: `run.items.0.id`, `workflow_runs.*.id`. */
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

/** The first value at `path` in document order (see `readJsonPathAll`); undefined when there is none. */
export function readJsonPath(value: unknown, path: JsonPath): unknown {
  const segments = path.segments;
  let current = value;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    if (segment === EACH) return readFirst(current, segments, index);
    current = child(typeof current === "string" ? parseJsonText(current) : current, segment);
    if (current === undefined) return undefined;
  }
  return current;
}

/** The first value below `value` at `segments[index..]`, where the path takes each element of an array. */
function readFirst(value: unknown, segments: readonly string[], index: number): unknown {
  let found: unknown;
  walk(value, segments, index, (item) => {
    found = item;
    return true;
  });
  return found;
}

/**
 * Every value at `path`, in document order. A segment reads an own property
 * (`__proto__`, `constructor` find nothing), or indexes an array when it is a
 * number; `*` takes each element of an array; a string that holds JSON is
 * parsed when the path goes on into it (`*.metadata.workflowDispatch.id`
 * reads through a `metadata` field that is a JSON string).
 */
export function readJsonPathAll(value: unknown, path: JsonPath): unknown[] {
  const found: unknown[] = [];
  walk(value, path.segments, 0, (item) => {
    found.push(item);
    return false;
  });
  return found;
}

/** Visits the values at `segments[index..]` below `value`; `visit` returns true to stop. Returns whether it stopped. */
function walk(value: unknown, segments: readonly string[], index: number, visit: (value: unknown) => boolean): boolean {
  if (index === segments.length) return value !== undefined && visit(value);
  const current = typeof value === "string" ? parseJsonText(value) : value;
  const segment = segments[index]!;
  if (segment === EACH && Array.isArray(current)) return current.some((item) => walk(item, segments, index + 1, visit));
  const next = child(current, segment);
  return next !== undefined && walk(next, segments, index + 1, visit);
}

/** The value at `segment` directly below `container`: an own property, or an array element by index; undefined when there is none. */
function child(container: unknown, segment: string): unknown {
  if (typeof container !== "object" || container === null) return undefined;
  if (Array.isArray(container)) return ARRAY_INDEX.test(segment) ? container[Number(segment)] : undefined;
  return Object.hasOwn(container, segment) ? (container as Record<string, unknown>)[segment] : undefined;
}

/** The value a string holds as JSON, or undefined when it holds none. */
function parseJsonText(text: string): unknown {
  const first = text.trimStart()[0];
  if (first !== "{" && first !== "[") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
