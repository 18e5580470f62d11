const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;

/** The segment that stands for each element of an array. */
const EACH = "*";

/** A dotted path compiled once: `run.items.0.id`, `workflow_runs.*.id`, `jobs[0].job_state`. */
export interface JsonPath {
  /** The path as written. */
  readonly text: string;
  /** The steps of the path: `jobs[0].state` and `jobs.0.state` both have `jobs`, `0`, `state`. */
  readonly segments: readonly string[];
  /** True when a segment is `*`: the path can find several values (`readJsonPathAll` reads them all). */
  readonly each: boolean;
}

/**
 * Compiles a dotted path. Brackets are read as the JSON-path habit writes them:
 * `a.b[0].c` is `a.b.0.c` and `a[*].b` is `a.*.b` (a path may start with one,
 * `[0].id`). Returns an error message for an empty path, an empty segment
 * (`a..b`) or a malformed bracket (`a[`, `a[x]`, `a[]`, `a]`), each of which
 * would otherwise silently find nothing.
 */
export function compileJsonPath(text: string): JsonPath | string {
  if (text.length === 0) return "must be a dotted path such as run.status, got an empty string";
  const segments: string[] = [];
  const parts = text.split(".");
  for (let index = 0; index < parts.length; index++) {
    const problem = addSegments(parts[index]!, index === 0, segments);
    if (problem !== undefined) return `must be a dotted path such as run.status, got '${text}' (${problem})`;
  }
  return { text, segments, each: segments.includes(EACH) };
}

/**
 * Adds the segments of one dot-separated part (`name`, `name[0]`, `name[*][1]`)
 * to `segments`; returns what is wrong with the part, or undefined. Only the
 * first part may start with a bracket.
 */
function addSegments(part: string, first: boolean, segments: string[]): string | undefined {
  const open = part.indexOf("[");
  const name = open === -1 ? part : part.slice(0, open);
  if (name.includes("]")) return "a ']' has no '[' before it";
  if (name !== "") segments.push(name);
  else if (open === -1 || !first) return "it has an empty segment";
  let rest = open === -1 ? "" : part.slice(open);
  while (rest !== "") {
    if (rest.startsWith("]")) return "a ']' has no '[' before it";
    if (!rest.startsWith("[")) return "a ']' must be followed by '.', '[' or the end of the path";
    const close = rest.indexOf("]");
    if (close === -1) return "a '[' is not closed";
    const inside = rest.slice(1, close);
    if (inside !== EACH && !ARRAY_INDEX.test(inside)) return `a bracket holds an array index or *, such as [0] or [*], not '[${inside}]'`;
    segments.push(inside);
    rest = rest.slice(close + 1);
  }
  return undefined;
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
