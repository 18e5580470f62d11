/**
 * A dispatcher in a few lines: it runs jobs on a workflow engine (the API of
 * examples/invocations/archon-style.json), logs progress, stops on a signal,
 * and stores the checkpoint of each accepted run, so that a process that
 * restarts after a crash resumes polling instead of starting the job twice.
 */
// In your code: import { ... } from "executor-runtime";
import {
  AsyncHttpRunner,
  ExecutorRuntime,
  asyncHttpMetadata,
  type Checkpoint,
  type RunEvent,
  type RuntimeResult,
} from "../src/index.js";

/** Where checkpoints survive a crash: a database table, Redis, a file. */
export interface CheckpointStore {
  load(jobId: string): Promise<Checkpoint | undefined>;
  save(jobId: string, checkpoint: Checkpoint): Promise<void>;
  delete(jobId: string): Promise<void>;
}

/** A job of this service. */
export interface Job {
  readonly id: string;
  readonly prompt: string;
}

/** Options of `createDispatcher`. */
export interface DispatcherOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly store: CheckpointStore;
  readonly log?: (line: string) => void;
  readonly pollIntervalSeconds?: number;
}

/** Creates a dispatcher for the workflow engine at `baseUrl`. */
export function createDispatcher(options: DispatcherOptions) {
  const { baseUrl, store, log = console.log, pollIntervalSeconds = 2 } = options;
  // The token goes in the runner's headers: it never appears in invocations, results or events.
  const runner = new AsyncHttpRunner({ headers: { authorization: `Bearer ${options.token}` } });
  const runtime = new ExecutorRuntime().register("http_async", runner);

  async function dispatch(job: Job, signal?: AbortSignal): Promise<RuntimeResult> {
    const invocation = {
      invocation_id: job.id,
      runtime_name: "workflow-engine",
      runtime_kind: "http_async",
      timeout_seconds: 30 * 60,
      metadata: asyncHttpMetadata({
        url: new URL("/api/workflows/assist/run", baseUrl),
        body: { conversationId: job.id, message: job.prompt },
        pollUrlTemplate: `/api/workflows/runs/by-worker/${encodeURIComponent(job.id)}`,
        pollRunIdPath: "run.id",
        pollStatusPath: "run.status",
        pollTerminalStates: ["completed", "failed", "cancelled"],
        pollPendingCodes: [404], // the engine answers 404 until the run registers
        pollIntervalSeconds,
        pollMaxConsecutiveErrors: 3,
        cancelUrlTemplate: "/api/workflows/runs/{run_id}/cancel",
        resultPath: "run.result",
      }),
    };
    const resume = await store.load(job.id);
    const saves: Promise<void>[] = [];
    const onEvent = (event: RunEvent): void => {
      if (event.type === "accepted") saves.push(store.save(job.id, event.checkpoint));
      if (event.type === "poll") log(`${job.id}: poll ${event.attempt}: ${event.status ?? `HTTP ${event.httpStatus}`}`);
    };
    const result = await runtime.run(invocation, { onEvent, ...(signal ? { signal } : {}), ...(resume ? { resume } : {}) });
    await Promise.all(saves);
    await store.delete(job.id);
    log(`${job.id}: ${result.status}${result.error_summary ? `: ${result.error_summary}` : ""}`);
    return result;
  }

  return { dispatch, close: () => runtime.close() };
}
