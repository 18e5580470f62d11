import type { Failure } from "../failure.js";
import type { Ending } from "../run-report.js";
import type { Terminal } from "./verdict.js";

/** The ending of a run that failed. */
export function failedEnding(failure: Failure): Ending {
  return { failure };
}

/**
 * The ending for a terminal status: `succeeded` (exit 0), `cancelled` by the
 * backend, or `failed` (exit 1); `detail` is what the backend said about it.
 */
export function terminalEnding(verdict: Terminal, responseBody: string, detail: string | undefined): Ending {
  if (verdict.outcome === "succeeded") return { exitCode: 0, responseBody };
  const failure: Failure = { kind: "backend_ended", status: verdict.status, outcome: verdict.outcome, detail };
  return { failure, exitCode: verdict.outcome === "failed" ? 1 : null, responseBody };
}
