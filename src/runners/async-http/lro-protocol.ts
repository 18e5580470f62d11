import type { HttpRequestConfig, LroProtocolConfig } from "../../http/metadata/config.js";
import { NOT_JSON, type Answer } from "./answer.js";
import { resolveHeaderUrl } from "./status-url.js";
import {
  PENDING,
  classifyErrorCode,
  isSuccessCode,
  type KickoffVerdict,
  type LroMode,
  type PollVerdict,
  type TerminalOutcome,
} from "./verdict.js";

/**
 * The protocol `lro`: the long-running-operation conventions that the Azure
 * REST API guidelines, ARM's asynchronous operations and plain RFC 9110
 * `202 Accepted` APIs share. Pure functions of one answer and what the run
 * knows (its method, its request URL, the monitor's mode).
 */

/** The status monitor headers, in the order they win, with the mode each one starts. */
const MONITOR_HEADERS = [
  ["operation-location", "operation-location"],
  ["azure-asyncoperation", "azure-async-operation"],
  ["location", "location"],
] as const;

/** The header that moves the status URL of each mode on a poll answer; body polling never moves. */
const MOVING_HEADER: Readonly<Record<LroMode, string | undefined>> = {
  "operation-location": "operation-location",
  "azure-async-operation": "azure-asyncoperation",
  location: "location",
  body: undefined,
};

/** Methods whose kickoff answer describes the resource at the request URL, which can be polled itself. */
function pollsItself(method: string): boolean {
  return method === "PUT" || method === "PATCH";
}

/** The settings this protocol reads. */
export type LroSettings = Pick<HttpRequestConfig, "method" | "url"> & Pick<LroProtocolConfig, "finalStateVia">;

/**
 * What the kickoff's answer means: a 200 whose body carries a terminal
 * `provisioningState` is the final answer, whatever monitor headers it also
 * carries (the SDKs take it so); a monitor header starts polling it (with
 * the URL of the result to read once an operation monitor reports success);
 * a PUT or PATCH with a non-terminal `provisioningState` (or a 201, or a 202)
 * polls the request URL; anything else 2xx is the final answer, except a 202
 * with nothing to poll. A 200 or 201 whose body says it is JSON and is not
 * fails the run; a 202's body is not read.
 */
export function classifyLroKickoff(settings: LroSettings, answer: Answer): KickoffVerdict {
  const { method, url: requestUrl } = settings;
  const code = answer.code;
  if (!isSuccessCode(code)) return classifyErrorCode(code);
  if ((code === 200 || code === 201) && unreadableJson(answer)) return { kind: "malformed", problem: `kickoff answered HTTP ${code} with a body that is not JSON`, showBody: true };
  if (code === 200) {
    const state = provisioningState(answer.json);
    const outcome = state === undefined ? undefined : outcomeOf(state);
    if (state !== undefined && outcome !== undefined) return { kind: "terminal", status: state, outcome, detail: errorDetail(answer.json) };
  }
  for (const [header, mode] of MONITOR_HEADERS) {
    const value = answer.header(header);
    if (value === undefined) continue;
    const url = resolveHeaderUrl(value, answer.response.url);
    if (typeof url === "string") return { kind: "malformed", problem: `kickoff answered with ${url}` };
    const status = provisioningState(answer.json);
    if (!isOperationMonitor(mode)) return { kind: "accepted", status, monitor: { url: url.href, mode } };
    const location = answer.header("location");
    const resolved = location === undefined ? undefined : resolveHeaderUrl(location, answer.response.url);
    const resultUrl = finalUrlOf(settings, method, requestUrl, resolved instanceof URL ? resolved : undefined);
    return { kind: "accepted", status, monitor: { url: url.href, mode, resultUrl: resultUrl?.href } };
  }
  const state = provisioningState(answer.json);
  const outcome = state === undefined ? undefined : outcomeOf(state);
  if (state !== undefined && outcome !== undefined) return { kind: "terminal", status: state, outcome, detail: errorDetail(answer.json) };
  const unfinished = state !== undefined || code === 201 || code === 202;
  if (unfinished && pollsItself(method)) return { kind: "accepted", status: state, monitor: { url: requestUrl.href, mode: "body" } };
  if (state !== undefined) {
    return { kind: "malformed", problem: `kickoff answered HTTP ${code} with provisioningState '${state}' and ${NO_MONITOR}` };
  }
  if (code === 202) return { kind: "malformed", problem: `kickoff answered HTTP 202 with ${NO_MONITOR}` };
  return { kind: "terminal", status: String(code), outcome: "succeeded" };
}

const NO_MONITOR = "no Operation-Location, Azure-AsyncOperation or Location header: nothing to poll";

