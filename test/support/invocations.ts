import { buildResult, type RuntimeInvocationInput, type RuntimeResult } from "../../src/index.js";
import type { RuntimeInvocation } from "../../src/contracts/invocation.js";

/** A minimal valid invocation of the manual kind; `overrides` replace or add fields. */
export function manualInvocation(overrides: Record<string, unknown> = {}): RuntimeInvocationInput {
  return { invocation_id: "inv-1", runtime_name: "test-runtime", runtime_kind: "manual", ...overrides } as RuntimeInvocationInput;
}

/** A result that echoes `invocation` and succeeded, at a fixed time. */
export function succeededResult(invocation: RuntimeInvocation, metadata: Record<string, string> = {}): RuntimeResult {
  return buildResult(invocation, { status: "succeeded" }, { finishedAtMs: Date.UTC(2026, 0, 1), exitCode: 0, metadata });
}
