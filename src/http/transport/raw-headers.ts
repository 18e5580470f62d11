/** A response head as undici hands it to a handler: name, value, name, value... (a value may be a list). */
export type RawHeaders = readonly (Buffer | string | readonly (Buffer | string)[])[];

const CONTENT_LENGTH = "content-length";

/**
 * The values of header `name` (lower case) in a raw head, in order, decoded
 * as latin1, as undici's `parseHeaders` decodes them; undefined when absent.
 */
export function headerValues(raw: RawHeaders, name: string): string[] | undefined {
  let values: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i];
    if (!isKey(key, name)) continue;
    const value = raw[i + 1];
    if (value === undefined) continue;
    const decoded = Array.isArray(value) ? value.map(latin1) : [latin1(value as Buffer | string)];
    if (values === undefined) values = decoded;
    else values.push(...decoded);
  }
  return values;
}

/** Header `name` (lower case) of a raw head; repeated headers joined with ", ". */
export function headerOf(raw: RawHeaders, name: string): string | undefined {
  const values = headerValues(raw, name);
  return values === undefined ? undefined : values.length === 1 ? values[0] : values.join(", ");
}

/**
 * The body size a head announces: its one `content-length` value, when that
 * is digits only, read from its bytes with no string made (PERFORMANCE.md,
 * "Headers read on demand"); undefined when there is none, several, or one
 * that is no number.
 */
export function announcedLength(raw: RawHeaders): number | undefined {
  let length: number | undefined;
  let seen = false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!isKey(raw[i], CONTENT_LENGTH)) continue;
    if (seen) return undefined;
    seen = true;
    const value = raw[i + 1];
    length = isText(value) ? digits(value) : undefined;
  }
  return length;
}

/**
 * Whether a head announces a body longer than `limit` (its one `content-length`, as `announcedLength` reads it).
 * Read value first: the head is read by name only when a name of that length has a number past `limit` for
 * its value, which an answer within the cap never has (PERFORMANCE.md, "A content length read value first").
 */
export function announcesMoreThan(raw: RawHeaders, limit: number): boolean {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.length !== CONTENT_LENGTH.length) continue;
    const value = raw[i + 1];
    const length = isText(value) ? digits(value) : undefined;
    if (length !== undefined && length > limit) return (announcedLength(raw) ?? 0) > limit;
  }
  return false;
}

/** The number `text` writes in decimal digits alone; undefined for anything else. */
function digits(text: string | Uint8Array): number | undefined {
  const length = text.length;
  if (length === 0) return undefined;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const digit = (typeof text === "string" ? text.charCodeAt(i) : (text[i] as number)) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Whether a raw head's key is header `name` (lower-case ASCII), in any case. A key of another length is
 * not, whatever its type: no latin1 letter changes length in lower case (PERFORMANCE.md, "Header names
 * told apart by length").
 */
function isKey(key: RawHeaders[number] | undefined, name: string): boolean {
  if (key?.length !== name.length) return false;
  return typeof key === "string" ? key.toLowerCase() === name : key instanceof Uint8Array && isName(key, name);
}

/**
 * Whether a raw head's entry is one value, as text or bytes (not a list). `instanceof Uint8Array`, not
 * `Buffer.isBuffer`: the same answer for what undici hands over, at a fifth of the cost (PERFORMANCE.md, "A
 * content length read value first").
 */
function isText(value: RawHeaders[number] | undefined): value is string | Buffer {
  return typeof value === "string" || value instanceof Uint8Array;
}

/**
 * Whether the bytes of a header name of `name`'s length (`isKey` checked it)
 * spell `name` (lower-case ASCII) in any case, compared in place: no name is
 * decoded (PERFORMANCE.md, "Headers read on demand"). As latin1 text, only
 * ASCII letters have an ASCII lower case.
 */
function isName(key: Uint8Array, name: string): boolean {
  const length = name.length;
  for (let i = 0; i < length; i++) {
    const byte = key[i]!;
    if ((byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte) !== name.charCodeAt(i)) return false;
  }
  return true;
}

function latin1(value: Buffer | string): string {
  return typeof value === "string" ? value : value.toString("latin1");
}
