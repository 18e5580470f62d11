/**
 * The protocol `status` (the default): the status is read at
 * `http.poll_status_path` in kickoff and poll bodies and matched, without
 * regard to case, against the configured state lists. Pure functions of the
 * configuration and one answer.
 */
import type { AsyncHttpCommonConfig, StatusProtocolConfig } from "../../http/metadata/config.js";
import { readJsonPath, readJsonPathAll, type JsonPath } from "../../http/json-path.js";
import { NOT_JSON, type Answer } from "./answer.js";
import { LOOKUP_PLACEHOLDER, RUN_ID_PLACEHOLDER } from "../../http/placeholders.js";
import { expandUrlTemplate } from "../../http/url-template.js";
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
  const reading = readStatus(answer.json, settings);
  const status = typeof reading === "string" ? reading : reading.kind === "terminal" ? reading.status : undefined;
  if (typeof reading !== "string" && reading.kind === "terminal" && answer.code !== 202) return reading;
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
  return { kind: "accepted", status, monitor: { url: url.href, mode: undefined } };
}

/** What a poll's answer means. */
export function classifyStatusPoll(settings: StatusSettings, answer: Answer): PollVerdict {
  const code = answer.code;
  if (settings.pollPendingCodes.has(code)) return PENDING;
  if (!isSuccessCode(code)) return classifyErrorCode(code);
  const reading = readStatus(answer.json, settings);
  if (typeof reading === "string") return { kind: "progress", status: reading };
  return reading.kind === "terminal" ? reading : { kind: "malformed", problem: statusProblem(reading, settings.pollStatusPath) };
}

/**
 * Success states are success, cancelled states a cancellation by the
 * backend, timed-out states the backend's own time limit, any other terminal
 * state a failure; with `http.poll_outcome_path`, the outcome decides where
 * the body has one.
 */
function terminal(settings: StatusSettings, status: string, json: unknown): Terminal {
  const reading = settings.pollOutcomePath === undefined ? undefined : scalarAt(json, settings.pollOutcomePath);
  const outcome = typeof reading === "string" ? reading : undefined;
  const word = (outcome ?? status).toLowerCase();
  if (settings.pollSuccessStates.has(word)) return { kind: "terminal", status, outcome: "succeeded" };
  const detail = outcome === undefined ? undefined : `outcome '${outcome}'`;
  if (settings.pollCancelledStates.has(word)) return { kind: "terminal", status, outcome: "cancelled", detail };
  return { kind: "terminal", status, outcome: settings.pollTimedOutStates.has(word) ? "timed_out" : "failed", detail };
}

/** The order in which the outcomes of several statuses (an array job's tasks) win: the worst first. */
const WORST_FIRST: readonly Terminal["outcome"][] = ["failed", "timed_out", "cancelled", "succeeded"];

/** Why a body has no usable status. */
type NoStatus = { readonly kind: "not_json" } | { readonly kind: "missing" } | { readonly kind: "not_scalar"; readonly type: string };
const NO_JSON: NoStatus = { kind: "not_json" };
const MISSING: NoStatus = { kind: "missing" };

/**
 * The status a body reports at the status path: the status itself while it is not terminal, what it means once
 * it is; or why there is none. A status that is not terminal costs no object of its own: a poll reads one, most
 * of the time (PERFORMANCE.md, "Fewer objects per answer").
 */
type StatusReading = string | Terminal | NoStatus;

/**
 * Reads the status at the status path. A path with `*` reads every value (an
 * array job's tasks): the run is terminal only when every value is, and its
 * outcome is the worst of them; while one is not, the first such is the status.
 */
function readStatus(json: unknown, settings: StatusSettings): StatusReading {
  const path = settings.pollStatusPath;
  if (!path.each) {
    const status = scalarAt(json, path);
    if (typeof status !== "string") return status;
    return settings.pollTerminalStates.has(status.toLowerCase()) ? terminal(settings, status, json) : status;
  }
  if (json === NOT_JSON) return NO_JSON;
  let worst: Terminal | undefined;
  for (const value of readJsonPathAll(json, path)) {
    const status = scalarText(value);
    if (status === undefined) return value === null ? MISSING : { kind: "not_scalar", type: Array.isArray(value) ? "an array" : "an object" };
    if (!settings.pollTerminalStates.has(status.toLowerCase())) return status;
    const found = terminal(settings, status, json);
    if (worst === undefined || WORST_FIRST.indexOf(found.outcome) < WORST_FIRST.indexOf(worst.outcome)) worst = found;
  }
  return worst ?? MISSING;
}

/** The scalar at `path` as a status: strings as they are, numbers and booleans as text. */
function scalarAt(json: unknown, path: JsonPath): string | NoStatus {
  if (json === NOT_JSON) return NO_JSON;
  const value = readJsonPath(json, path);
  const status = scalarText(value);
  if (status !== undefined) return status;
  if (value === undefined || value === null) return MISSING;
  return { kind: "not_scalar", type: Array.isArray(value) ? "an array" : "an object" };
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** What is wrong with a body that carries no usable status, naming the path. */
function statusProblem(reading: NoStatus, path: JsonPath): string {
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
