/**
 * A loopback GitHub Actions API for the `workflow_dispatch` example
 * (examples/invocations/github-actions-dispatch.json), following GitHub's
 * REST API:
 *
 * - `POST /repos/:owner/:repo/actions/workflows/:workflow/dispatches` `{ref, inputs}`
 *   -> 204 with no body: no run id; the run shows up in the runs list a little later.
 * - `GET /repos/:owner/:repo/actions/workflows/:workflow/runs` -> `{total_count,
 *   workflow_runs: [...]}`, newest first.
 * - `GET /repos/:owner/:repo/actions/runs/:id` -> the run: `status` `queued`,
 *   `in_progress`, then `completed`, and `conclusion` (null until completed).
 * - `POST /repos/:owner/:repo/actions/runs/:id/cancel` -> 202 `{}`; 409 once completed.
 * - Every request without `Authorization` -> 401.
 *
 * States derive from `now`, so a test shares a virtual clock with the runner.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Options of `startGitHubActionsBackend`. */
export interface GitHubActionsOptions {
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** From the dispatch to the run in the list (`queued`). @default 3000 */
  readonly appearMs?: number;
  /** From `queued` to `in_progress`. @default 2000 */
  readonly queuedMs?: number;
  /** From `in_progress` to `completed` (`Infinity`: never). @default 20000 */
  readonly runMs?: number;
  /** The conclusion of a completed run that nobody cancelled. @default "success" */
  readonly conclusion?: "success" | "failure" | "cancelled" | "timed_out";
  /** Runs of the workflow from before the test, all completed. @default 2 */
  readonly earlierRuns?: number;
}

/** A run, as the test sees it. */
export interface GitHubRun {
  readonly id: number;
  readonly workflow: string;
  readonly dispatchedAtMs: number;
  cancelledAtMs: number | undefined;
}

/** A running fake GitHub Actions API. */
export interface GitHubActionsBackend {
  readonly origin: string;
  /** Every request: method and path with query. */
  readonly requests: readonly { readonly method: string; readonly path: string }[];
  /** Runs dispatched by the test, in order (earlier runs not included). */
  readonly dispatched: readonly GitHubRun[];
  close(): Promise<void>;
}

const REPO = /^\/repos\/([^/]+)\/([^/]+)\/actions\//;

/** Starts the fake on 127.0.0.1, port 0. */
export async function startGitHubActionsBackend(options: GitHubActionsOptions = {}): Promise<GitHubActionsBackend> {
  const now = options.now ?? Date.now;
  const appearMs = options.appearMs ?? 3000;
  const queuedMs = options.queuedMs ?? 2000;
  const runMs = options.runMs ?? 20_000;
  const requests: { method: string; path: string }[] = [];
  const dispatched: GitHubRun[] = [];
  const runs: GitHubRun[] = [];
  let nextId = 9_870_001;
  for (let index = 0; index < (options.earlierRuns ?? 2); index++) {
    runs.push({ id: nextId++, workflow: "nightly.yml", dispatchedAtMs: now() - 86_400_000 * (index + 1), cancelledAtMs: undefined });
  }

  const statusOf = (run: GitHubRun, at: number) => {
    const started = run.dispatchedAtMs + appearMs + queuedMs;
    if (run.cancelledAtMs !== undefined && at >= run.cancelledAtMs) return { status: "completed", conclusion: "cancelled" };
    if (at < started) return { status: "queued", conclusion: null };
    if (at < started + runMs) return { status: "in_progress", conclusion: null };
    return { status: "completed", conclusion: options.conclusion ?? "success" };
  };
  const runJson = (run: GitHubRun, at: number) => ({
    id: run.id,
    name: "Nightly",
    event: "workflow_dispatch",
    ...statusOf(run, at),
    workflow_id: 161335,
    html_url: `https://github.com/octo-org/octo-repo/actions/runs/${run.id}`,
    created_at: new Date(run.dispatchedAtMs + appearMs).toISOString().replace(/\.\d+Z$/, "Z"),
  });

  const handle = (req: IncomingMessage, res: ServerResponse, origin: string): void => {
    const method = req.method ?? "GET";
    requests.push({ method, path: req.url ?? "/" });
    const path = new URL(req.url ?? "/", origin).pathname;
    const at = now();
    if (req.headers.authorization === undefined) return reply(res, 401, { message: "Requires authentication" });
    if (!REPO.test(path)) return reply(res, 404, { message: "Not Found" });
    let match: RegExpExecArray | null;
    if (method === "POST" && (match = /\/actions\/workflows\/([^/]+)\/dispatches$/.exec(path))) {
      const run = { id: nextId++, workflow: decodeURIComponent(match[1]!), dispatchedAtMs: at, cancelledAtMs: undefined };
      runs.push(run);
      dispatched.push(run);
      res.writeHead(204).end();
      return;
    }
    if (method === "GET" && (match = /\/actions\/workflows\/([^/]+)\/runs$/.exec(path))) {
      const listed = runs.filter((run) => run.workflow === match![1] && run.dispatchedAtMs + appearMs <= at).reverse();
      return reply(res, 200, { total_count: listed.length, workflow_runs: listed.map((run) => runJson(run, at)) });
    }
    match = /\/actions\/runs\/(\d+)(\/cancel)?$/.exec(path);
    const run = match === null ? undefined : runs.find((candidate) => candidate.id === Number(match![1]) && candidate.dispatchedAtMs + appearMs <= at);
    if (run === undefined) return reply(res, 404, { message: "Not Found" });
    if (method === "GET" && match![2] === undefined) return reply(res, 200, runJson(run, at));
    if (method === "POST" && match![2] !== undefined) {
      if (statusOf(run, at).status === "completed") return reply(res, 409, { message: "Cannot cancel a workflow run that is completed." });
      run.cancelledAtMs = at;
      return reply(res, 202, {});
    }
    return reply(res, 404, { message: "Not Found" });
  };

  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => handle(req, res, origin));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    dispatched,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function reply(res: ServerResponse, status: number, json: unknown): void {
  const text = JSON.stringify(json);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) }).end(text);
}
