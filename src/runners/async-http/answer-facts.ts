/**
 * What an answer's body tells besides its status, in the backend's own
 * words: its run id (`http.poll_run_id_path`), its error (`http.error_path`),
 * its result (`http.result_path`) and the job's exit code
 * (`http.exit_code_path`, `http.exit_code_format`).
 */
import { readJsonPath, readJsonPathAll, type JsonPath } from "../../http/json-path.js";
import type { AsyncHttpCommonConfig, ExitCodeFormat } from "../../http/metadata/config.js";
import { NOT_JSON, type Answer } from "./answer.js";
import { readRunId } from "./status-url.js";
import { isSuccessCode } from "./verdict.js";

/** The value at `path` of an answer's JSON body, as JSON text; undefined when there is none. */
export function jsonAt(answer: Answer, path: JsonPath | undefined): string | undefined {
  if (path === undefined) return undefined;
  const json = answer.json;
  if (json === NOT_JSON) return undefined;
  const value = readJsonPath(json, path);
  return value === undefined ? undefined : JSON.stringify(value);
}

/** The run id a 2xx answer names (`http.poll_run_id_path`). */
export function runIdOf(answer: Answer, config: Pick<AsyncHttpCommonConfig, "pollRunIdPath">): string | undefined {
  const path = config.pollRunIdPath;
  return path === undefined || !isSuccessCode(answer.code) ? undefined : readRunId(answer.json, path);
}

/** The backend's own error in a failed answer (`http.error_path`), as JSON text. */
export function backendError(answer: Answer, config: Pick<AsyncHttpCommonConfig, "errorPath">): string | undefined {
  return jsonAt(answer, config.errorPath);
}

/**
 * The job's own exit code in a terminal body (`http.exit_code_path`): a whole
 * number, or a string of one; with format `wait_status`, a POSIX wait status
 * (Slurm's v0.0.38 reports `exit 3` as 768): the exit code in bits 8-15, or,
 * for a job killed by signal n, 128 + n.
 */
export function exitCodeOf(answer: Answer, config: Pick<AsyncHttpCommonConfig, "exitCodePath" | "exitCodeFormat">): number | undefined {
  const path = config.exitCodePath;
  const json = answer.json;
  if (path === undefined || json === NOT_JSON) return undefined;
  // With `*` (an array job's tasks), the first that did not exit 0.
  const codes = (path.each ? readJsonPathAll(json, path) : [readJsonPath(json, path)]).map((value) => wholeNumber(value));
  const read = codes.filter((code) => code !== undefined).map((code) => decode(code, config.exitCodeFormat));
  return read.find((code) => code !== 0) ?? read[0];
}

function wholeNumber(value: unknown): number | undefined {
  const code = typeof value === "number" ? value : typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : undefined;
  return code !== undefined && Number.isSafeInteger(code) ? code : undefined;
}

function decode(code: number, format: ExitCodeFormat): number {
  if (format === "plain") return code;
  const signal = code & 0x7f;
  return signal === 0 ? (code >> 8) & 0xff : 128 + signal;
}
