import type { RuleContext } from "./cross-key.js";
import { DEFAULT_LRO_IDEMPOTENCY_KEY_HEADER, type AsyncKey, type AsyncMetadata } from "./keys.js";

const LRO_STATUS_URL = "the status URL comes from the kickoff's Operation-Location, Azure-AsyncOperation or Location header";
const LRO_STATES = "the states are Succeeded, Failed and Canceled";

/** The keys only protocol `status` reads, and why each has no place with protocol `lro`. */
const NOT_WITH_LRO = {
  "http.poll_url_template": LRO_STATUS_URL,
  "http.run_lookup_url": LRO_STATUS_URL,
  "http.run_lookup_path": LRO_STATUS_URL,
  "http.poll_outcome_path": LRO_STATES,
  "http.poll_status_path": "the status is read as the long-running-operation conventions say",
  "http.poll_terminal_states": LRO_STATES,
  "http.poll_success_states": LRO_STATES,
  "http.poll_cancelled_states": LRO_STATES,
  "http.poll_timed_out_states": LRO_STATES,
} as const satisfies Partial<Record<AsyncKey, string>>;

/**
 * The keys each protocol needs and refuses: `status` needs a status path and
 * terminal states, `lro` refuses them (a forgotten status path must never
 * quietly switch protocols) and `http.final_state_via` is `lro`'s alone.
 */
export function checkProtocol(metadata: AsyncMetadata, rule: RuleContext): void {
  if (!rule.valid("http.poll_protocol")) return;
  if (metadata["http.poll_protocol"] === "lro") {
    for (const [key, why] of Object.entries(NOT_WITH_LRO) as [keyof typeof NOT_WITH_LRO, string][]) {
      if (metadata[key] !== undefined) rule.report(key, `must not be set with http.poll_protocol lro: ${why}`);
    }
    return;
  }
  for (const key of ["http.poll_status_path", "http.poll_terminal_states"] as const) {
    if (rule.valid(key) && metadata[key] === undefined) rule.report(key, "is required");
  }
  if (metadata["http.final_state_via"] !== undefined) {
    rule.report("http.final_state_via", "is only read with http.poll_protocol lro");
  }
}

/** Methods that RFC 9110 defines as idempotent: sending them twice has the effect of sending them once. */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/**
 * Whether a kickoff may be sent again after a transient failure: its method
 * is idempotent, or the backend gets an idempotency key to drop the repeat.
 */
export function kickoffIsRepeatable(metadata: AsyncMetadata): boolean {
  return IDEMPOTENT_METHODS.has(metadata["http.method"]) || idempotencyKeyHeaderOf(metadata) !== undefined;
}

/** `http.idempotency_key_header`, or, with protocol `lro`, the repeatability header of the Azure guidelines. */
export function idempotencyKeyHeaderOf(metadata: AsyncMetadata): string | undefined {
  const header = metadata["http.idempotency_key_header"];
  return header ?? (metadata["http.poll_protocol"] === "lro" ? DEFAULT_LRO_IDEMPOTENCY_KEY_HEADER : undefined);
}

/** `http.kickoff_max_retries` above 0 only where sending the kickoff again is safe. */
export function checkKickoffRetries(metadata: AsyncMetadata, rule: RuleContext): void {
  const retries = metadata["http.kickoff_max_retries"];
  if (!rule.valid("http.kickoff_max_retries") || retries === undefined || retries === 0) return;
  if (!rule.valid("http.method") || !rule.valid("http.idempotency_key_header") || kickoffIsRepeatable(metadata)) return;
  const method = metadata["http.method"];
  rule.report(
    "http.kickoff_max_retries",
    `must be 0 for a ${method} kickoff without http.idempotency_key_header: the backend may already hold the job, so sending the kickoff again could run it twice (set http.idempotency_key_header if the backend drops a repeated key)`,
  );
}
