import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import { readJsonPath, type JsonPath } from "../../http/json-path.js";
import { NOT_JSON, type Answer } from "./answer.js";
import { PENDING, classifyErrorCode, isSuccessCode, type KickoffVerdict, type PollVerdict, type TerminalOutcome } from "./verdict.js";

/**
 * The protocol `status` (the default): the status is read at
 * `http.poll_status_path` in kickoff and poll bodies and matched against the
 * configured state lists. Pure functions of the configuration and one answer.
 */

/** The settings this protocol reads. */
export type StatusSettings = Pick<
  AsyncHttpConfig,
  "pollStatusPath" | "pollTerminalStates" | "pollSuccessStates" | "pollCancelledStates" | "pollPendingCodes"
>;

/** What the kickoff's answer means: a 2xx with a terminal status is final, any other 2xx an acknowledgement. */
export function classifyStatusKickoff(settings: StatusSettings, answer: Answer): KickoffVerdict {
  if (!isSuccessCode(answer.code)) return classifyErrorCode(answer.code);
  const reading = readStatus(answer.json, settings.pollStatusPath);
  if (reading.kind !== "status") return { kind: "accepted", status: undefined };
  if (settings.pollTerminalStates.has(reading.status)) return terminal(settings, reading.status);
  return { kind: "accepted", status: reading.status };
}

/** What a poll's answer means. */
export function classifyStatusPoll(settings: StatusSettings, answer: Answer): PollVerdict {
  const code = answer.code;
  if (settings.pollPendingCodes.has(code)) return PENDING;
  if (!isSuccessCode(code)) return classifyErrorCode(code);
  const reading = readStatus(answer.json, settings.pollStatusPath);
  if (reading.kind !== "status") return { kind: "malformed", problem: statusProblem(reading, settings.pollStatusPath) };
  if (settings.pollTerminalStates.has(reading.status)) return terminal(settings, reading.status);
  return { kind: "progress", status: reading.status };
}

function terminal(settings: StatusSettings, status: string): { kind: "terminal"; status: string; outcome: TerminalOutcome } {
  return { kind: "terminal", status, outcome: terminalOutcome(settings, status) };
}

/** Success states are success, cancelled states a cancellation by the backend, any other terminal state a failure. */
function terminalOutcome(settings: StatusSettings, status: string): TerminalOutcome {
  if (settings.pollSuccessStates.has(status)) return "succeeded";
  return settings.pollCancelledStates.has(status) ? "cancelled" : "failed";
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
