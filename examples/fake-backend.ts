/**
 * A fake backend with two asynchronous job APIs, for the demo, the examples
 * and tests. It listens on 127.0.0.1 (a free port) and keeps its runs in
 * memory.
 *
 * Workflow-engine style (examples/invocations/archon-style.json):
 * - `POST /api/workflows/:workflow/run` with `{"conversationId": ..., "message": ...}`
 *   and an `Authorization: Bearer ...` header answers 200
 *   `{"accepted": true, "status": "started"}`: no run id, no status URL.
 * - `GET /api/workflows/runs/by-worker/:conversationId` answers 404 while the
 *   run registers, then `{"run": {"id": ..., "status": "running"}}`, and
 *   finally `completed` (with `run.result`).
 * - `POST /api/workflows/runs/:runId/cancel` cancels the run.
 *
 * Classic style (examples/invocations/classic-202.json):
 * - `POST /v1/jobs` answers 202 with a `Location` header and
 *   `{"id": ..., "status": "queued"}`; a kickoff repeated with the same
 *   `Idempotency-Key` gets the same job.
 * - `GET /v1/jobs/:id` answers 429 with `Retry-After` once, then `running`,
 *   and finally `succeeded` (with `output`).
 * - `DELETE /v1/jobs/:id` cancels the job.
 *
 * @example
 * const backend = await startFakeBackend();
 * // ... point http.url at backend.url("/v1/jobs") ...
 * await backend.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How the fake runs behave. */
export interface FakeBackendOptions {
  /**
   * Status polls of a workflow run answered 404 before the run is registered.
   * @default 2
   */
  readonly registerPolls?: number;
  /**
   * Status polls answered `running` before the final status (after the 404s
   * and the 429); `Infinity` for runs that never finish.
   * @default 3
   */
  readonly runningPolls?: number;
  /**
   * How runs end: `success` (`completed` / `succeeded`), `failure` (`failed`)
   * or `cancelled`.
   * @default "success"
   */
  readonly outcome?: "success" | "failure" | "cancelled";
  /**
   * The `Retry-After` of the classic job API's one 429, in seconds.
   * @default 1
   */
  readonly retryAfterSeconds?: number;
}

/** A request the backend received. */
export interface FakeBackendRequest {
  readonly method: string;
  /** Path and query string. */
  readonly path: string;
}

/** A running fake backend. */
export interface FakeBackend {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Every request received so far, in order. */
  readonly requests: readonly FakeBackendRequest[];
  /** An absolute URL on this backend. */
  url(path: string): string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

interface FakeRun {
  readonly id: string;
  polls: number;
  cancelled: boolean;
}

const STATUS_WORDS = {
  workflow: { success: "completed", failure: "failed", cancelled: "cancelled" },
  classic: { success: "succeeded", failure: "failed", cancelled: "cancelled" },
} as const;

/** Starts the fake backend on 127.0.0.1, port 0. */
export async function startFakeBackend(options: FakeBackendOptions = {}): Promise<FakeBackend> {
  const settings = {
    registerPolls: options.registerPolls ?? 2,
    runningPolls: options.runningPolls ?? 3,
    outcome: options.outcome ?? "success",
    retryAfterSeconds: options.retryAfterSeconds ?? 1,
  };
  const requests: FakeBackendRequest[] = [];
  const workflowRuns = new Map<string, FakeRun>();
  const jobs = new Map<string, FakeRun>();
  const jobsByKey = new Map<string, FakeRun>();
  let nextId = 1;
  const newRun = (prefix: string): FakeRun => ({ id: `${prefix}-${String(nextId++).padStart(4, "0")}`, polls: 0, cancelled: false });

  /** The status a run reports at this poll, after `before` polls that answer otherwise. */
  const statusAt = (run: FakeRun, before: number, style: keyof typeof STATUS_WORDS): string => {
    if (run.cancelled) return "cancelled";
    return run.polls <= before + settings.runningPolls ? "running" : STATUS_WORDS[style][settings.outcome];
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const method = req.method ?? "GET";
    requests.push({ method, path: req.url ?? "/" });
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    let match: RegExpMatchArray | null;

    if (method === "POST" && /^\/api\/workflows\/[^/]+\/run$/.test(path)) {
      if (!/^Bearer \S+/i.test(req.headers.authorization ?? "")) return reply(res, 401, { error: "missing bearer token" });
      const conversationId = readField(body, "conversationId");
      if (conversationId === undefined) return reply(res, 400, { error: "conversationId is required" });
      workflowRuns.set(conversationId, newRun("run"));
      return reply(res, 200, { accepted: true, status: "started" });
    }
    if (method === "GET" && (match = /^\/api\/workflows\/runs\/by-worker\/([^/]+)$/.exec(path))) {
      if (!/^Bearer \S+/i.test(req.headers.authorization ?? "")) return reply(res, 401, { error: "missing bearer token" });
      const run = workflowRuns.get(decodeURIComponent(match[1] ?? ""));
      if (run === undefined) return reply(res, 404, { error: "no run for this conversation" });
      run.polls += 1;
      if (run.polls <= settings.registerPolls && !run.cancelled) return reply(res, 404, { error: "run not registered yet" });
      const status = statusAt(run, settings.registerPolls, "workflow");
      const result = status === "completed" ? { summary: "3 open pull requests, 1 needs review" } : null;
      return reply(res, 200, { run: { id: run.id, status, result } });
    }
    if (method === "POST" && (match = /^\/api\/workflows\/runs\/([^/]+)\/cancel$/.exec(path))) {
      const run = [...workflowRuns.values()].find((candidate) => candidate.id === match?.[1]);
      if (run === undefined) return reply(res, 404, { error: "no such run" });
      run.cancelled = true;
      return reply(res, 200, { run: { id: run.id, status: "cancelled" } });
    }
    if (method === "POST" && path === "/v1/jobs") {
      const key = req.headers["idempotency-key"];
      const job = (typeof key === "string" ? jobsByKey.get(key) : undefined) ?? newRun("job");
      jobs.set(job.id, job);
      if (typeof key === "string") jobsByKey.set(key, job);
      return reply(res, 202, { id: job.id, status: "queued" }, { location: `/v1/jobs/${job.id}` });
    }
    if ((match = /^\/v1\/jobs\/([^/]+)$/.exec(path))) {
      const job = jobs.get(match[1] ?? "");
      if (job === undefined) return reply(res, 404, { error: "no such job" });
      if (method === "DELETE") {
        job.cancelled = true;
        return reply(res, 202, { id: job.id, status: "cancelling" });
      }
      if (method !== "GET") return reply(res, 405, { error: "method not allowed" });
      job.polls += 1;
      if (job.polls === 1 && !job.cancelled) {
        return reply(res, 429, { error: "slow down" }, { "retry-after": String(settings.retryAfterSeconds) });
      }
      const status = statusAt(job, 1, "classic");
      const output = status === "succeeded" ? { report: "s3://reports/nightly-report.pdf", rows: 1204 } : null;
      return reply(res, 200, { id: job.id, status, output });
    }
    return reply(res, 404, { error: `no route for ${method} ${path}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    url: (path) => new URL(path, origin).href,
    close: async () => {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function readField(body: string, name: string): string | undefined {
  try {
    const value: unknown = (JSON.parse(body) as Record<string, unknown>)[name];
    return typeof value === "string" && value.length > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

function reply(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(json);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
