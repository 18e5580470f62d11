import type { z } from "zod";
import { didYouMean } from "../../contracts/suggest.js";
import type { AsyncKey } from "./keys.js";

/** What a cross-key rule may do: ask whether a key decoded cleanly, and report a problem on a key. */
export interface RuleContext {
  /** False when the key already has an issue: its value is then the raw input, not the decoded one. */
  valid(key: AsyncKey): boolean;
  /** Adds an issue on `key`. */
  report(key: string, message: string): void;
}

/**
 * The check that runs after every key is decoded, even when some failed (so
 * every problem is reported at once): unknown `http.*` keys, then `rules` on
 * the keys that decoded cleanly. `elsewhere` are keys another runner reads.
 */
export function crossKeyCheck<M extends Record<string, unknown>>(
  shape: object,
  rules: (metadata: M, rule: RuleContext) => void,
  elsewhere: readonly string[] = [],
) {
  const known = Object.keys(shape);
  const knownSet: ReadonlySet<string> = new Set(known);
  return (metadata: M, ctx: z.RefinementCtx<M>): void => {
    const failed = new Set(ctx.issues.map((issue) => issue.path?.[0]));
    const report = (key: string, message: string) => ctx.addIssue({ code: "custom", path: [key], message, input: metadata[key] });
    for (const key of Object.keys(metadata)) {
      // Case-insensitive, so `HTTP.url` is caught as a typo rather than passed through.
      if (key.toLowerCase().startsWith("http.") && !knownSet.has(key)) {
        report(key, elsewhere.includes(key) ? "is not a known key here (only AsyncHttpRunner reads it)" : unknownKey(key, known));
      }
    }
    rules(metadata, { valid: (key) => !failed.has(key), report });
  };
}

/**
 * The message for an unknown key, with the closest known key, or else the one
 * known key that starts with most of it (`http.poll_interval_ms` ->
 * `http.poll_interval_seconds`), which edit distance misses.
 */
function unknownKey(key: string, known: readonly string[]): string {
  const hint = didYouMean(key, known);
  if (hint !== "") return `is not a known key${hint}`;
  const lower = key.toLowerCase();
  const shared = known.map((name) => commonPrefixLength(lower, name));
  const best = Math.max(...shared);
  const matches = known.filter((_, index) => shared[index] === best);
  const namespace = "http.".length;
  const likely = matches.length === 1 && best - namespace >= 0.75 * (lower.length - namespace);
  return likely ? `is not a known key (did you mean '${matches[0]}'?)` : "is not a known key";
}

function commonPrefixLength(a: string, b: string): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return length;
}
