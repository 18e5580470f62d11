import { INVOCATION_ID_PLACEHOLDER, LOOKUP_PLACEHOLDER, RUN_ID_PLACEHOLDER, expandInvocationId } from "../placeholders.js";
import { isHttpUrl } from "../url.js";
import { invalid, metadataCodec, quote, type Invalid } from "./codecs.js";

// The codecs of the keys that hold URLs and templates, and where `{invocation_id}` may stand in them.

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
      return unknown.length === 0 ? text : otherPlaceholder(placeholders, unknown[0]!, why);
    },
    (template: string) => template,
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
      if (text.trim() === "") return invalid(`must be a non-empty text such as ${placeholders.join(" ")}, got ${quote(text)}`);
      const unknown = (text.match(PLACEHOLDER_LIKE) ?? []).filter((placeholder) => !placeholders.includes(placeholder));
      return unknown.length === 0 ? text : otherPlaceholder(placeholders, unknown[0]!);
    },
    (template: string) => template,
  );
}

/** A placeholder outside those a key takes; `why` says why they are so few. */
function otherPlaceholder(placeholders: readonly string[], got: string, why = ""): Invalid {
  const allowed = placeholders.length === 1 ? placeholders[0]! : `${placeholders.slice(0, -1).join(", ")} and ${placeholders.at(-1)!}`;
  const plural = placeholders.length === 1 ? "" : "s";
  return invalid(`may only use the placeholder${plural} ${allowed}${why === "" ? "" : ` (${why})`}, got ${quote(got)}`);
}
