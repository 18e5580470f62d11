import { setupServer, type SetupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, onTestFinished } from "vitest";
import { RuntimeInvocationSchema, type RuntimeInvocation } from "../../src/contracts/invocation.js";
import type { RuntimeResult } from "../../src/contracts/result.js";
import type { HttpRunnerOptions } from "../../src/http/runner-options.js";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import type { RunEvent, RunOptions, Runner } from "../../src/runners/runner.js";
import type { FakeClock } from "./fake-clock.js";
import { startScriptedServer, type ScriptedResponse, type ScriptedServer, type ScriptedServerOptions } from "./scripted-server.js";

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

/**
 * A validated http_async invocation for a backend on `origin` (a loopback
 * server): kickoff POST /runs answering `{"id": ...}`, polls /runs/{run_id}
 * with no wait between them; `metadata` and `fields` laid over that.
 */
export function loopbackInvocation(
  origin: string,
  metadata: Record<string, string | undefined> = {},
  fields: Record<string, unknown> = {},
): RuntimeInvocation {
  const loopback = { "http.url": `${origin}/runs`, "http.poll_url_template": "/runs/{run_id}", "http.poll_interval_seconds": "0" };
  return asyncInvocation({ ...loopback, ...metadata }, fields);
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

/**
 * A scripted loopback server (see scripted-server.ts) closed when the current
 * test ends, so concurrent tests each close only their own.
 */
export async function loopbackBackend(
  script: readonly ScriptedResponse[] = [],
  options: ScriptedServerOptions = {},
): Promise<ScriptedServer> {
  const server = await startScriptedServer(script, options);
  onTestFinished(() => server.close());
  return server;
}

/** A run's result, how long it took, and its summary with the server's origin written as `{origin}`. */
export interface TimedRun {
  readonly result: RuntimeResult;
  readonly ms: number;
  readonly summary: string | null;
}

/** Runs one invocation on `runner`, closed when the test ends, and measures how long the run took. */
export async function timedRun(
  runner: Runner,
  server: ScriptedServer,
  invocation: RuntimeInvocation,
  options: RunOptions = {},
): Promise<TimedRun> {
  onTestFinished(async () => runner.close?.());
  const startMs = performance.now();
  const result = await runner.run(invocation, options);
  const ms = performance.now() - startMs;
  return { result, ms, summary: result.error_summary?.replaceAll(server.origin, "{origin}") ?? null };
}
