/** The RxP wire-contract version this library reads and writes. */
export const RXP_SCHEMA_VERSION = "0.1";

/**
 * RxP v0.1's vocabulary of runtime kinds. The registry accepts any non-empty
 * kind, but a result is valid RxP only when its kind is one of these.
 */
export const RUNTIME_KINDS = ["subprocess", "http", "http_async", "container", "manual", "unknown"] as const;

/** A runtime kind from RxP v0.1's vocabulary. */
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

/** Every status a `RuntimeResult` can carry. */
export const RUNTIME_STATUSES = [
  "pending",
  "running",
  "succeeded",
  "failed",
  "timed_out",
  "cancelled",
  "rejected",
] as const;

/** A result status from RxP v0.1's vocabulary. */
export type RuntimeStatus = (typeof RUNTIME_STATUSES)[number];

/** The statuses a finished run ends in: everything but `pending` and `running`. */
export const FINAL_STATUSES = ["succeeded", "failed", "timed_out", "cancelled", "rejected"] as const;

/** A status a finished run ends in. */
export type FinalStatus = (typeof FINAL_STATUSES)[number];

/** Returns whether `kind` is in RxP v0.1's kind vocabulary. */
export function isRuntimeKind(kind: unknown): kind is RuntimeKind {
  return typeof kind === "string" && (RUNTIME_KINDS as readonly string[]).includes(kind);
}
