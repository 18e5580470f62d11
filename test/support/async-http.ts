import { setupServer, type SetupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";
import { RuntimeInvocationSchema, type RuntimeInvocation } from "../../src/contracts/invocation.js";
import type { HttpRunnerOptions } from "../../src/http/runner-options.js";
import { AsyncHttpRunner } from "../../src/runners/async-http.js";
import type { RunEvent } from "../../src/runners/runner.js";
import type { FakeClock } from "./fake-clock.js";

/** The fake backend's origin. */
export const API = "https://api.test";

/** Metadata of a backend that answers 202 `{"id": ...}` and serves `/runs/{id}`. */
export const RUNS_METADATA: Readonly<Record<string, string>> = {
  "http.url": `${API}/runs`,
  "http.poll_url_template": `${API}/runs/{run_id}`,
  "http.poll_run_id_path": "id",
  "http.poll_status_path": "status",
  "http.poll_terminal_states": "completed,failed,cancelled",
};

/** An msw server for the file, failing on unscripted requests, reset after each test. */
export function useMswServer(): SetupServer {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
  return server;
}

/** A validated http_async invocation with `metadata` laid over RUNS_METADATA. */
export function asyncInvocation(
  metadata: Record<string, string | undefined> = {},
  fields: Record<string, unknown> = {},
): RuntimeInvocation {
  const merged: Record<string, string> = { ...RUNS_METADATA };
  for (const [key, value] of Object.entries(metadata)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return RuntimeInvocationSchema.parse({
    invocation_id: "inv-1",
    runtime_name: "backend",
    runtime_kind: "http_async",
    metadata: merged,
    ...fields,
  });
}

/** An AsyncHttpRunner on msw (through global fetch) and the fake clock. */
export function asyncRunner(clock: FakeClock, options: HttpRunnerOptions = {}): AsyncHttpRunner {
  return new AsyncHttpRunner({
    fetch: (input, init) => globalThis.fetch(input, init),
    sleep: clock.sleep,
    now: clock.now,
    ...options,
  });
}

/** Collects a run's events; `types()` lists their types in order. */
export function eventLog() {
  const events: RunEvent[] = [];
  return {
    events,
    onEvent: (event: RunEvent) => {
      events.push(event);
    },
    types: () => events.map((event) => event.type),
  };
}
