/** The result metadata key that says what became of the backend's job. */
export const BACKEND_JOB_KEY = "http.backend_job";

/**
 * What became of the backend's job when the run ended (`http.backend_job`):
 * never started, finished, cancelled, or possibly still running.
 */
export type BackendJob =
  /** No kickoff was sent, or the backend refused it. */
  | { readonly state: "not_started" }
  /** The backend reported a terminal state. */
  | { readonly state: "finished" }
  /** A cancel request was answered 2xx. */
  | { readonly state: "cancelled" }
  /** The cancel request failed: `error` says how. */
  | { readonly state: "cancel_failed"; readonly runId: string | undefined; readonly error: string }
  /**
   * The backend accepted the job, or may have, and neither finished nor
   * cancelled it: `kickoffUnknown` when the kickoff's answer never came.
   */
  | { readonly state: "may_still_run"; readonly runId: string | undefined; readonly kickoffUnknown?: boolean };

/** What a result's summary adds about a job the run leaves behind; empty when it leaves none. */
export function leftBehind(job: BackendJob): string {
  switch (job.state) {
    case "cancel_failed":
      return `; the backend job may still be running (${runIdText(job.runId)}); the cancel request failed: ${job.error}`;
    case "may_still_run":
      if (job.kickoffUnknown === true) return "; the backend may hold the job: the request that starts it was sent and its outcome is unknown";
      return `; the backend job may still be running (${runIdText(job.runId)}); no cancel request was sent`;
    default:
      return "";
  }
}

function runIdText(runId: string | undefined): string {
  return runId === undefined ? "its run id is unknown" : `run id ${runId}`;
}
