import { untilAborted } from "../../http/timing.js";
import { TransportError, notSentError, toTransportError } from "../../http/transport/transport-error.js";
import type { StopSignal } from "../../http/transport/request-signal.js";
import type { TransportResponse } from "../../http/transport/transport.js";
import type { RequestRef } from "../failure.js";
import type { RunReport } from "../run-report.js";
import type { Phase, SettlePhase } from "./phase.js";
import { headersFor, planHeaders, type RunPlan } from "./plan.js";

type ActivePhase = Exclude<Phase, SettlePhase>;

/** A request a run sent, and its answer, or why it got none. */
export interface Sent {
  readonly request: RequestRef;
  readonly answer: TransportResponse | TransportError;
}

/**
 * Sends the request of a run in `phase` that `next` names (and counts),
 * with its headers. Not an async function: a run's request costs no frame
 * of its own (PERFORMANCE.md, "No frame while waiting").
 */
export function sendRequest(plan: RunPlan, report: RunReport, signal: StopSignal | undefined, phase: ActivePhase, next: () => RequestRef): Promise<Sent> {
  if (plan.resolve !== undefined) return sendResolved(plan, report, signal, phase, next);
  const request = next();
  let headers: Readonly<Record<string, string>>;
  try {
    headers = planHeaders(plan, report, request);
  } catch (error) {
    return Promise.resolve({ request, answer: notSentError(error, signal) });
  }
  let sent: Promise<TransportResponse>;
  try {
    sent = plan.client.send({ method: request.method, url: request.url, headers, body: bodyOf(plan, phase), signal }, report, request.phase, request.attempt);
  } catch (error) {
    return Promise.resolve({ request, answer: toTransportError(error, signal) });
  }
  return sent.then(
    (answer) => ({ request, answer }),
    (error: unknown) => ({ request, answer: toTransportError(error, signal) }),
  );
}

/**
 * `sendRequest` when the headers are built per request (a promise; every
 * value resolved is a secret of the run's). A 401 on a poll: the
 * credentials may have expired; resolved again, the poll is repeated once.
 */
async function sendResolved(plan: RunPlan, report: RunReport, signal: StopSignal | undefined, phase: ActivePhase, next: () => RequestRef): Promise<Sent> {
  const body = bodyOf(plan, phase);
  let request: RequestRef;
  let answer: TransportResponse | TransportError;
  for (let repeat = false; ; repeat = true) {
    request = next();
    let headers: Readonly<Record<string, string>>;
    try {
      const built = headersFor(plan, report, request, repeat);
      headers = built instanceof Promise ? await untilAborted(built, signal) : built;
    } catch (error) {
      answer = notSentError(error, signal);
      break;
    }
    try {
      answer = await plan.client.send({ method: request.method, url: request.url, headers, body, signal }, report, request.phase, request.attempt);
    } catch (error) {
      answer = toTransportError(error, signal);
    }
    if (repeat || phase.name !== "poll" || answer instanceof TransportError || answer.status !== 401) break;
    report.emit?.({ type: "poll", attempt: request.attempt, httpStatus: 401 });
    report.emit?.({ type: "retry", attempt: request.attempt, error: "HTTP 401: the credentials are resolved again" });
  }
  return { request, answer };
}

function bodyOf(plan: RunPlan, phase: ActivePhase): string | undefined {
  return phase.name === "kickoff" ? plan.config.body : undefined;
}
