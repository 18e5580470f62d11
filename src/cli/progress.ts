import { FAILURE_KIND_KEY } from "../contracts/failure-kind.js";
import type { RuntimeResult } from "../contracts/result.js";
import { BACKEND_JOB_KEY } from "../runners/backend-job.js";
import type { RunEvent } from "../runners/runner.js";
import { ElapsedClock } from "./elapsed-clock.js";
import type { OutputStream } from "./io.js";
import { LiveProgress, type Schedule } from "./progress-live.js";
import type { ProgressReporter } from "./progress-reporter.js";
import { PhaseTracker, describeEvent, describeOutcome, describeStart, formatDuration, type Redact, type RunStart } from "./progress-text.js";

/**
 * - `live`: one status line redrawn in place, for a terminal;
 * - `lines`: one plain line per event, for logs and CI;
 * - `json`: one JSON object per line per event, for log shippers;
 * - `quiet`: nothing.
 */
export type ProgressMode = "live" | "lines" | "json" | "quiet";

/** Options of `createProgress`. */
export interface ProgressOptions {
  readonly redact: Redact;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Drives the live line's spinner. */
  readonly schedule?: Schedule;
  /** Color the live outcome line. @default false */
  readonly color?: boolean;
}

/** The progress mode for the flags and the stream: live on a terminal that can redraw, plain lines otherwise. */
export function chooseProgressMode(
  flags: { readonly quiet: boolean; readonly jsonEvents: boolean },
  stream: OutputStream,
  env: Readonly<Record<string, string | undefined>>,
): ProgressMode {
  if (flags.jsonEvents) return "json";
  if (flags.quiet) return "quiet";
  return stream.isTTY === true && env.TERM !== "dumb" ? "live" : "lines";
}

/** Whether the live line may use color: a terminal, and neither NO_COLOR nor TERM=dumb. */
export function useColor(stream: OutputStream, env: Readonly<Record<string, string | undefined>>): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? "") === "" && env.TERM !== "dumb";
}

/** The reporter of `mode`, writing to `stream`. */
export function createProgress(mode: ProgressMode, stream: OutputStream, options: ProgressOptions): ProgressReporter {
  switch (mode) {
    case "live":
      return new LiveProgress(stream, options);
    case "lines":
      return new LineProgress(stream, options.redact, options.now ?? Date.now);
    case "json":
      return new JsonProgress(stream, options.redact, options.now ?? Date.now);
    case "quiet":
      return { start() {}, event() {}, interrupt() {}, finish() {} };
  }
}

/** One plain line per event: `[  0.21s] poll 1 answered HTTP 404`, every time on the one clock of `ElapsedClock`. */
class LineProgress implements ProgressReporter {
  readonly #stream: OutputStream;
  readonly #redact: Redact;
  readonly #clock: ElapsedClock;
  readonly #phase = new PhaseTracker();

  constructor(stream: OutputStream, redact: Redact, now: () => number) {
    this.#stream = stream;
    this.#redact = redact;
    this.#clock = new ElapsedClock(now);
  }

  start(run: RunStart): void {
    this.#clock.restart();
    this.#phase.start(run);
    this.#stream.write(`${describeStart(run)}\n`);
  }

  event(event: RunEvent): void {
    this.#line(describeEvent(event, this.#redact, this.#phase.next(event)));
  }

  interrupt(text: string): void {
    this.#line(text);
  }

  finish(result: RuntimeResult): void {
    const elapsedMs = this.#clock.elapsedMs();
    this.#stream.write(`${stamp(elapsedMs)} ${describeOutcome(result, elapsedMs, this.#redact)}\n`);
  }

  #line(text: string): void {
    this.#stream.write(`${stamp(this.#clock.elapsedMs())} ${text}\n`);
  }
}

function stamp(elapsedMs: number): string {
  return `[${formatDuration(elapsedMs).padStart(7)}]`;
}

/**
 * One JSON object per line: `{"time":..., "invocationId":..., "type":"poll", "elapsedMs":..., ...}`.
 * Runner events keep their fields, except `accepted`, whose checkpoint is a
 * secret of the caller's: it gives `runId`, the `lookup` that found the run
 * and the redacted `pollUrl` instead. `elapsedMs` is the command's, on the
 * one clock of `ElapsedClock` for every object.
 * The command adds `start`, `interrupt` and `result` objects.
 */
class JsonProgress implements ProgressReporter {
  readonly #stream: OutputStream;
  readonly #redact: Redact;
  readonly #now: () => number;
  readonly #clock: ElapsedClock;
  #invocationId = "unknown";

  constructor(stream: OutputStream, redact: Redact, now: () => number) {
    this.#stream = stream;
    this.#redact = redact;
    this.#now = now;
    this.#clock = new ElapsedClock(now);
  }

  start(run: RunStart): void {
    this.#clock.restart();
    this.#invocationId = run.invocationId;
    const { invocationId: _, target, ...rest } = run;
    this.#write({ type: "start", elapsedMs: this.#clock.elapsedMs(), ...rest, ...(target === undefined ? {} : { target }) });
  }

  event(event: RunEvent): void {
    const elapsedMs = this.#clock.elapsedMs();
    if (event.type === "accepted") {
      const { checkpoint } = event;
      const lookup = checkpoint.lookup === undefined ? {} : { lookup: this.#redact(checkpoint.lookup) };
      this.#write({ type: "accepted", elapsedMs, runId: checkpoint.runId, ...lookup, pollUrl: this.#redact(checkpoint.pollUrl) });
    } else if (event.type === "retry" || event.type === "cancel") {
      this.#write(event.error === undefined ? { ...event, elapsedMs } : { ...event, elapsedMs, error: this.#redact(event.error) });
    } else {
      this.#write({ ...event, elapsedMs });
    }
  }

  interrupt(text: string): void {
    this.#write({ type: "interrupt", elapsedMs: this.#clock.elapsedMs(), message: text });
  }

  /**
   * The `result` object: the result's status, `failure_kind` (`failureKind`),
   * `http.backend_job` (`backendJob`), `exit_code` (`exitCode`) and
   * `error_summary` (`errorSummary`), null where the result has none, and the
   * command's own exit code (`commandExitCode`), which goes by the status (a
   * failed subprocess exits 1 whatever its own code) or is 130 after an interrupt.
   */
  finish(result: RuntimeResult, exitCode: number): void {
    const metadata = result.metadata;
    this.#invocationId = result.invocation_id;
    this.#write({
      type: "result",
      elapsedMs: this.#clock.elapsedMs(),
      status: result.status,
      failureKind: metadata[FAILURE_KIND_KEY] ?? null,
      backendJob: metadata[BACKEND_JOB_KEY] ?? null,
      exitCode: result.exit_code,
      commandExitCode: exitCode,
      errorSummary: result.error_summary,
    });
  }

  #write(fields: Record<string, unknown>): void {
    const line = { time: new Date(this.#now()).toISOString(), invocationId: this.#invocationId, ...fields };
    this.#stream.write(`${JSON.stringify(line)}\n`);
  }
}
