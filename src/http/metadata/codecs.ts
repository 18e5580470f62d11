import { z } from "zod";
import { compileJsonPath, type JsonPath } from "../json-path.js";
import { isHttpUrl } from "../url.js";
import { INVOCATION_ID_PLACEHOLDER, LOOKUP_PLACEHOLDER, RUN_ID_PLACEHOLDER, expandInvocationId } from "../placeholders.js";

/** Problems found in one metadata value; each becomes one issue on its key. */
class Invalid {
  readonly messages: readonly string[];
  constructor(messages: readonly string[]) {
    this.messages = messages;
  }
}

/** Marks a metadata value as invalid, with one message per problem. */
function invalid(...messages: string[]): Invalid {
  return new Invalid(messages);
}

/**
 * One metadata key: a zod codec between the string stored in the metadata map
 * and its typed value. `decode` returns the value or `invalid(...)`; `encode`
 * writes the string the builders store, and accepts the builders' field type
 * where it is wider than the decoded one (a URL also as a string).
 */
export function metadataCodec<T>(decode: (text: string) => T | Invalid, encode: (value: T) => string) {
  return z.codec(z.string(), z.custom<T>(), {
    decode: (text, ctx) => {
      const value = decode(text);
      if (!(value instanceof Invalid)) return value;
      for (const message of value.messages) ctx.issues.push({ code: "custom", message, input: text });
      return z.NEVER;
    },
    encode,
  });
}

const ESCAPES: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** Quotes a value for a message as `'text'`: control characters escaped, long text cut. */
export function quote(text: string): string {
  let escaped = "";
  for (const char of text.slice(0, 80)) {
    const code = char.charCodeAt(0);
    const control = code < 0x20 || code === 0x7f;
    escaped += control ? (ESCAPES[char] ?? `\\u${code.toString(16).padStart(4, "0")}`) : char;
  }
  return escaped.length > 60 ? `'${escaped.slice(0, 59)}…'` : `'${escaped}'`;
}

/** Names a JSON value's kind without showing it ("an array", "a number"), for values that may be secret. */
export function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// RFC 9110 token characters: method and header names.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// fetch refuses to send these methods.
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(["CONNECT", "TRACE", "TRACK"]);

/** An HTTP method, upper-cased. */
export function httpMethod() {
  return metadataCodec(
    (text) => {
      if (!TOKEN.test(text)) return invalid(`must be an HTTP method such as POST, got ${quote(text)}`);
      const method = text.toUpperCase();
      return FORBIDDEN_METHODS.has(method) ? invalid(`must not be ${method}, which fetch refuses to send`) : method;
    },
    (method: string) => method,
  );
}

/** A header name, lower-cased. */
export function headerName() {
  return metadataCodec(
    (text) => (TOKEN.test(text) ? text.toLowerCase() : invalid(`must be a header name such as Idempotency-Key, got ${quote(text)}`)),
    (name: string) => name,
  );
}

/** What `url` should be instead, as a phrase after "must be" (an http(s) URL, without credentials), or undefined when it is fine. */
export function httpUrlProblem(url: URL): string | undefined {
  if (!isHttpUrl(url)) return `an http: or https: URL, got ${quote(url.protocol)}`;
  if (url.username !== "" || url.password !== "") return "a URL without credentials (user:pass@); put them in http.headers";
  return undefined;
}

// Two invocation ids that stand for any: a URL that parses with the first is the URL of a run; one whose origin
// differs between them lets the id choose where a request (and its headers) goes.
const SAMPLE_INVOCATION_IDS = ["invocation-1", "invocation-2"] as const;

/** `text` with `{invocation_id}` filled by a sample id, as each run's URL will have it filled. */
export function withSampleInvocationId(text: string): string {
  return expandInvocationId(text, SAMPLE_INVOCATION_IDS[0]);
}

/**
 * Why `{invocation_id}` may not stand where it does in `text` (resolved against `base`), as a phrase after "must",
 * or undefined: it may fill the path, query and fragment, never the scheme, host or port.
 */
export function invocationIdPlaceProblem(text: string, base: URL | undefined): string | undefined {
  if (!text.includes(INVOCATION_ID_PLACEHOLDER)) return undefined;
  const origins = SAMPLE_INVOCATION_IDS.map((sample) => {
    try {
      return new URL(expandInvocationId(text, sample), base).origin;
    } catch {
      return undefined;
    }
  });
  if (origins[0] === origins[1]) return undefined;
  return `use ${INVOCATION_ID_PLACEHOLDER} only in its path, query or fragment: the invocation id must not choose the host a request and its headers go to`;
}

