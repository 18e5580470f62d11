/**
 * The protocol `status` (the default): the status is read at
 * `http.poll_status_path` in kickoff and poll bodies and matched, without
 * regard to case, against the configured state lists. Pure functions of the
 * configuration and one answer.
 */
import type { AsyncHttpCommonConfig, StatusProtocolConfig } from "../../http/metadata/config.js";
import { readJsonPath, type JsonPath } from "../../http/json-path.js";
import { NOT_JSON, type Answer } from "./answer.js";
import { LOOKUP_PLACEHOLDER, RUN_ID_PLACEHOLDER, expandUrlTemplate } from "../../http/placeholders.js";
import { resolveHeaderUrl } from "./status-url.js";
import { PENDING, classifyErrorCode, isSuccessCode, type KickoffVerdict, type PollVerdict, type Terminal } from "./verdict.js";

/** The settings this protocol reads. */
export type StatusSettings = StatusProtocolConfig & Pick<AsyncHttpCommonConfig, "url" | "pollRunIdPath" | "pollPendingCodes">;

/**
 * What the kickoff's answer means: a 200 or 201 with a terminal status is
 * final; any other 2xx (a 202 always) is an acknowledgement, polled at the
 * template with `runId`, else at the Operation-Location or Location header.
 */
export function classifyStatusKickoff(settings: StatusSettings, answer: Answer, runId: string | undefined, invocationId?: string): KickoffVerdict {
  if (!isSuccessCode(answer.code)) return classifyErrorCode(answer.code);
  const reading = readStatus(answer.json, settings.pollStatusPath);
  const status = reading.kind === "status" ? reading.status : undefined;
  if (status !== undefined && answer.code !== 202 && settings.pollTerminalStates.has(status.toLowerCase())) {
    return terminal(settings, status, answer.json);
  }
  const template = settings.pollUrlTemplate;
  if (template !== undefined) {
    if (template.includes(RUN_ID_PLACEHOLDER) && runId === undefined) {
      const path = settings.pollRunIdPath?.text ?? "";
      return { kind: "malformed", problem: `kickoff response has no run id at '${path}' (http.poll_run_id_path), which http.poll_url_template needs`, showBody: true };
    }
    // A template that needs a run lookup is expanded once the lookup has found the run.
    if (template.includes(LOOKUP_PLACEHOLDER)) return { kind: "accepted", status, monitor: undefined };
    return { kind: "accepted", status, monitor: { url: expandUrlTemplate(template, { runId, lookup: undefined, invocationId }, settings.url), mode: undefined } };
  }
  const location = answer.header("operation-location") ?? answer.header("location");
  if (location === undefined) {
    const problem = `kickoff answered HTTP ${answer.code} with no status URL: no Location or Operation-Location header, and no http.poll_url_template; set http.poll_url_template`;
    return { kind: "malformed", problem };
  }
  const url = resolveHeaderUrl(location, answer.response.url);
  if (typeof url === "string") return { kind: "malformed", problem: `kickoff answered with ${url}` };
  return { kind: "accepted", status, monitor: { url, mode: undefined } };
}

/** What a poll's answer means. */
export function classifyStatusPoll(settings: StatusSettings, answer: Answer): PollVerdict {
  const code = answer.code;
  if (settings.pollPendingCodes.has(code)) return PENDING;
  if (!isSuccessCode(code)) return classifyErrorCode(code);
  const reading = readStatus(answer.json, settings.pollStatusPath);
  if (reading.kind !== "status") return { kind: "malformed", problem: statusProblem(reading, settings.pollStatusPath) };
  if (settings.pollTerminalStates.has(reading.status.toLowerCase())) return terminal(settings, reading.status, answer.json);
  return { kind: "progress", status: reading.status };
}

/**
 * Success states are success, cancelled states a cancellation by the backend,
 * any other terminal state a failure; with `http.poll_outcome_path`, the
 * outcome decides where the body has one.
 */
function terminal(settings: StatusSettings, status: string, json: unknown): Terminal {
  const reading = settings.pollOutcomePath === undefined ? undefined : readStatus(json, settings.pollOutcomePath);
  const outcome = reading?.kind === "status" ? reading.status : undefined;
  const word = (outcome ?? status).toLowerCase();
  if (settings.pollSuccessStates.has(word)) return { kind: "terminal", status, outcome: "succeeded" };
  const detail = outcome === undefined ? undefined : `outcome '${outcome}'`;
  return { kind: "terminal", status, outcome: settings.pollCancelledStates.has(word) ? "cancelled" : "failed", detail };
}


/** The status a body reports at the status path, or why there is none. */
type StatusReading =
  | { readonly kind: "status"; readonly status: string }
  | { readonly kind: "not_json" }
  | { readonly kind: "missing" }
  | { readonly kind: "not_scalar"; readonly type: string };

/** Reads the status at `path`; strings as they are, numbers and booleans as text. */
function readStatus(json: unknown, path: JsonPath): StatusReading {
  if (json === NOT_JSON) return { kind: "not_json" };
  const value = readJsonPath(json, path);
  if (typeof value === "string") return { kind: "status", status: value };
  if (typeof value === "number" || typeof value === "boolean") return { kind: "status", status: String(value) };
  if (value === undefined || value === null) return { kind: "missing" };
  return { kind: "not_scalar", type: Array.isArray(value) ? "an array" : "an object" };
}

/** What is wrong with a body that carries no usable status, naming the path. */
function statusProblem(reading: Exclude<StatusReading, { kind: "status" }>, path: JsonPath): string {
  const where = `'${path.text}' (http.poll_status_path)`;
  switch (reading.kind) {
    case "not_json":
      return `is not JSON, so it has no status at ${where}`;
    case "missing":
      return `has no status at ${where}`;
    case "not_scalar":
      return `has ${reading.type} at ${where}, not a status string`;
  }
}
