/** How a run that reached a terminal status ends: the RxP status it maps to. */
export type TerminalOutcome = "succeeded" | "failed" | "cancelled" | "timed_out";

import type { LRO_MODES } from "../../contracts/checkpoint.js";

/** How protocol `lro` reads its status monitor (result metadata `http.poll_mode`). */
export type LroMode = (typeof LRO_MODES)[number];

/** Where a run's status is read once the backend has accepted it. */
export interface Monitor {
  /** As `URL.href` writes it. */
  readonly url: string;
  /** Protocol `lro`'s mode; undefined for protocol `status`. */
  readonly mode: LroMode | undefined;
  /** Protocol `lro`, an operation monitor: where the result is read once the operation succeeded (undefined: the monitor's last document). */
  readonly resultUrl?: string | undefined;
}

/** The backend reported a terminal status; `detail` is what it said about a failure, if anything. */
export interface Terminal {
  readonly kind: "terminal";
  readonly status: string;
  readonly outcome: TerminalOutcome;
  readonly detail?: string | undefined;
}

/**
 * What the answer to a poll means, in DESIGN's words. `progress`, `pending`
 * and `transient` mean "poll again" (a transient answer only while the
 * consecutive-error budget lasts); the others end the run.
 */
export type PollVerdict =
  | Terminal
  /** The backend reported a status that is not terminal: wait, poll again (at `moveTo` when the status URL moved). */
  | { readonly kind: "progress"; readonly status: string; readonly moveTo?: string }
  /** One of `http.poll_pending_codes`: the backend does not know the run yet; wait, poll again. */
  | { readonly kind: "pending" }
  /** 5xx or 429: worth a retry. */
  | { readonly kind: "transient" }
  /** Any other code (400, 401, 403, ...): the run fails at once. */
  | { readonly kind: "permanent" }
  /** A 2xx whose status cannot be read: the run fails, naming what is missing. */
  | { readonly kind: "malformed"; readonly problem: string };

/** What the kickoff's answer means. */
export type KickoffVerdict =
  /** A 2xx that is already the final answer. */
  | Terminal
  /**
   * The backend took the job; polling `monitor` follows (undefined: once a run
   * lookup has found the run). `status` is the non-terminal status it reported, if any.
   */
  | { readonly kind: "accepted"; readonly status: string | undefined; readonly monitor: Monitor | undefined }
  /** A 2xx that leaves nothing to poll: the run fails, saying why (followed by a preview of the body when `showBody`). */
  | { readonly kind: "malformed"; readonly problem: string; readonly showBody?: boolean }
  /** 5xx or 429: retried where sending the kickoff again is safe. */
  | { readonly kind: "transient" }
  /** Any other code. */
  | { readonly kind: "permanent" };

export const PENDING: PollVerdict = { kind: "pending" };
export const TRANSIENT = { kind: "transient" } as const;
export const PERMANENT = { kind: "permanent" } as const;

/** True for a 2xx code. */
export function isSuccessCode(code: number): boolean {
  return code >= 200 && code <= 299;
}

/** A code that is neither 2xx nor pending: 5xx and 429 are transient, anything else permanent. */
export function classifyErrorCode(code: number): typeof TRANSIENT | typeof PERMANENT {
  return code >= 500 || code === 429 ? TRANSIENT : PERMANENT;
}
