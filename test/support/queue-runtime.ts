import { setTimeout as delay } from "node:timers/promises";
import { asyncHttpMetadata } from "../../src/http/metadata/builders.js";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { ExecutorRuntime } from "../../src/runtime.js";
import type { RuntimeInvocationInput } from "../../src/contracts/invocation.js";
import type { AsyncHttpMetadataFields } from "../../src/index.js";

/**
 * A runtime whose AsyncHttpRunner waits at most `maxWaitMs` for real between
 * polls, so queue tests run fast while runs still take turns.
 */
export function quickRuntime(maxWaitMs = 5): ExecutorRuntime {
  const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    delay(Math.min(ms, maxWaitMs), undefined, signal === undefined ? {} : { signal });
  return new ExecutorRuntime().register("http_async", new AsyncHttpRunner({ sleep, connections: 16 }));
}

/** An http_async invocation of the job backend's API (test/support/job-backend.ts); `fields` adds to its metadata. */
export function jobInvocation(
  kickoffUrl: string,
  invocationId: string,
  idempotencyKey = false,
  fields: Partial<AsyncHttpMetadataFields> = {},
): RuntimeInvocationInput {
  return {
    invocation_id: invocationId,
    runtime_name: "job-backend",
    runtime_kind: "http_async",
    metadata: asyncHttpMetadata({
      url: kickoffUrl,
      pollStatusPath: "status",
      pollTerminalStates: ["succeeded", "failed"],
      pollSuccessStates: ["succeeded"],
      ...(idempotencyKey ? { idempotencyKeyHeader: "Idempotency-Key" } : {}),
      ...fields,
    }),
  };
}