/** What a poll's answer means in the monitor's `mode`. */
export function classifyLroPoll(mode: LroMode, answer: Answer, pendingCodes: ReadonlySet<number>): PollVerdict {
  const code = answer.code;
  if (pendingCodes.has(code)) return PENDING;
  if (!isSuccessCode(code)) return classifyErrorCode(code);
  const movingHeader = MOVING_HEADER[mode];
  const moved = movingHeader === undefined ? undefined : answer.header(movingHeader);
  if (code === 202 && (mode === "location" || mode === "body")) return progress(String(code), moved, answer);
  if (mode === "location" && answer.response.body.trim() === "") return { kind: "terminal", status: String(code), outcome: "succeeded" };
  const json = answer.json;
  if (json === NOT_JSON) return { kind: "malformed", problem: "is not JSON" };
  let status: unknown;
  if (mode === "operation-location" || mode === "azure-async-operation") {
    status = (json as { status?: unknown } | null)?.status;
    if (status === undefined || status === null) return { kind: "malformed", problem: "has no 'status' (an operation-status document must carry one)" };
    if (typeof status !== "string") return { kind: "malformed", problem: "has a 'status' that is not a string" };
  } else {
    // The resource itself: its status, where it carries one; without one, the operation is done.
    status = mode === "location" ? (stringAt(json, "status") ?? provisioningState(json)) : provisioningState(json);
    if (typeof status !== "string") return { kind: "terminal", status: String(code), outcome: "succeeded" };
  }
  const outcome = outcomeOf(status);
  if (outcome !== undefined) return { kind: "terminal", status, outcome, detail: errorDetail(json) };
  return progress(status, moved, answer);
}

/**
 * What the answer to the final read of a succeeded operation's result means:
 * a 2xx is the result (terminal, with the operation's own `status`); a
 * pending code, the read again; 5xx and 429 are transient; any other code fails the run.
 */
export function classifyLroFinal(answer: Answer, status: string, pendingCodes: ReadonlySet<number>): PollVerdict {
  const code = answer.code;
  if (pendingCodes.has(code)) return PENDING;
  if (!isSuccessCode(code)) return classifyErrorCode(code);
  if (unreadableJson(answer)) return { kind: "malformed", problem: "is not JSON" };
  return { kind: "terminal", status, outcome: "succeeded" };
}

/** Whether a body says it is JSON (its Content-Type) and does not parse. */
function unreadableJson(answer: Answer): boolean {
  const type = answer.header("content-type");
  return type !== undefined && /\bjson\b/i.test(type) && answer.response.body.trim() !== "" && answer.json === NOT_JSON;
}

/** Where the final result is read once the operation succeeded through an operation monitor; undefined: the monitor's own last document. */
function finalUrlOf(
  config: Pick<LroProtocolConfig, "finalStateVia">,
  method: string,
  requestUrl: URL,
  kickoffLocation: URL | undefined,
): URL | undefined {
  switch (config.finalStateVia) {
    case "original-uri":
      return requestUrl;
    case "location":
      return kickoffLocation;
    case "operation-location":
    case "azure-async-operation":
      return undefined;
    case undefined:
      // A deleted resource has nothing to read: the monitor's last document is the result.
      if (method === "DELETE") return undefined;
      return pollsItself(method) ? requestUrl : kickoffLocation;
  }
}

/** Whether a mode reads an operation-status document (and so ends with a final GET). */
function isOperationMonitor(mode: LroMode): boolean {
  return mode === "operation-location" || mode === "azure-async-operation";
}

function progress(status: string, moved: string | undefined, answer: Answer): PollVerdict {
  const to = moved === undefined ? undefined : resolveHeaderUrl(moved, answer.response.url);
  return to instanceof URL ? { kind: "progress", status, moveTo: to.href } : { kind: "progress", status };
}

/** The convention's terminal words, matched case-insensitively; any other word is progress. */
function outcomeOf(status: string): TerminalOutcome | undefined {
  switch (status.toLowerCase()) {
    case "succeeded":
      return "succeeded";
    case "failed":
      return "failed";
    case "canceled":
    case "cancelled":
      return "cancelled";
    default:
      return undefined;
  }
}

/** `properties.provisioningState`, else a top-level `provisioningState`: a resource's own status. */
function provisioningState(json: unknown): string | undefined {
  if (json === NOT_JSON) return undefined;
  const properties = (json as { properties?: unknown } | null)?.properties;
  return stringAt(properties, "provisioningState") ?? stringAt(json, "provisioningState");
}

/** `error.code: error.message` of a failed operation's document, when it has them. */
function errorDetail(json: unknown): string | undefined {
  if (json === NOT_JSON) return undefined;
  const error = (json as { error?: unknown } | null)?.error;
  const parts = [stringAt(error, "code"), stringAt(error, "message")].filter((part) => part !== undefined);
  return parts.length === 0 ? undefined : parts.join(": ");
}

/** An own string property of an object, or undefined. */
function stringAt(value: unknown, key: string): string | undefined {
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
  const found = (value as Record<string, unknown>)[key];
  return typeof found === "string" ? found : undefined;
}
