/**
 * The result metadata keys the HTTP runners write, each spelled once: the
 * runners, the command's progress output and the OpenTelemetry spans read
 * them by these names.
 */
export const RESULT_KEYS = {
  /** The HTTP status of the last response about the job. */
  statusCode: "http.status_code",
  /** The value at `http.result_path` of the terminal body, as JSON. */
  result: "http.result",
  /** The value at `http.error_path` of a failed answer, as JSON. */
  error: "http.error",
  /** Poll requests sent, pending and retried ones too. */
  polls: "http.polls",
  /** The backend's run id. */
  runId: "http.run_id",
  /** The status URL, redacted. */
  pollUrl: "http.poll_url",
  /** The last status the backend reported. */
  lastStatus: "http.last_status",
  /** The cancel request's HTTP status, or `error: ...`. */
  cancelStatus: "http.cancel_status",
  /** The key a run lookup found. */
  lookup: "http.lookup",
  /** Lookup requests sent, the ones before the kickoff included. */
  lookups: "http.lookups",
  /** Protocol `lro`: the status monitor used. */
  pollMode: "http.poll_mode",
  /** Protocol `lro`: where the result of a succeeded operation was read. */
  finalUrl: "http.final_url",
  /** Why `saveCheckpoint` failed; the run polled on. */
  checkpointError: "http.checkpoint_error",
  /** Why `response.json` was not written to `artifact_directory`. */
  artifactError: "http.artifact_error",
} as const;
