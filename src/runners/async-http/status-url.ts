import { readJsonPath, type JsonPath } from "../../http/json-path.js";
import { isHttpUrl } from "../../http/url.js";
import { NOT_JSON } from "./answer.js";

/** A run id at `path` (see `runKey`). */
export function readRunId(json: unknown, path: JsonPath): string | undefined {
  return json === NOT_JSON ? undefined : runKey(readJsonPath(json, path));
}

/** A value as the key of a run (an id, a lookup key): a non-empty string, or a number as text. */
export function runKey(value: unknown): string | undefined {
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A status URL from a response header, resolved against the URL that answered (`base`, an href); a string says what is wrong with it. */
export function resolveHeaderUrl(location: string, base: string): URL | string {
  let url: URL;
  try {
    url = new URL(location, base);
  } catch {
    return `a status URL that is not http(s): ${location}`;
  }
  return isHttpUrl(url) ? url : `a status URL that is not http(s): ${location}`;
}
