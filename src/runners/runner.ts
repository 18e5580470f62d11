import type { Checkpoint } from "../contracts/checkpoint.js";
import type { RuntimeInvocation } from "../contracts/invocation.js";
import type { RuntimeResult } from "../contracts/result.js";
import type { RuntimeStatus } from "../contracts/vocabulary.js";

export type { Checkpoint };

/** Runs invocations of one kind. `run` resolves to a result for every expected outcome. */
export interface Runner {
  run(invocation: RuntimeInvocation, options?: RunOptions): Promise<RuntimeResult>;
  /** Releases what the runner owns (connection pools). */
  close?(): Promise<void>;
}

/** Per-run options. */
export interface RunOptions {
  /** Aborting it ends the run `cancelled` at once (and sends the backend's cancel request, when one is configured). */
  readonly signal?: AbortSignal;
  /**
   * Aborting it ends the run `cancelled` at once like `signal`, but sends no
   * cancel request: for a run that another process has taken over (the
   * BullMQ worker aborts it when it loses a job's lock), whose backend job
   * must go on.
   */
  readonly abandon?: AbortSignal;
  /** Receives progress events; a listener that throws does not break the run. */
  readonly onEvent?: (event: RunEvent) => void;
  /** Continue an accepted asynchronous run instead of starting it again. */
  readonly resume?: Checkpoint;
  /**
   * Awaited right before the kickoff request is sent, once the run is sure to
   * send it (the metadata is valid and the run is not stopped); never called
   * when the run resumes from a checkpoint. Use it to record durably that a
   * kickoff may have reached the backend, so that a process that takes over
   * after a crash knows the job may already exist. When it rejects, the run
   * ends `failed` ("kickoff not sent: " and the error's message) and no kickoff is sent. Runners that send no kickoff (all but
   * `AsyncHttpRunner`) ignore it.
   * @example { beforeKickoff: () => store.markKickoffSent(jobId) }
   */
  readonly beforeKickoff?: () => Promise<void>;
  /**
   * Awaited once the backend has accepted the run, before the first poll:
   * store the checkpoint durably here, so that a process that takes over
   * resumes polling instead of kicking off again. When it rejects, the run
   * polls on and the error is kept in the result metadata
   * (`http.checkpoint_error`). Only `AsyncHttpRunner` calls it.
   * @example { saveCheckpoint: (checkpoint) => store.saveCheckpoint(jobId, checkpoint) }
   */
  readonly saveCheckpoint?: (checkpoint: Checkpoint) => Promise<void>;
  /**
   * The W3C trace context (`traceparent`, `tracestate`) of whoever started
   * this run, published with it on the `executor-runtime:run` channel so that
   * a tracer continues that trace (the BullMQ worker passes the one stored
   * with the job). Nothing reads it when nobody subscribes.
   * @example { traceContext: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" } }
   */
  readonly traceContext?: Readonly<Record<string, string>>;
}

interface EventBase {
  /** Milliseconds since the run started. */
  elapsedMs: number;
}

/** The kickoff request was answered. */
export interface KickoffEvent extends EventBase {
  readonly type: "kickoff";
  readonly httpStatus: number;
}

/** The backend accepted the run; the checkpoint lets another process resume it. */
export interface AcceptedEvent extends EventBase {
  readonly type: "accepted";
  readonly checkpoint: Checkpoint;
}

/** A poll request was answered (the terminal one too). */
export interface PollEvent extends EventBase {
  readonly type: "poll";
  readonly attempt: number;
  readonly httpStatus: number;
  readonly status?: string;
}

/** A poll was answered with one of `http.poll_pending_codes`. */
export interface PendingEvent extends EventBase {
  readonly type: "pending";
  readonly attempt: number;
  readonly httpStatus: number;
}

/** A poll failed transiently (network error, 5xx, 429) and will be retried. */
export interface RetryEvent extends EventBase {
  readonly type: "retry";
  readonly attempt: number;
  readonly error: string;
}

/** The runner is about to wait. */
export interface WaitEvent extends EventBase {
  readonly type: "wait";
  readonly delayMs: number;
  readonly source: "interval" | "retry-after";
}

/** The backend reported a terminal status. */
export interface TerminalEvent extends EventBase {
  readonly type: "terminal";
  readonly status: string;
  readonly outcome: RuntimeStatus;
}

/** The best-effort cancel request was answered, or failed. */
export interface CancelEvent extends EventBase {
  readonly type: "cancel";
  readonly httpStatus?: number;
  readonly error?: string;
}

/** Progress of a run, for progress output, logs and metrics. */
export type RunEvent =
  | KickoffEvent
  | AcceptedEvent
  | PollEvent
  | PendingEvent
  | RetryEvent
  | WaitEvent
  | TerminalEvent
  | CancelEvent;
