import type { ResultOutcome } from "../contracts/result.js";
import type { AsyncHttpConfig } from "../http/metadata.js";
import { readJsonPath, type JsonPath } from "../http/json-path.js";

/** How a run ends: the outcome, and what the result carries besides. */
export interface Ending {
  readonly outcome: ResultOutcome;
  readonly exitCode?: number | null;
  /** The body saved as `response.json` when `artifact_directory` is set. */
  readonly responseBody?: string;
}

/** Returned by `parseJsonBody` for a body that is not JSON. */
export const NOT_JSON: unique symbol = Symbol("not JSON");

/** Parses a body once; NOT_JSON when it is not JSON. */
export function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return NOT_JSON;
  }
}

/** The status a body reports at the status path, or why there is none. */
export type StatusReading =
  | { readonly kind: "status"; readonly status: string }
  | { readonly kind: "not_json" }
  | { readonly kind: "missing" }
  | { readonly kind: "not_scalar"; readonly type: string };

/** Reads the status at `path`; strings as they are, numbers and booleans as text. */
export function readStatus(json: unknown, path: JsonPath): StatusReading {
  if (json === NOT_JSON) return { kind: "not_json" };
  const value = readJsonPath(json, path);
  if (typeof value === "string") return { kind: "status", status: value };
  if (typeof value === "number" || typeof value === "boolean") return { kind: "status", status: String(value) };
  if (value === undefined || value === null) return { kind: "missing" };
  return { kind: "not_scalar", type: Array.isArray(value) ? "an array" : "an object" };
}

/** What is wrong with a poll body that carries no usable status, naming the path. */
export function statusProblem(reading: Exclude<StatusReading, { kind: "status" }>, path: JsonPath): string {
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

/** A run id at `path`: a non-empty string, or a number as text. */
export function readRunId(json: unknown, path: JsonPath): string | undefined {
  if (json === NOT_JSON) return undefined;
  const value = readJsonPath(json, path);
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** The ending for a terminal status: success, a backend cancellation, or failure. */
export function terminalEnding(config: AsyncHttpConfig, status: string, responseBody: string): Ending {
  if (config.successStates.has(status)) return { outcome: { status: "succeeded" }, exitCode: 0, responseBody };
  const summary = `backend reported terminal status: ${status}`;
  if (config.cancelledStates.has(status)) return { outcome: { status: "cancelled", summary }, responseBody };
  return { outcome: { status: "failed", summary }, exitCode: 1, responseBody };
}

/** Expands `{run_id}` (URL-encoded) in a template and resolves it against `base`. */
export function expandUrlTemplate(template: string, runId: string | undefined, base: URL): URL {
  return new URL(template.replaceAll("{run_id}", encodeURIComponent(runId ?? "")), base);
}
