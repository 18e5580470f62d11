import { withoutPlaceholders } from "./placeholders.js";

/** What replaces a secret. */
export const REDACTED = "[REDACTED]";

/** Body previews in summaries are at most this many characters. */
export const PREVIEW_CHARS = 200;

/** Header values shorter than this are not treated as secrets: they would blank out ordinary words. */
const MIN_SECRET_CHARS = 4;

// Query parameters whose names look secret: token, api_key, X-Amz-Signature, password, auth...
const SECRET_QUERY = /([?&;][^=&#\s"'<>]*?(?:token|key|secret|password|passwd|sig|signature|auth)[^=&#\s"'<>]*=)[^&#\s"'<>]*/gi;
const URL_USERINFO = /\b(https?:\/\/)[^\s/?#@"'<>]+@/gi;
const WHITESPACE_RUN = /\s+/g;
// Words of a header value: `Bearer <token>`, cookie pairs `a=1; b=2`, lists `x, y`.
const SECRET_PARTS = /[\s;,]+/;

/** Removes secrets from text bound for summaries, metadata and events. */
export type Redact = (text: string) => string;

/**
 * Builds the redactor of one run. `secrets` are the header values of the run
 * (the runner's `headers` and `http.headers`); each is removed wherever it
 * appears, and so is each part of one, for a backend that echoes just a part:
 * the words (`Bearer abc...` loses `abc...` alone too) and the values of
 * `name=value` pairs (a Cookie `sid=abc123; theme=dark` loses `abc123` and `dark`). URL
 * userinfo and the values of secret-looking query parameters are always removed.
 */
export function createRedactor(secrets: Iterable<string>): Redact {
  const values = new Set<string>();
  const keep = (value: string): void => {
    if (value.length >= MIN_SECRET_CHARS) values.add(value);
  };
  for (const value of secrets) {
    const secret = withoutPlaceholders(value).trim();
    keep(secret);
    for (const word of secret.split(SECRET_PARTS)) {
      keep(word);
      keep(word.slice(word.indexOf("=") + 1));
    }
  }
  if (values.size === 0) return redactUrls;
  // Longest first, so a value that contains another is removed whole.
  const ordered = [...values].sort((a, b) => b.length - a.length);
  return (text) => {
    let redacted = text;
    for (const value of ordered) {
      if (redacted.includes(value)) redacted = redacted.split(value).join(REDACTED);
    }
    return redactUrls(redacted);
  };
}

/**
 * Removes URL userinfo and secret query values; the redactor of a run without
 * secret header values. Text without an `@` has no userinfo, and text
 * without an `=` has no query value: most text skips both scans
 * (PERFORMANCE.md, "Redaction skips clean text").
 */
function redactUrls(text: string): string {
  let redacted = text;
  if (redacted.includes("@")) redacted = redacted.replace(URL_USERINFO, `$1${REDACTED}@`);
  if (redacted.includes("=")) redacted = redacted.replace(SECRET_QUERY, `$1${REDACTED}`);
  return redacted;
}

/** A body as a one-line preview of at most PREVIEW_CHARS characters, redacted; "(empty body)" for none. */
export function previewBody(body: string, redact: Redact): string {
  // Cut before redacting too, so a huge body is not scanned whole.
  const oneLine = redact(body.slice(0, PREVIEW_CHARS * 4).replace(WHITESPACE_RUN, " ").trim());
  if (oneLine.length === 0) return "(empty body)";
  return oneLine.length > PREVIEW_CHARS ? `${oneLine.slice(0, PREVIEW_CHARS - 1)}…` : oneLine;
}
