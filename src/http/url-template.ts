import { INVOCATION_ID_PLACEHOLDER, LOOKUP_PLACEHOLDER, RUN_ID_PLACEHOLDER, encodeUrlComponent, replacePlaceholder } from "./placeholders.js";

/** What fills a URL template's placeholders. */
export interface TemplateValues {
  readonly runId: string | undefined;
  readonly lookup: string | undefined;
  /** The invocation's `invocation_id`, for `{invocation_id}`. */
  readonly invocationId?: string | undefined;
}

type ValueName = keyof TemplateValues;

const PLACEHOLDERS: readonly (readonly [string, ValueName])[] = [
  [RUN_ID_PLACEHOLDER, "runId"],
  [LOOKUP_PLACEHOLDER, "lookup"],
  [INVOCATION_ID_PLACEHOLDER, "invocationId"],
];

const ANY_PLACEHOLDER = new RegExp(PLACEHOLDERS.map(([text]) => text.replace(/[{}]/g, "\\$&")).join("|"), "g");

/** A value that stands in a path segment as it is, whatever URL parsing does: no character to encode, and not a dot segment. */
const PLAIN_SEGMENT = /^[A-Za-z0-9._~-]+$/;

/** What marks the place of the n-th placeholder while a template is resolved: letters and digits, which a path keeps. */
const MARKER = "ExecutorRuntimePlaceholder";

/** The templates resolved against each base (a configuration's `http.url`), by template. */
const resolved = new WeakMap<URL, Map<string, UrlTemplate>>();

/**
 * Expands `{run_id}`, `{lookup}` and `{invocation_id}` (each URL-encoded; an absent value as "") in a template and
 * resolves it against `base`: the URL's href. A template is resolved against a base once, and an expansion whose
 * values stand in the href as they are is written with no parse (PERFORMANCE.md, "Templates resolved once").
 */
export function expandUrlTemplate(template: string, values: TemplateValues, base: URL): string {
  let templates = resolved.get(base);
  if (templates === undefined) resolved.set(base, (templates = new Map()));
  let found = templates.get(template);
  if (found === undefined) templates.set(template, (found = new UrlTemplate(template, base)));
  return found.expand(values);
}

/**
 * A URL template resolved against its base. When each placeholder it uses
 * is a whole segment of the resolved URL's path, the href is kept as the
 * text around them: an expansion whose values are plain segments (letters,
 * digits, `-`, `.`, `_`, `~`; not `.` or `..`) is that text with the values
 * in place, which is what parsing the expanded template gives, since URL
 * parsing leaves such a segment as it is. Any other expansion is parsed.
 */
export class UrlTemplate {
  readonly #template: string;
  readonly #base: URL;
  /** The href's text before, between and after the placeholders; undefined when expansions are parsed. */
  readonly #parts: readonly string[] | undefined;
  /** The value that goes after each part but the last. */
  readonly #names: readonly ValueName[];

  constructor(template: string, base: URL) {
    this.#template = template;
    this.#base = base;
    const names = Array.from(template.matchAll(ANY_PLACEHOLDER), (match) => nameOf(match[0]));
    this.#names = names;
    this.#parts = names.length === 0 || template.includes(MARKER) ? undefined : partsOf(template, base, names.length);
  }

  expand(values: TemplateValues): string {
    const parts = this.#parts;
    if (parts === undefined) return this.#parse(values);
    const names = this.#names;
    let href = parts[0]!;
    for (let index = 0; index < names.length; index++) {
      const value = values[names[index]!];
      if (value === undefined || value === "." || value === ".." || !PLAIN_SEGMENT.test(value)) return this.#parse(values);
      href += value + parts[index + 1]!;
    }
    return href;
  }

  /** The expanded template, parsed against the base. */
  #parse(values: TemplateValues): string {
    // A placeholder the template does not use costs nothing (PERFORMANCE.md, "Templates expanded by what they use").
    let expanded = this.#template;
    for (const [placeholder, name] of PLACEHOLDERS) {
      if (expanded.includes(placeholder)) expanded = replacePlaceholder(expanded, placeholder, encodeUrlComponent(values[name] ?? ""));
    }
    return new URL(expanded, this.#base).href;
  }
}

function nameOf(placeholder: string): ValueName {
  return PLACEHOLDERS.find(([text]) => text === placeholder)![1];
}

/**
 * The href of `template` resolved against `base`, cut at its `count` placeholders, when each is a whole segment of
 * the href's path; undefined otherwise (or when the template is no URL: its expansions fail as they are parsed).
 */
function partsOf(template: string, base: URL, count: number): string[] | undefined {
  let index = 0;
  let href: string;
  try {
    href = new URL(template.replace(ANY_PLACEHOLDER, () => `${MARKER}${index++}`), base).href;
  } catch {
    return undefined;
  }
  const pathStart = href.indexOf("/", href.indexOf("//") + 2);
  const query = href.search(/[?#]/);
  const pathEnd = query === -1 ? href.length : query;
  const parts: string[] = [];
  let from = 0;
  for (let n = 0; n < count; n++) {
    const marker = `${MARKER}${n}`;
    const at = href.indexOf(marker, from);
    const end = at + marker.length;
    // In the path, a segment of its own (and the only place of this placeholder's marker).
    if (at < pathStart || end > pathEnd || href[at - 1] !== "/" || (end !== pathEnd && href[end] !== "/")) return undefined;
    if (href.includes(marker, end)) return undefined;
    parts.push(href.slice(from, at));
    from = end;
  }
  parts.push(href.slice(from));
  return parts;
}
