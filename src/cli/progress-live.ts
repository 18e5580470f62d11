import type { RuntimeResult } from "../contracts/result.js";
import type { RunEvent } from "../runners/runner.js";
import { ElapsedClock } from "./elapsed-clock.js";
import type { OutputStream } from "./io.js";
import type { ProgressReporter } from "./progress-reporter.js";
import { PhaseTracker, REQUEST_NAMES, describeOutcome, describeStart, formatDuration, isHttpCodeStatus, type Redact, type RunPhase, type RunStart } from "./progress-text.js";

/** Starts calling `tick` every `ms` milliseconds; returns the function that stops it. */
export type Schedule = (tick: () => void, ms: number) => () => void;

/** Options of the live status line. */
export interface LiveProgressOptions {
  readonly redact: Redact;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Drives the spinner. @default an unref'd setInterval */
  readonly schedule?: Schedule;
  /** Color the outcome line. @default false */
  readonly color?: boolean;
}

/** Milliseconds between spinner frames; also the shortest time between two redraws. */
export const REDRAW_MS = 80;

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** The live line's phase while a request of each phase is out. */
const ACTIVE = { poll: "polling", lookup: "looking up the run", kickoff: "kickoff" } as const satisfies Record<RunPhase, string>;
const CLEAR_LINE = "\r\x1b[2K";
const COLORS = { green: "\x1b[32m", red: "\x1b[31m", yellow: "\x1b[33m", reset: "\x1b[39m" };

const intervalSchedule: Schedule = (tick, ms) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * One status line on a terminal, redrawn in place (`\r` + clear line):
 * spinner, phase, poll count, last status or HTTP code, elapsed time. It ends
 * with a one-line outcome. Redraws are throttled to one per `REDRAW_MS`.
 */
export class LiveProgress implements ProgressReporter {
  readonly #stream: OutputStream;
  readonly #redact: Redact;
  readonly #now: () => number;
  readonly #schedule: Schedule;
  readonly #color: boolean;
  readonly #clock: ElapsedClock;
  #stopTicking: (() => void) | undefined;
  #frame = 0;
  #lastDrawMs = -Infinity;
  #drawn = false;
  #phase = "starting";
  #waitEndsAtMs: number | undefined;
  #polls = 0;
  #lastAnswer: string | undefined;
  readonly #runPhase = new PhaseTracker();
  /** What the current wait is for. */
  #next: RunPhase = "poll";

  constructor(stream: OutputStream, options: LiveProgressOptions) {
    this.#stream = stream;
    this.#redact = options.redact;
    this.#now = options.now ?? Date.now;
    this.#schedule = options.schedule ?? intervalSchedule;
    this.#color = options.color ?? false;
    this.#clock = new ElapsedClock(this.#now);
  }

  start(run: RunStart): void {
    this.#clock.restart();
    this.#runPhase.start(run);
    this.#stream.write(`${describeStart(run)}\n`);
    this.#phase = run.runtimeKind === "http_async" ? "kickoff" : run.runtimeKind === "subprocess" ? "running" : "request";
    this.#stopTicking = this.#schedule(() => {
      this.#frame = (this.#frame + 1) % SPINNER.length;
      this.#draw();
    }, REDRAW_MS);
    this.#draw();
  }

  event(event: RunEvent): void {
    this.#waitEndsAtMs = undefined;
    const context = this.#runPhase.next(event);
    switch (event.type) {
      case "kickoff":
        this.#lastAnswer = `HTTP ${event.httpStatus}`;
        if (context.next === "lookup") this.#phase = ACTIVE.lookup;
        break;
      case "accepted":
        this.#phase = "accepted";
        break;
      case "wait":
        this.#phase = event.source === "retry-after" ? "waiting (Retry-After)" : "waiting";
        this.#next = context.next;
        this.#waitEndsAtMs = this.#now() + event.delayMs;
        break;
      case "poll":
        this.#phase = "polling";
        this.#polls = event.attempt;
        this.#lastAnswer = event.status === undefined || isHttpCodeStatus(event.status, event.httpStatus) ? `HTTP ${event.httpStatus}` : event.status;
        break;
      case "pending":
        this.#lastAnswer = `HTTP ${event.httpStatus} (pending)`;
        break;
      case "retry":
        this.#lastAnswer = `${this.#lastAnswer ?? "error"} (retrying)`;
        break;
      case "terminal":
        this.#phase = "finishing";
        this.#lastAnswer = isHttpCodeStatus(event.status, context.httpStatus) ? `HTTP ${event.status}` : event.status;
        break;
      case "cancel":
        this.#phase = event.httpStatus === undefined ? "cancel request failed" : `cancel request answered HTTP ${event.httpStatus}`;
        break;
    }
    if (this.#now() - this.#lastDrawMs >= REDRAW_MS) this.#draw();
  }

  interrupt(text: string): void {
    if (this.#drawn) this.#stream.write(CLEAR_LINE);
    this.#stream.write(`${text}\n`);
    this.#phase = "cancelling";
    this.#waitEndsAtMs = undefined;
    this.#draw();
  }

  finish(result: RuntimeResult): void {
    this.#stopTicking?.();
    this.#stopTicking = undefined;
    const outcome = describeOutcome(result, this.#clock.elapsedMs(), this.#redact);
    this.#stream.write(`${this.#drawn ? CLEAR_LINE : ""}${this.#mark(result.status)} ${outcome}\n`);
    this.#drawn = false;
  }

  /** The status line as it reads now, without control characters. */
  line(): string {
    const now = this.#now();
    let phase = this.#phase;
    if (this.#waitEndsAtMs !== undefined) {
      const leftMs = this.#waitEndsAtMs - now;
      phase = leftMs > 0 ? `${phase}: next ${REQUEST_NAMES[this.#next]} in ${formatDuration(leftMs)}` : ACTIVE[this.#next];
    }
    const parts = [`${SPINNER[this.#frame]} ${phase}`];
    if (this.#polls > 0) parts.push(`poll ${this.#polls}`);
    if (this.#lastAnswer !== undefined) parts.push(this.#lastAnswer);
    parts.push(formatDuration(this.#clock.elapsedMs()));
    return parts.join(" · ");
  }

  #draw(): void {
    if (this.#stopTicking === undefined) return;
    this.#lastDrawMs = this.#now();
    let text = this.line();
    // A line longer than the terminal wraps, and `\r` then redraws only its last row.
    const width = this.#stream.columns;
    if (width !== undefined && width > 1 && text.length > width - 1) text = `${text.slice(0, width - 2)}…`;
    this.#stream.write(`${CLEAR_LINE}${text}`);
    this.#drawn = true;
  }

  #mark(status: RuntimeResult["status"]): string {
    const [symbol, color] = status === "succeeded" ? ["✔", COLORS.green] : status === "timed_out" || status === "cancelled" ? ["✖", COLORS.yellow] : ["✖", COLORS.red];
    return this.#color ? `${color}${symbol}${COLORS.reset}` : symbol;
  }
}
