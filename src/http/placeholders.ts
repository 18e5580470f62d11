/** The placeholder of the backend's run id in a URL template (`http.poll_url_template`, `http.cancel_url_template`). */
export const RUN_ID_PLACEHOLDER = "{run_id}";

/** The placeholder of the key a run lookup found (`http.run_lookup_url`), in the status URL template. */
export const LOOKUP_PLACEHOLDER = "{lookup}";

/**
 * The placeholder of the invocation's own `invocation_id`: in `http.url`, `http.body`, `http.headers` values and
 * every template (`http.poll_url_template`, `http.cancel_url_template`, `http.run_lookup_url`, `http.run_owner_value`).
 */
export const INVOCATION_ID_PLACEHOLDER = "{invocation_id}";

/** A secret of the runner's, by name, in an `http.headers` value: `{secret:SLURM_JWT}`. */
const SECRET_PLACEHOLDER = /\{secret:([^{}\s]+)\}/g;

/** The names of the secrets `text` uses (`{secret:NAME}`), in order, each once. */
export function secretNames(text: string): string[] {
  if (!text.includes("{secret:")) return [];
  return [...new Set(Array.from(text.matchAll(SECRET_PLACEHOLDER), (match) => match[1] ?? ""))];
}

/**
 * `text` without its `{secret:NAME}` and `{invocation_id}` placeholders, each cut to a space: what of a header
 * value as written is its own (a secret's name is no secret, its value is; the invocation's id is none).
 */
export function withoutPlaceholders(text: string): string {
  const cut = text.includes("{secret:") ? text.replace(SECRET_PLACEHOLDER, " ") : text;
  return cut.includes(INVOCATION_ID_PLACEHOLDER) ? cut.replaceAll(INVOCATION_ID_PLACEHOLDER, " ") : cut;
}

/** `text` with each `{secret:NAME}` replaced by `values[NAME]`. */
export function expandSecrets(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(SECRET_PLACEHOLDER, (placeholder, name: string) => values.get(name) ?? placeholder);
}

/**
 * Replaces `{invocation_id}` in `text` by `invocationId` exactly as given, not encoded (`http.run_owner_value`; or a
 * value already encoded for where it goes).
 */
export function expandInvocationId(text: string, invocationId: string): string {
  return replacePlaceholder(text, INVOCATION_ID_PLACEHOLDER, invocationId);
}

/** Every `placeholder` in `text` replaced by `value`, taken literally (a `$&` or `$'` in a value is not a pattern). */
export function replacePlaceholder(text: string, placeholder: string, value: string): string {
  return text.replaceAll(placeholder, () => value);
}

// A UTF-16 surrogate without its other half: encodeURIComponent throws a URIError on one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `value` URL-encoded as `encodeURIComponent` does, with a lone surrogate written as U+FFFD (as URL parsing does) instead of throwing. */
export function encodeUrlComponent(value: string): string {
  return encodeURIComponent(SURROGATE.test(value) ? value.replace(LONE_SURROGATE, "\uFFFD") : value);
}

/** Any UTF-16 surrogate: a value without one has no lone one either. */
const SURROGATE = /[\uD800-\uDFFF]/;
