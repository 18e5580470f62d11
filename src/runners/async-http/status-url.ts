import { readJsonPath, type JsonPath } from "../../http/json-path.js";
import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import type { TransportResponse } from "../../http/transport/transport.js";
import { isHttpUrl } from "../../http/url.js";
import { NOT_JSON } from "./answer.js";

/** A run id at `path`: a non-empty string, or a number as text. */
export function readRunId(json: unknown, path: JsonPath): string | undefined {
  if (json === NOT_JSON) return undefined;
  const value = readJsonPath(json, path);
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Expands `{run_id}` (URL-encoded) in a template and resolves it against `base`. */
export function expandUrlTemplate(template: string, runId: string | undefined, base: URL): URL {
  return new URL(template.replaceAll("{run_id}", encodeURIComponent(runId ?? "")), base);
}

/** A status URL from a response header, resolved against the URL that answered; a string says what is wrong with it. */
export function resolveHeaderUrl(location: string, base: URL): URL | string {
  let url: URL;
  try {
    url = new URL(location, base);
  } catch {
    return `a status URL that is not http(s): ${location}`;
  }
  return isHttpUrl(url) ? url : `a status URL that is not http(s): ${location}`;
}

/**
 * The status URL of an accepted kickoff: `http.poll_url_template` with the
 * run id, else the kickoff's Operation-Location or Location header. A string
 * says why there is none; `preview` words the kickoff's body for it.
 */
export function statusUrlOf(
  config: Pick<AsyncHttpConfig, "pollUrlTemplate" | "pollRunIdPath" | "url">,
  runId: string | undefined,
  kickoff: TransportResponse,
  preview: (body: string) => string,
): URL | string {
  if (config.pollUrlTemplate !== undefined) {
    if (!config.pollUrlTemplate.includes("{run_id}") || runId !== undefined) return expandUrlTemplate(config.pollUrlTemplate, runId, config.url);
    const path = config.pollRunIdPath?.text ?? "";
    return `kickoff response has no run id at '${path}' (http.poll_run_id_path), which http.poll_url_template needs: ${preview(kickoff.body)}`;
  }
  const location = kickoff.header("operation-location") ?? kickoff.header("location");
  if (location === undefined) {
    return `kickoff answered HTTP ${kickoff.status} with no status URL: no Location or Operation-Location header, and no http.poll_url_template; set http.poll_url_template`;
  }
  const url = resolveHeaderUrl(location, kickoff.url);
  return url instanceof URL ? url : `kickoff answered with ${url}`;
}