/**
 * An absolute http(s) URL without userinfo, kept as written (parsing would percent-encode the braces of a
 * `{invocation_id}`, which is checked filled by a sample id). Messages never repeat the URL, which may hold a secret.
 */
export function httpUrl() {
  return metadataCodec(
    (text) => {
      let url: URL;
      try {
        url = new URL(withSampleInvocationId(text));
      } catch {
        const got = text.trim() === "" ? "an empty string" : URL.canParse(text, "http://host/") ? "a relative URL" : "text that is not a URL";
        return invalid(`must be an absolute http: or https: URL such as https://api.example.com/runs, got ${got}`);
      }
      const problem = httpUrlProblem(url);
      if (problem !== undefined) return invalid(`must be ${problem}`);
      const placeProblem = invocationIdPlaceProblem(text, undefined);
      return placeProblem === undefined ? text : invalid(`must ${placeProblem}`);
    },
    (url: URL | string) => String(url),
  );
}

const PLACEHOLDERS: readonly string[] = [RUN_ID_PLACEHOLDER, LOOKUP_PLACEHOLDER, INVOCATION_ID_PLACEHOLDER];

/**
 * A URL template, kept as written; may be relative. Checked against `http.url` by the cross-key rules (so is a plain
 * relative URL). Without `placeholders`, it takes `{run_id}`, `{lookup}` and `{invocation_id}`; `why` says why a
 * narrower list is narrower.
 */
export function urlTemplate(placeholders: readonly string[] = PLACEHOLDERS, why = "") {
  return metadataCodec(
    (text) => {
      if (text.trim() === "") return invalid(`must be a URL or a path such as /runs/${RUN_ID_PLACEHOLDER}, got ${quote(text)}`);
      const unknown = (text.match(/\{[^}]*\}/g) ?? []).filter((placeholder) => !placeholders.includes(placeholder));
      if (unknown.length === 0) return text;
      const allowed = `the placeholder${placeholders.length === 1 ? "" : "s"} ${listWords(placeholders)}`;
      return invalid(`may only use ${allowed}${why === "" ? "" : ` (${why})`}, got ${quote(unknown[0]!)}`);
    },
    (template: string) => template,
  );
}

/** `true` or `false`, exactly. */
export function flag() {
  return metadataCodec(
    (text) => (text === "true" ? true : text === "false" ? false : invalid(`must be 'true' or 'false', got ${quote(text)}`)),
    (value: boolean) => String(value),
  );
}

// What reads as a placeholder in free text: `{invocation_id}`, `{invocationId}`, `{secret:NAME}`; not JSON such as `{"a":1}`.
const PLACEHOLDER_LIKE = /\{[A-Za-z_][\w:.-]*\}/g;

/**
 * A non-blank text that may use `placeholders` (others, even misspelt, are an error: the text would never match),
 * kept as written and expanded for each run.
 */
export function textTemplate(placeholders: readonly string[]) {
  return metadataCodec(
    (text) => {
      if (text.trim() === "") return invalid(`must be a non-empty text such as ${placeholders[0] ?? "job-1"}, got ${quote(text)}`);
      const unknown = (text.match(PLACEHOLDER_LIKE) ?? []).filter((placeholder) => !placeholders.includes(placeholder));
      if (unknown.length === 0) return text;
      return invalid(`may only use the placeholder${placeholders.length === 1 ? "" : "s"} ${listWords(placeholders)}, got ${quote(unknown[0]!)}`);
    },
    (template: string) => template,
  );
}

/** `a`, `a and b`, `a, b and c`. */
function listWords(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words.at(-1)!}`;
}

/** A JSON text as given, and its parsed value: the wire keeps the text (large numbers stay exact). */
export class JsonText {
  /** The JSON text exactly as written. */
  readonly text: string;
  /** The parsed value. */
  readonly value: unknown;
  constructor(text: string, value: unknown) {
    this.text = text;
    this.value = value;
  }
}

/** A JSON text. Encodes any JSON value (a string becomes a JSON string); the message never shows the text. */
export function jsonText() {
  return metadataCodec(
    (text) => {
      try {
        return new JsonText(text, JSON.parse(text));
      } catch {
        return invalid(`must be a JSON text such as {"name": "value"} (a string needs quotes), got text that is not valid JSON`);
      }
    },
    (value: unknown) => {
      if (value instanceof JsonText) return value.text;
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError(`Expected \`body\` to be a JSON value, got ${jsonKind(value)}`);
      return text;
    },
  );
}

