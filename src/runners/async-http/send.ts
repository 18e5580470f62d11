import { untilAborted } from "../../http/timing.js";
import { deliverLater } from "../../http/transport/delivery.js";
import { TransportError, notSentError, toTransportError } from "../../http/transport/transport-error.js";
import type { StopSignal } from "../../http/transport/request-signal.js";
import type { Receiver, TransportResponse } from "../../http/transport/transport.js";
import type { RequestRef } from "../failure.js";
import type { RunReport } from "../run-report.js";
import type { Phase, SettlePhase } from "./phase.js";
import { headersFor, planHeaders, type RunPlan } from "./plan.js";

type ActivePhase = Exclude<Phase, SettlePhase>;

/** What a run does with the answer to a request it sent (or with why it got none). */
export type Answered<T> = (request: RequestRef, answer: TransportResponse | TransportError) => T | Promise<T>;

/**
 * Sends `request` of a run in `phase`, whose headers are the same for every
 * request (`plan.resolve` undefined), and hands its answer, or why there is
 * none, to `receiver` later (`deliverLater`): no promise and no frame
 * (PERFORMANCE.md, "Answers without promises"). Never throws.
 */
export function deliverRequest(plan: RunPlan, report: RunReport, signal: StopSignal | undefined, phase: ActivePhase, request: RequestRef, receiver: Receiver): void {
  let headers: Readonly<Record<string, string>>;
  try {
    headers = planHeaders(plan, report, request);
  } catch (error) {
    failLater(receiver, notSentError(error, signal));
    return;
  }
  try {
    plan.client.deliver({ method: request.method, url: request.url, headers, body: bodyOf(plan, phase), signal }, report, request.phase, request.attempt, receiver);
  } catch (error) {
    failLater(receiver, toTransportError(error, signal));
  }
}

/**
 * Sends the request of a run in `phase` that `next` names (and counts),
 * with its headers, and hands its answer to `answered`, whose value the
 * promise takes. Not an async function: a run's request costs no frame of
 * its own (PERFORMANCE.md, "No frame while waiting").
 */
export function sendRequest<T>(plan: RunPlan, report: RunReport, signal: StopSignal | undefined, phase: ActivePhase, next: () => RequestRef, answered: Answered<T>): Promise<T> {
  if (plan.resolve !== undefined) return sendResolved(plan, report, signal, phase, next, answered);
  const request = next();
  return new Promise<TransportResponse | TransportError>((resolve) => deliverRequest(plan, report, signal, phase, request, { answered: resolve })).then((answer) =>
    answered(request, answer),
  );
}

/** A request that was not sent: its failure goes to `receiver` as an answer would, later. */
function failLater(receiver: Receiver, error: TransportError): void {
  deliverLater({ deliver: () => receiver.answered(error) });
}

/**
 * `sendRequest` when the headers are built per request (a promise; every
 * value resolved is a secret of the run's). A 401 on a poll: the
 * credentials may have expired; resolved again, the poll is repeated once.
 */
async function sendResolved<T>(plan: RunPlan, report: RunReport, signal: StopSignal | undefined, phase: ActivePhase, next: () => RequestRef, answered: Answered<T>): Promise<T> {
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
  return answered(request, answer);
}

function bodyOf(plan: RunPlan, phase: ActivePhase): string | undefined {
  return phase.name === "kickoff" ? plan.config.body : undefined;
}
