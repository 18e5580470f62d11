import type { Failure } from "../failure.js";
import type { Ending } from "../run-report.js";
import type { Terminal } from "./verdict.js";

/** The ending of a run that failed. */
export function failedEnding(failure: Failure): Ending {
  return { failure };
}

/**
 * The ending for a terminal status: `succeeded` (exit 0), `cancelled` by the
 * backend, or `failed` (exit 1); `result` is the value at `http.result_path` (JSON).
 */
export function terminalEnding(verdict: Terminal, responseBody: string, result: string | undefined): Ending {
  if (verdict.outcome === "succeeded") return { exitCode: 0, responseBody, result };
  const failure: Failure = { kind: "backend_ended", status: verdict.status, outcome: verdict.outcome, detail: verdict.detail, result };
  return { failure, exitCode: verdict.outcome === "failed" ? 1 : null, responseBody, result };
}
