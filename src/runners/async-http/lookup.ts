/**
 * The run lookup, for backends whose acknowledgement names no run: the
 * lookup URL's answer read as the set of run keys it lists. Pure functions of
 * one answer.
 */
import { readJsonPathAll, type JsonPath } from "../../http/json-path.js";
import { NOT_JSON, type Answer } from "./answer.js";
import { runKey } from "./status-url.js";
import { classifyErrorCode, isSuccessCode, type PERMANENT, type TRANSIENT } from "./verdict.js";

/** What a lookup's answer means. */
export type LookupVerdict =
  /** The keys the answer lists, in document order. */
  | { readonly kind: "keys"; readonly keys: readonly string[] }
  /** One of `http.poll_pending_codes`: nothing listed yet. */
  | { readonly kind: "pending" }
  | typeof TRANSIENT
  | typeof PERMANENT
  /** A 2xx that is not JSON. */
  | { readonly kind: "malformed"; readonly problem: string };

/** Reads a lookup's answer: the keys at `path` (strings, and numbers as text), or why there are none. */
export function classifyLookup(answer: Answer, path: JsonPath, pendingCodes: ReadonlySet<number>): LookupVerdict {
  const code = answer.code;
  if (pendingCodes.has(code)) return { kind: "pending" };
  if (!isSuccessCode(code)) return classifyErrorCode(code);
  const json = answer.json;
  if (json === NOT_JSON) return { kind: "malformed", problem: "is not JSON" };
  const keys: string[] = [];
  for (const value of readJsonPathAll(json, path)) {
    const key = runKey(value);
    if (key !== undefined) keys.push(key);
  }
  return { kind: "keys", keys };
}

/** The run a lookup found: the last key in document order that was not there before the kickoff. */
export function newestNewKey(keys: readonly string[], before: ReadonlySet<string>): string | undefined {
  for (let index = keys.length - 1; index >= 0; index--) {
    const key = keys[index];
    if (key !== undefined && !before.has(key)) return key;
  }
  return undefined;
}
