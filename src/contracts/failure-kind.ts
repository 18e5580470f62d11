/** The result metadata key that says, machine-readably, why a run did not succeed. */
export const FAILURE_KIND_KEY = "failure_kind";

/**
 * Why a run did not succeed, for a dispatcher deciding whether to retry,
 * alert or clean up (result metadata `failure_kind`).
 */
export const FAILURE_KINDS = [
  /** Rejected before anything was sent: the invocation or its settings did not validate. */
  "invalid_input",
  /** Rejected: no runner is registered for the invocation's kind. */
  "unknown_kind",
  /** The kickoff was answered with a permanent code. */
  "kickoff_refused",
  /** A poll, a lookup or the final read was answered with a permanent code (a 404 or 410 outside the pending codes). */
  "poll_refused",
  /** Network errors, 5xx or 429 beyond their budget. */
  "transport",
  /** The backend reported a failed terminal state. */
  "backend_failed",
  /** The backend reported a state of `http.poll_timed_out_states`. */
  "backend_timed_out",
  /** An answer the protocol cannot read. */
  "malformed_answer",
  /** The status URL shows another run than the invocation's own. */
  "lost_sight",
  /** The invocation's `timeout_seconds` passed. */
  "deadline",
  /** Cancelled by the caller or by the backend. */
  "cancelled",
  /** The runner itself broke. */
  "runner_error",
] as const;

/** A value of `failure_kind`. */
export type FailureKind = (typeof FAILURE_KINDS)[number];
