import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import type { Redact } from "../../http/redact.js";
import type { HttpClient, RequestHeaders } from "../http-client.js";
import type { RunReport } from "../run-report.js";
import type { RunScope } from "../scope/run-scope.js";
import type { Pacing } from "./pacing.js";
import { protocolOf, type Protocol } from "./protocol.js";

/** What every run of one configuration shares: its settings, headers, redactor and protocol, and the runner's client. */
export interface RunPlan {
  readonly config: AsyncHttpConfig;
  readonly headers: RequestHeaders;
  readonly redact: Redact;
  readonly protocol: Protocol;
  /** The runner's client: its options and its one send path. */
  readonly client: HttpClient<AsyncHttpConfig>;
}

/** The parts of a run of its own: its lifetime, its report and its pacing. */
export interface RunParts {
  readonly scope: RunScope;
  readonly report: RunReport;
  readonly pacing: Pacing;
}

/** The plan of `config` for runs through `client`. */
export function createPlan(config: AsyncHttpConfig, client: HttpClient<AsyncHttpConfig>): RunPlan {
  const { headers, redact } = client.shared(config);
  return { config, headers, redact, protocol: protocolOf(config), client };
}

/** The kickoff's headers: with `http.idempotency_key_header`, the invocation's id under that name. */
export function kickoffHeaders(plan: RunPlan, report: RunReport): Readonly<Record<string, string>> {
  const key = plan.config.idempotencyKeyHeader;
  const headers = plan.headers.withBody;
  return key === undefined ? headers : { ...headers, [key]: report.invocation_id };
}
