import type { ResultOutcome } from "../../contracts/result.js";
import type { TerminalOutcome } from "./verdict.js";

/** How a run ends: the outcome, and what the result carries besides. */
export interface Ending {
  readonly outcome: ResultOutcome;
  readonly exitCode?: number | null;
  /** The body saved as `response.json` when `artifact_directory` is set. */
  readonly responseBody?: string;
}

/** The run goes on: wait, then poll (again). A value of its own, never `undefined`. */
export const POLL_AGAIN: unique symbol = Symbol("poll again");

/** What a step of the run leads to. */
export type Next = Ending | typeof POLL_AGAIN;

/** A `failed` ending with its summary. */
export function failedEnding(summary: string): Ending {
  return { outcome: { status: "failed", summary } };
}

/**
 * The ending for a terminal status: `succeeded` (exit 0), `cancelled` by the
 * backend, or `failed` (exit 1); `detail` is what the backend said about it.
 */
export function terminalEnding(status: string, outcome: TerminalOutcome, responseBody: string, detail?: string): Ending {
  if (outcome === "succeeded") return { outcome: { status: "succeeded" }, exitCode: 0, responseBody };
  const summary = `backend reported terminal status: ${status}${detail === undefined ? "" : ` (${detail})`}`;
  if (outcome === "cancelled") return { outcome: { status: "cancelled", summary }, responseBody };
  return { outcome: { status: "failed", summary }, exitCode: 1, responseBody };
}
