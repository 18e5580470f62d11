import type { Failure } from "../failure.js";
import type { Ending } from "../run-report.js";
import type { Terminal } from "./verdict.js";

/** The ending of a run that failed. */
export function failedEnding(failure: Failure): Ending {
  return { failure };
}

/** What a terminal body tells besides its status: `http.result_path`'s and `http.error_path`'s values (JSON), the job's exit code. */
export interface TerminalFacts {
  readonly result: string | undefined;
  readonly error: string | undefined;
  readonly exitCode: number | undefined;
}

/**
 * The ending for a terminal status: `succeeded` (exit 0, unless the body told
 * the job's own), `cancelled` by the backend, `timed_out` at the backend's
 * own limit, or `failed` (exit 1, unless the body told the job's own).
 */
export function terminalEnding(verdict: Terminal, responseBody: string, facts: TerminalFacts): Ending {
  const { result, error, exitCode } = facts;
  if (verdict.outcome === "succeeded") return { exitCode: exitCode ?? 0, responseBody, result };
  const failure: Failure = { kind: "backend_ended", status: verdict.status, outcome: verdict.outcome, detail: verdict.detail, result, error };
  // A job that failed never reads as exit 0 (an array job's first task may have exited 0).
  const failedCode = exitCode === undefined || exitCode === 0 ? 1 : exitCode;
  return { failure, exitCode: verdict.outcome === "failed" ? failedCode : (exitCode ?? null), responseBody, result };
}