/** A JSON object of header values, names lower-cased. Messages name headers but never show values. */
export function headerMap() {
  return metadataCodec(
    (text) => {
      const expected = `must be a JSON object of string values such as {"Authorization": "Bearer ..."}`;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return invalid(`${expected}, got text that is not valid JSON`);
      }
      if (!isJsonObject(parsed)) return invalid(`${expected}, got ${jsonKind(parsed)}`);
      const problems: string[] = [];
      const seen = new Set<string>();
      for (const [name, value] of Object.entries(parsed)) {
        const lower = name.toLowerCase();
        if (!TOKEN.test(name)) problems.push(`has a header name that is not an HTTP token: ${quote(name)}`);
        else if (seen.has(lower)) problems.push(`has the header ${quote(lower)} twice (names are case-insensitive)`);
        if (typeof value !== "string") problems.push(`header ${quote(name)} must have a string value, got ${jsonKind(value)}`);
        else if (/[\r\n\0]/.test(value)) problems.push(`header ${quote(name)} has a value containing CR, LF or NUL`);
        seen.add(lower);
      }
      if (problems.length > 0) return invalid(...problems);
      return Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name.toLowerCase(), value as string]));
    },
    (headers: Readonly<Record<string, string>>) => JSON.stringify(headers),
  );
}

/** One of a fixed set of words. */
export function oneOf<const T extends string>(words: readonly T[]) {
  const expected = words.map((word) => `'${word}'`).join(" or ");
  return metadataCodec(
    (text) => (words.includes(text as T) ? (text as T) : invalid(`must be ${expected}, got ${quote(text)}`)),
    (word: T) => word,
  );
}

/** A dotted JSON path such as `run.status`. */
export function jsonPath() {
  return metadataCodec(
    (text) => {
      const path = compileJsonPath(text);
      return typeof path === "string" ? invalid(path) : path;
    },
    (path: JsonPath | string) => (typeof path === "string" ? path : path.text),
  );
}

/** Splits a comma list: items trimmed, empty items dropped. */
function splitList(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/** A comma-separated list of states, lower-cased (states match case-insensitively); `required` makes an empty list an error. */
export function stateList(options: { readonly required: boolean }) {
  return metadataCodec(
    (text) => {
      const states = splitList(text).map((state) => state.toLowerCase());
      if (options.required && states.length === 0) {
        return invalid(`must be a comma-separated list of states such as completed,failed, got ${quote(text)}`);
      }
      return states;
    },
    (states: readonly string[]) => {
      const bad = states.find((state) => state.includes(",") || state.trim() !== state || state === "");
      if (bad !== undefined) throw new TypeError(`Expected states without commas or surrounding spaces, got ${quote(bad)}`);
      return states.join(",");
    },
  );
}

/** A comma-separated list of HTTP status codes, 100-599. */
export function statusCodeList() {
  return metadataCodec(
    (text) => {
      const codes = splitList(text).map((item) => (/^[0-9]{3}$/.test(item) ? Number(item) : Number.NaN));
      const ok = codes.every((code) => code >= 100 && code <= 599);
      return ok ? codes : invalid(`must be a comma-separated list of HTTP status codes (100-599), got ${quote(text)}`);
    },
    (codes: readonly number[]) => codes.join(","),
  );
}

const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** A finite decimal number such as `2`, `0.5` or `1e3`; undefined for anything else ("", "NaN", "Infinity", "1e999"). */
function parseDecimal(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** Bounds for `decimal`: the number's name in messages, and its inclusive or exclusive minimum. */
export interface DecimalRule {
  /** How the expected value is named: "a number of seconds". */
  readonly expected: string;
  /** The smallest value allowed. */
  readonly min: number;
  /** True when `min` itself is not allowed. */
  readonly exclusive?: boolean;
  /** True when only whole numbers are allowed. */
  readonly integer?: boolean;
}

/** A finite number within a lower bound. Never falls back to a default: a bad value is an error. */
export function decimal(rule: DecimalRule) {
  return metadataCodec(
    (text) => {
      const value = parseDecimal(text);
      if (value === undefined || (rule.integer === true && !Number.isSafeInteger(value))) {
        return invalid(`must be ${rule.expected}, got ${quote(text)}`);
      }
      const tooSmall = rule.exclusive === true ? value <= rule.min : value < rule.min;
      if (tooSmall) {
        const bound = rule.exclusive === true ? `greater than ${rule.min}` : rule.min === 0 ? "0 or more" : `at least ${rule.min}`;
        return invalid(`must be ${bound}, got ${quote(text)}`);
      }
      return value === 0 ? 0 : value; // "-0" reads as 0
    },
    (value: number) => String(value),
  );
}
