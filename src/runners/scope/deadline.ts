import type { RuntimeInvocation } from "../../contracts/invocation.js";

/** A run's deadline from its invocation: `timeout_seconds` after the start, or none. */
export function invocationDeadline(invocation: RuntimeInvocation, startedAtMs: number): number | undefined {
  return invocation.timeout_seconds === null ? undefined : startedAtMs + invocation.timeout_seconds * 1000;
}
