import type { RuntimeResult } from "../contracts/result.js";
import type { RunEvent } from "../runners/runner.js";
import type { RunStart } from "./progress-text.js";

/** Receives what happens during one run and shows it on stderr. */
export interface ProgressReporter {
  /** The run is about to start. */
  start(run: RunStart): void;
  /** A runner event. */
  event(event: RunEvent): void;
  /** Ctrl-C or SIGTERM arrived: the run is being cancelled; `text` says so. */
  interrupt(text: string): void;
  /** The run ended; the last thing reported. */
  finish(result: RuntimeResult, exitCode: number): void;
}
