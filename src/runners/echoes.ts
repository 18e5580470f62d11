import type { ResultIdentity } from "../contracts/result.js";

/** What a run's result echoes of its invocation besides its id: the runtime's name and kind, and `timeout_seconds` (for a summary). */
export interface Echo {
  readonly runtime_name: string;
  readonly runtime_kind: string;
  readonly timeoutSeconds: number | null;
}

/**
 * Hands one `Echo` to the consecutive runs of a runner that echo the same:
 * a dispatcher sends a runner many invocations of one runtime and timeout,
 * and each run then holds one field for the three, not three fields
 * (PERFORMANCE.md, "Fewer fields per run"). A run that echoes something else
 * gets an Echo of its own, which the next runs share.
 */
export class Echoes {
  #latest: Echo = { runtime_name: "", runtime_kind: "", timeoutSeconds: null };

  /** The echo of an invocation of `identity` and `timeout_seconds`. */
  of(identity: ResultIdentity, timeoutSeconds: number | null): Echo {
    const latest = this.#latest;
    const { runtime_name, runtime_kind } = identity;
    if (latest.runtime_name === runtime_name && latest.runtime_kind === runtime_kind && latest.timeoutSeconds === timeoutSeconds) return latest;
    return (this.#latest = { runtime_name, runtime_kind, timeoutSeconds });
  }
}
