import type { FinalStatus, RuntimeStatus } from "../contracts/vocabulary.js";

/** The exit code of `executor-runtime run` for each final status. */
export const STATUS_EXIT_CODES = {
  succeeded: 0,
  failed: 1,
  rejected: 2,
  timed_out: 124,
  cancelled: 130,
} as const satisfies Record<FinalStatus, number>;

/** Bad usage or bad input: an unknown option, a missing file, invalid JSON, an invalid invocation. */
export const EXIT_USAGE = 2;

/** Interrupted by Ctrl-C or SIGTERM: 128 + SIGINT, as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** The exit code for a result status; a status that is not final (pending, running) counts as a failure. */
export function exitCodeOf(status: RuntimeStatus): number {
  return Object.hasOwn(STATUS_EXIT_CODES, status) ? STATUS_EXIT_CODES[status as FinalStatus] : STATUS_EXIT_CODES.failed;
}
