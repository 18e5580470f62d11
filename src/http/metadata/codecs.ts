import { z } from "zod";
import { compileJsonPath, type JsonPath } from "../json-path.js";

/** Problems found in one metadata value; each becomes one issue on its key. */
export class Invalid {
  readonly messages: readonly string[];
  constructor(messages: readonly string[]) {
    this.messages = messages;
  }
}

/** Marks a metadata value as invalid, with one message per problem. */
export function invalid(...messages: string[]): Invalid {
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

/** `true` or `false`, exactly. */
export function flag() {
  return metadataCodec(
    (text) => (text === "true" ? true : text === "false" ? false : invalid(`must be 'true' or 'false', got ${quote(text)}`)),
    (value: boolean) => String(value),
  );
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
