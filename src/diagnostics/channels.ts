import diagnosticsChannel from "node:diagnostics_channel";
import type { RuntimeResult } from "../contracts/result.js";
import type { RunEvent } from "../runners/runner.js";
import type { TransportFailure } from "../http/transport/transport-error.js";

/**
 * The `node:diagnostics_channel` channels the library publishes, in the style
 * of undici's: tracers and APMs subscribe to them (`executor-runtime/otel`
 * turns them into OpenTelemetry spans and metrics). Nothing is built or
 * published while a channel has no subscriber.
 */

/** What a request is for. */
export type RequestPhase = "kickoff" | "lookup" | "poll" | "final" | "cancel" | "request";

/**
 * The message of one run on `tracing:executor-runtime:run:*` (a
 * TracingChannel: `start` when `ExecutorRuntime.run` is called, `asyncEnd`
 * when its result is known). Its identity fields are read from the input,
 * `"unknown"` where they cannot be.
 */
export interface RunMessage {
  readonly invocationId: string;
  readonly runtimeName: string;
  readonly runtimeKind: string;
  /** Whether the run resumes from a checkpoint instead of starting the job. */
  readonly resumed: boolean;
  /** `RunOptions.traceContext`: the W3C trace context of whoever started the job, for a tracer to continue. */
  readonly traceContext: Readonly<Record<string, string>> | undefined;
  /**
   * Set by a subscriber in `start`: the run is carried out inside
   * `bind(body)`, so a tracer can make its own context active while the
   * run's requests are sent (an OpenTelemetry `context.with`).
   */
  bind?: <T>(body: () => T) => T;
  /** Set by a subscriber in `start`: receives every event of the run, as `RunOptions.onEvent` does. */
  onEvent?: (event: RunEvent) => void;
  /** The run's result, set by the channel before `asyncEnd`. */
  result?: RuntimeResult;
}

/** Why a request got no answer. */
export interface RequestFailure {
  readonly kind: TransportFailure;
  readonly message: string;
}

/**
 * The message of one HTTP request on `tracing:executor-runtime:request:*`:
 * `start` right before it is sent, `asyncEnd` once it is answered (with
 * `statusCode`), `error` then `asyncEnd` when it got no answer (with
 * `error`). The URL is redacted as summaries are; the request's headers are
 * never shown.
 */
export interface RequestMessage {
  readonly invocationId: string;
  readonly phase: RequestPhase;
  readonly method: string;
  readonly url: string;
  /** For polls: the poll's number (`http.polls`); for kickoffs: the attempt. */
  readonly attempt: number | undefined;
  /** Adds a header to the request (a `traceparent`, say), during `start` only; a header the run sets itself is kept. */
  addHeader(name: string, value: string): void;
  statusCode?: number;
  error?: RequestFailure;
}

/**
 * The message of `executor-runtime:enqueue` (a plain channel), published
 * when `executor-runtime/bullmq` enqueues an invocation: a subscriber writes
 * the current trace context into `traceContext` (a W3C carrier), which the
 * job keeps and its worker passes to the run as `RunOptions.traceContext`.
 */
export interface EnqueueMessage {
  readonly invocationId: string;
  readonly traceContext: Record<string, string>;
}

/** The library's channels, created once. */
export const channels = {
  run: diagnosticsChannel.tracingChannel<object, RunMessage>("executor-runtime:run"),
  request: diagnosticsChannel.tracingChannel<object, RequestMessage>("executor-runtime:request"),
  enqueue: diagnosticsChannel.channel("executor-runtime:enqueue"),
};
