import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import type { Redact } from "../../http/redact.js";
import type { RequestRef } from "../failure.js";
import type { HttpClient, RunSettings } from "../http-client.js";
import type { HeaderResolver, RequestHeaders } from "../request-headers.js";
import type { RunReport } from "../run-report.js";
import type { RunScope } from "../scope/run-scope.js";
import { protocolOf, protocolOfRun, type Protocol } from "./protocol.js";

/** What every run of one configuration shares: its settings, headers, redactor and protocol, and the runner's client. */
export interface RunPlan {
  readonly config: AsyncHttpConfig;
  /** The headers of every request, when they are the same for every request (`resolve` undefined). */
  readonly headers: RequestHeaders;
  /** Builds each request's headers when they change per request: the runner's headers function, or secrets. */
  readonly resolve: HeaderResolver | undefined;
  readonly redact: Redact;
  readonly protocol: Protocol;
  /** The runner's client: its options and its one send path. */
  readonly client: HttpClient<AsyncHttpConfig>;
}

/** The parts of a run of its own: its lifetime and its report. */
export interface RunParts {
  readonly scope: RunScope;
  readonly report: RunReport;
}

/** The plan of `config` for runs through `client`. */
export function createPlan(config: AsyncHttpConfig, client: HttpClient<AsyncHttpConfig>): RunPlan {
  const { headers, resolve, redact } = client.shared(config);
  return { config, headers, resolve, redact, protocol: protocolOf(config), client };
}

/**
 * The plan of one run whose settings (`settings.config`) are its own copy of its configuration's, with
 * `{invocation_id}` filled in: `plan`'s, the configuration's, with the run's settings, and only what they change
 * made anew (PERFORMANCE.md, "One plan per configuration").
 */
export function planOfRun(plan: RunPlan, settings: RunSettings<AsyncHttpConfig>): RunPlan {
  const { config, parsed, shared } = settings;
  return { config, headers: shared.headers, resolve: shared.resolve, redact: shared.redact, protocol: protocolOfRun(parsed, config), client: plan.client };
}

type Headers = Readonly<Record<string, string>>;

/**
 * The headers of the request `target` of a run: the plan's own, or, when they
 * change per request, built now (a promise; every value resolved is a secret
 * of the run's). The kickoff carries its body's content type and, with
 * `http.idempotency_key_header`, the invocation's id under that name.
 */
export function headersFor(plan: RunPlan, report: RunReport, target: RequestRef, refresh = false): Headers | Promise<Headers> {
  const kickoff = target.phase === "kickoff";
  const resolve = plan.resolve;
  if (resolve === undefined) return planHeaders(plan, report, target);
  const request = { method: target.method, url: new URL(target.url), phase: target.phase };
  return resolve(request, kickoff, (value) => report.learnSecret(value), refresh).then((headers) => withKey(plan, report, headers, kickoff));
}

/** The headers of the request `target` of a run whose headers are the same for every request (`plan.resolve` undefined). */
export function planHeaders(plan: RunPlan, report: RunReport, target: RequestRef): Headers {
  const kickoff = target.phase === "kickoff";
  return withKey(plan, report, kickoff ? plan.headers.withBody : plan.headers.plain, kickoff);
}

function withKey(plan: RunPlan, report: RunReport, headers: Headers, kickoff: boolean): Headers {
  const key = plan.config.idempotencyKeyHeader;
  return kickoff && key !== undefined ? { ...headers, [key]: report.invocation_id } : headers;
}
