/**
 * A dispatcher in a few lines: it runs jobs as Archon background workflows
 * (the API of examples/invocations/archon-background.json), logs progress,
 * stops on a signal, and stores the checkpoint of each accepted run, so that
 * a process that restarts after a crash resumes polling instead of starting
 * the job twice.
 */
// In your code: import { ... } from "executor-runtime";
import {
  AsyncHttpRunner,
  ExecutorRuntime,
  asyncHttpMetadata,
  type Checkpoint,
  type HttpRunnerOptions,
  type RunEvent,
  type RuntimeResult,
} from "../src/index.js";

/** What a job needs to be resumed: its Archon conversation and the checkpoint of its accepted run. */
export interface StoredRun {
  readonly conversationId: string;
  readonly checkpoint: Checkpoint;
}

/** Where accepted runs survive a crash: a database table, Redis, a file. */
export interface CheckpointStore {
  load(jobId: string): Promise<StoredRun | undefined>;
  save(jobId: string, run: StoredRun): Promise<void>;
  delete(jobId: string): Promise<void>;
}

/** A job of this service. */
export interface Job {
  readonly id: string;
  readonly prompt: string;
}

/** Options of `createDispatcher`. */
export interface DispatcherOptions {
  /** The Archon server, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  /** The workflow each job runs. @default "archon-assist" */
  readonly workflow?: string;
  readonly store: CheckpointStore;
  readonly log?: (line: string) => void;
  readonly pollIntervalSeconds?: number;
  /** Options of the runner: `headers` for a server behind a proxy that wants them, `sleep` and `now` in tests. */
  readonly runner?: HttpRunnerOptions;
}

/** What a job's message ends with, `{invocation_id}` filled by the runner: the run whose `user_message` holds it is the job's. */
const OWNER_MARK = "(invocation {invocation_id})";

/** The message a job's workflow is dispatched with: its prompt, marked with the invocation's id. */
export function archonMessage(job: Job): string {
  return `${job.prompt} ${OWNER_MARK}`;
}

/** Creates a dispatcher for the Archon server at `baseUrl`. */
export function createDispatcher(options: DispatcherOptions) {
  const { baseUrl, store, log = console.log, pollIntervalSeconds = 2, workflow = "archon-assist" } = options;
  const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner(options.runner));

  /** A conversation of its own for each job: its messages name only this job's worker. */
  async function newConversation(): Promise<string> {
    const response = await fetch(new URL("/api/conversations", baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    const { conversationId } = (await response.json()) as { conversationId: string };
    return conversationId;
  }

  async function dispatch(job: Job, signal?: AbortSignal): Promise<RuntimeResult> {
    const stored = await store.load(job.id);
    const conversationId = stored?.conversationId ?? (await newConversation());
    const conversation = encodeURIComponent(conversationId);
    const invocation = {
      invocation_id: job.id,
      runtime_name: "archon",
      runtime_kind: "http_async",
      timeout_seconds: 30 * 60,
      metadata: asyncHttpMetadata({
        url: new URL(`/api/workflows/${encodeURIComponent(workflow)}/run`, baseUrl),
        // The message carries the invocation's id, which the run's user_message echoes: the ownership check reads it there.
        body: { conversationId, message: archonMessage(job) },
        // The acknowledgement names no run: the worker conversation is named in a message of this one.
        runLookupUrl: `/api/conversations/${conversation}/messages`,
        runLookupPath: "*.metadata.workflowDispatch.workerConversationId",
        pollUrlTemplate: "/api/workflows/runs/by-worker/{lookup}",
        pollRunIdPath: "run.id",
        runOwnerPath: "run.user_message",
        runOwnerValue: OWNER_MARK,
        pollStatusPath: "run.status",
        pollTerminalStates: ["completed", "failed", "cancelled"],
        pollSuccessStates: ["completed"],
        pollIntervalSeconds,
        pollMaxConsecutiveErrors: 3,
        cancelUrlTemplate: "/api/workflows/runs/{run_id}/cancel",
        cancelOnFailure: true,
        resultPath: "run.metadata.error",
      }),
    };
    const saves: Promise<void>[] = [];
    const onEvent = (event: RunEvent): void => {
      if (event.type === "accepted") saves.push(store.save(job.id, { conversationId, checkpoint: event.checkpoint }));
      if (event.type === "poll") log(`${job.id}: poll ${event.attempt}: ${event.status ?? `HTTP ${event.httpStatus}`}`);
    };
    const resume = stored === undefined ? {} : { resume: stored.checkpoint };
    const result = await runtime.run(invocation, { onEvent, ...(signal ? { signal } : {}), ...resume });
    await Promise.all(saves);
    await store.delete(job.id);
    log(`${job.id}: ${result.status}${result.error_summary ? `: ${result.error_summary}` : ""}`);
    return result;
  }

  return { dispatch, close: () => runtime.close() };
}
