import type { RuleContext } from "./cross-key.js";
import { STATUS_PROTOCOL_KEYS, type AsyncMetadata } from "./keys.js";

/** Why each key of protocol `status` has no place with protocol `lro`. */
const NOT_WITH_LRO: Readonly<Record<(typeof STATUS_PROTOCOL_KEYS)[number], string>> = {
  "http.poll_url_template": "the status URL comes from the kickoff's Operation-Location, Azure-AsyncOperation or Location header",
  "http.run_lookup_url": "the status URL comes from the kickoff's Operation-Location, Azure-AsyncOperation or Location header",
  "http.run_lookup_path": "the status URL comes from the kickoff's Operation-Location, Azure-AsyncOperation or Location header",
  "http.poll_outcome_path": "the states are Succeeded, Failed and Canceled",
  "http.poll_status_path": "the status is read as the long-running-operation conventions say",
  "http.poll_terminal_states": "the states are Succeeded, Failed and Canceled",
  "http.poll_success_states": "the states are Succeeded, Failed and Canceled",
  "http.poll_cancelled_states": "the states are Succeeded, Failed and Canceled",
};

/**
 * The keys each protocol needs and refuses: `status` needs a status path and
 * terminal states, `lro` refuses them (a forgotten status path must never
 * quietly switch protocols) and `http.final_state_via` is `lro`'s alone.
 */
export function checkProtocol(metadata: AsyncMetadata, rule: RuleContext): void {
  if (!rule.valid("http.poll_protocol")) return;
  if (metadata["http.poll_protocol"] === "lro") {
    for (const key of STATUS_PROTOCOL_KEYS) {
      if (metadata[key] !== undefined) rule.report(key, `must not be set with http.poll_protocol lro: ${NOT_WITH_LRO[key]}`);
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
  return IDEMPOTENT_METHODS.has(metadata["http.method"]) || metadata["http.idempotency_key_header"] !== undefined;
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
