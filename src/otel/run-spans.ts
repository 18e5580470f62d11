import {
  SpanKind,
  SpanStatusCode,
  context,
  isSpanContextValid,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from "@opentelemetry/api";
import type { TracingChannelSubscribers } from "node:diagnostics_channel";
import type { RuntimeResult } from "../contracts/result.js";
import type { RunMessage } from "../diagnostics/channels.js";
import type { RunEvent } from "../runners/runner.js";
import { anchoredClock, setRunClock, type Clock } from "./clock.js";
import type { RunInstruments } from "./metrics.js";
import { EVENT_ATTRIBUTES, RUN_ATTRIBUTES, RUN_EVENTS } from "./names.js";
import { guarded, type Telemetry } from "./telemetry.js";
import { RESULT_KEYS } from "../http/result-keys.js";

/** One run being traced: its span, and the instruments its metric points go to. */
interface TracedRun {
  readonly span: Span;
  readonly clock: Clock;
  readonly instruments: RunInstruments;
  readonly metricAttributes: Attributes;
  readonly startedAtMs: number;
}

/**
 * The handlers of `tracing:executor-runtime:run:*`: a span per run, made the
 * active context of the run's body, with an event per wait, pending answer,
 * retry and cancel request, and the run metrics.
 */
export function runHandlers(telemetry: Telemetry): Partial<TracingChannelSubscribers<RunMessage>> {
  const runs = new WeakMap<RunMessage, TracedRun>();
  return {
    start: guarded(telemetry.diag, "run start", (message: RunMessage) => {
      const { parent, links } = parentOf(message);
      const instruments = telemetry.instruments();
      const clock = anchoredClock();
      const startedAtMs = clock();
      const span = telemetry.tracer().startSpan(
        `executor.run ${message.runtimeKind}`,
        { kind: SpanKind.INTERNAL, attributes: startAttributes(message), links, startTime: startedAtMs },
        parent,
      );
      const run: TracedRun = {
        span,
        clock,
        instruments,
        metricAttributes: { [RUN_ATTRIBUTES.runtimeKind]: message.runtimeKind, [RUN_ATTRIBUTES.runtimeName]: message.runtimeName },
        startedAtMs,
      };
      runs.set(message, run);
      setRunClock(span, clock);
      run.instruments.activeRuns.add(1, run.metricAttributes);
      const active = trace.setSpan(parent, span);
      message.bind = (body) => context.with(active, body);
      message.onEvent = guarded(telemetry.diag, "run event", (event: RunEvent) => recordEvent(run, event));
    }),
    asyncEnd: guarded(telemetry.diag, "run end", (message: RunMessage) => {
      const run = runs.get(message);
      if (run === undefined) return;
      runs.delete(message);
      finish(run, message.result, (message as { error?: unknown }).error);
    }),
  };
}

/**
 * The run's parent: the context the caller's trace context names when the
 * run carries one (a job run by a queue worker continues the trace of the
 * code that enqueued it), else the active context. A resumed run also links
 * to it, so the trace shows that a second worker took the run over.
 */
function parentOf(message: RunMessage): { parent: Context; links: Link[] } {
  const active = context.active();
  if (message.traceContext === undefined) return { parent: active, links: [] };
  const extracted = propagation.extract(active, message.traceContext);
  const remote = trace.getSpanContext(extracted);
  if (remote === undefined || !isSpanContextValid(remote)) return { parent: active, links: [] };
  return { parent: extracted, links: message.resumed ? [{ context: remote }] : [] };
}

function startAttributes(message: RunMessage): Attributes {
  return {
    [RUN_ATTRIBUTES.invocationId]: message.invocationId,
    [RUN_ATTRIBUTES.runtimeName]: message.runtimeName,
    [RUN_ATTRIBUTES.runtimeKind]: message.runtimeKind,
    [RUN_ATTRIBUTES.resumed]: message.resumed,
  };
}

function recordEvent(run: TracedRun, event: RunEvent): void {
  switch (event.type) {
    case "poll":
      run.instruments.polls.add(1, run.metricAttributes);
      return;
    case "wait":
      run.instruments.waits.add(1, { ...run.metricAttributes, [EVENT_ATTRIBUTES.source]: event.source });
      run.span.addEvent(RUN_EVENTS.wait, { [EVENT_ATTRIBUTES.delayMs]: event.delayMs, [EVENT_ATTRIBUTES.source]: event.source }, run.clock());
      return;
    case "pending":
      run.span.addEvent(RUN_EVENTS.pending, { [EVENT_ATTRIBUTES.attempt]: event.attempt, [EVENT_ATTRIBUTES.statusCode]: event.httpStatus }, run.clock());
      return;
    case "retry":
      run.span.addEvent(RUN_EVENTS.retry, { [EVENT_ATTRIBUTES.attempt]: event.attempt, [EVENT_ATTRIBUTES.retryError]: event.error }, run.clock());
      return;
    case "cancel":
      run.span.addEvent(
        RUN_EVENTS.cancel,
        event.httpStatus === undefined ? { [EVENT_ATTRIBUTES.cancelError]: event.error ?? "" } : { [EVENT_ATTRIBUTES.statusCode]: event.httpStatus },
        run.clock(),
      );
      return;
    default:
      // kickoff, accepted and terminal show in the request spans and the result attributes.
      return;
  }
}

/** Ends the run's span with the result's attributes and status, and records the run metrics. */
function finish(run: TracedRun, result: RuntimeResult | undefined, error: unknown): void {
  const { span, instruments, metricAttributes } = run;
  // `run()` never rejects; a result is missing only if a runner broke that promise.
  const outcome = result?.status ?? "failed";
  span.setAttributes(resultAttributes(result, outcome));
  // A succeeded run's status stays unset, as the conventions ask of instrumentation libraries.
  if (outcome !== "succeeded") {
    const message = result?.error_summary ?? (error instanceof Error ? error.message : `the run ended ${outcome}`);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  }
  const endedAtMs = run.clock();
  span.end(endedAtMs);
  const seconds = (endedAtMs - run.startedAtMs) / 1000;
  const byOutcome = { ...metricAttributes, [RUN_ATTRIBUTES.outcome]: outcome };
  instruments.runs.add(1, byOutcome);
  instruments.runDuration.record(seconds, byOutcome);
  instruments.activeRuns.add(-1, metricAttributes);
}

/** The result's attributes; every value the runner wrote in metadata is already redacted. */
function resultAttributes(result: RuntimeResult | undefined, outcome: string): Attributes {
  const attributes: Attributes = { [RUN_ATTRIBUTES.outcome]: outcome };
  if (outcome !== "succeeded") attributes[RUN_ATTRIBUTES.errorType] = outcome;
  if (result === undefined) return attributes;
  const metadata = result.metadata;
  setNumber(attributes, RUN_ATTRIBUTES.polls, metadata[RESULT_KEYS.polls]);
  setString(attributes, RUN_ATTRIBUTES.backendRunId, metadata[RESULT_KEYS.runId]);
  setString(attributes, RUN_ATTRIBUTES.backendStatus, metadata[RESULT_KEYS.lastStatus]);
  setString(attributes, RUN_ATTRIBUTES.pollMode, metadata[RESULT_KEYS.pollMode]);
  setNumber(attributes, RUN_ATTRIBUTES.httpStatusCode, metadata[RESULT_KEYS.statusCode]);
  if (result.exit_code !== null) attributes[RUN_ATTRIBUTES.exitCode] = result.exit_code;
  return attributes;
}

function setString(attributes: Attributes, name: string, value: string | undefined): void {
  if (value !== undefined) attributes[name] = value;
}

function setNumber(attributes: Attributes, name: string, value: string | undefined): void {
  const number = value === undefined ? NaN : Number(value);
  if (Number.isInteger(number)) attributes[name] = number;
}
