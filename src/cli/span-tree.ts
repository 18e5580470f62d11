/**
 * The span tree `executor-runtime run --otel` prints on stderr: one line per
 * span and per span event, children under their parent in the order they
 * started, each with its start as an offset from the start of its trace.
 */
import { EVENT_ATTRIBUTES, REQUEST_ATTRIBUTES, RUN_ATTRIBUTES, RUN_EVENTS } from "../otel/names.js";

/** An HrTime: seconds and nanoseconds. */
type Time = readonly [number, number];

/** What the tree reads of a finished span (an SDK `ReadableSpan` has it all). */
export interface TreeSpan {
  readonly name: string;
  spanContext(): { readonly traceId: string; readonly spanId: string };
  readonly parentSpanContext?: { readonly spanId: string } | undefined;
  readonly startTime: Time;
  readonly duration: Time;
  readonly attributes: Readonly<Record<string, unknown>>;
  /** `code` 2 is ERROR. */
  readonly status: { readonly code: number; readonly message?: string | undefined };
  readonly events: readonly { readonly name: string; readonly time: Time; readonly attributes?: Readonly<Record<string, unknown>> | undefined }[];
}

const ERROR = 2;

/** One line of the tree before it is indented: when it happened, and what. */
interface Entry {
  readonly atMs: number;
  readonly text: string;
  readonly children: readonly Entry[];
}

/** The lines of the span tree of every trace among `spans`, a `trace <id>` line before each. */
export function formatSpanTree(spans: readonly TreeSpan[]): string[] {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const children = new Map<string, TreeSpan[]>();
  const roots: TreeSpan[] = [];
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    if (parent === undefined || !ids.has(parent)) roots.push(span);
    else children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const lines: string[] = [];
  const traces = new Map<string, TreeSpan[]>();
  for (const root of roots) traces.set(root.spanContext().traceId, [...(traces.get(root.spanContext().traceId) ?? []), root]);
  for (const [traceId, traceRoots] of traces) {
    const originMs = Math.min(...traceRoots.map((span) => ms(span.startTime)));
    lines.push(`trace ${traceId}`);
    for (const root of byStart(traceRoots)) indent(entryOf(root, children, originMs), "", "", lines);
  }
  return lines;
}

function entryOf(span: TreeSpan, children: ReadonlyMap<string, TreeSpan[]>, originMs: number): Entry {
  const nested = [
    ...(children.get(span.spanContext().spanId) ?? []).map((child) => entryOf(child, children, originMs)),
    ...span.events.map((event) => ({ atMs: ms(event.time) - originMs, text: eventText(event.name, event.attributes ?? {}), children: [] })),
  ].sort((a, b) => a.atMs - b.atMs);
  return { atMs: ms(span.startTime) - originMs, text: spanText(span), children: nested };
}

function indent(entry: Entry, first: string, rest: string, lines: string[]): void {
  lines.push(`${first}+${(entry.atMs / 1000).toFixed(3)}s ${entry.text}`);
  entry.children.forEach((child, index) => {
    const last = index === entry.children.length - 1;
    indent(child, `${rest}${last ? "└─ " : "├─ "}`, `${rest}${last ? "   " : "│  "}`, lines);
  });
}

function spanText(span: TreeSpan): string {
  const attributes = span.attributes;
  const took = duration(span.duration);
  const error = span.status.code === ERROR ? span.status.message : undefined;
  const outcome = attributes[RUN_ATTRIBUTES.outcome];
  if (outcome !== undefined) {
    const details = [
      count(attributes[RUN_ATTRIBUTES.polls], "poll"),
      labelled("run id", attributes[RUN_ATTRIBUTES.backendRunId]),
      labelled("backend status", attributes[RUN_ATTRIBUTES.backendStatus]),
      labelled("HTTP", attributes[RUN_ATTRIBUTES.httpStatusCode]),
    ].filter((detail) => detail !== undefined);
    const about = details.length === 0 ? "" : ` (${details.join(", ")})`;
    return `${span.name} ${String(attributes[RUN_ATTRIBUTES.invocationId])}: ${String(outcome)} in ${took}${about}${error === undefined ? "" : `: ${error}`}`;
  }
  const phase = attributes[REQUEST_ATTRIBUTES.phase];
  if (phase !== undefined || attributes["url.full"] !== undefined) {
    const attempt = phase === "poll" ? attributes[REQUEST_ATTRIBUTES.attempt] : undefined;
    const what = [span.name, phase, attempt, attributes["url.full"]].filter((part) => part !== undefined).map(String).join(" ");
    const answer = attributes["http.response.status_code"] ?? attributes[RUN_ATTRIBUTES.errorType] ?? "no answer";
    return `${what} → ${String(answer)} (${took})${error === undefined ? "" : `: ${error}`}`;
  }
  return `${span.name} (${took})${error === undefined ? "" : `: ${error}`}`;
}

function eventText(name: string, attributes: Readonly<Record<string, unknown>>): string {
  const attempt = attributes[EVENT_ATTRIBUTES.attempt];
  const status = attributes["http.response.status_code"];
  switch (name) {
    case RUN_EVENTS.wait:
      return `wait ${String(attributes[EVENT_ATTRIBUTES.delayMs])} ms (${String(attributes[EVENT_ATTRIBUTES.source])})`;
    case RUN_EVENTS.pending:
      return `pending: poll ${String(attempt)} answered ${String(status)}`;
    case RUN_EVENTS.retry:
      return `retry after poll ${String(attempt)}: ${String(attributes[EVENT_ATTRIBUTES.retryError])}`;
    case RUN_EVENTS.cancel:
      return status === undefined ? `cancel request failed: ${String(attributes[EVENT_ATTRIBUTES.cancelError])}` : `cancel request answered ${String(status)}`;
    default:
      return name;
  }
}

function count(value: unknown, noun: string): string | undefined {
  return typeof value === "number" ? `${value} ${noun}${value === 1 ? "" : "s"}` : undefined;
}

function labelled(label: string, value: unknown): string | undefined {
  return value === undefined ? undefined : `${label} ${String(value)}`;
}

function byStart(spans: readonly TreeSpan[]): TreeSpan[] {
  return [...spans].sort((a, b) => ms(a.startTime) - ms(b.startTime));
}

function ms(time: Time): number {
  return time[0] * 1000 + time[1] / 1e6;
}

function duration(time: Time): string {
  const took = ms(time);
  return took < 1000 ? `${Math.round(took)} ms` : `${(took / 1000).toFixed(2)} s`;
}
