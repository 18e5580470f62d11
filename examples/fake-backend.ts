/**
 * A fake backend with two asynchronous job APIs, for the demo, the examples
 * and tests. It listens on 127.0.0.1 (a free port) and keeps its runs in
 * memory.
 *
 * Archon (examples/invocations/archon-background.json and
 * archon-interactive.json): the routes of examples/fake-archon.ts, which
 * behave as a real Archon v0.3.10 server does: conversations, workflow
 * dispatches answered 200 `{"accepted": true, "status": "started"}` (or
 * `"queued-conversation"` behind a run of the same conversation) with no run
 * id, background runs in a worker conversation named by a message of the
 * parent, interactive runs in the parent, runs read by worker conversation or
 * by id, cancel by run id.
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
import { FakeArchon, type FakeAnswer, type FakeArchonOptions, type FakeArchonRun } from "./fake-archon.js";

export { ARCHON_TIMINGS, ARCHON_WORKFLOWS } from "./fake-archon.js";
export type { ArchonEnding, ArchonTimings, FakeArchonOptions, FakeArchonRun, FakeWorkflow } from "./fake-archon.js";

/** How the fake runs behave. */
export interface FakeBackendOptions {
  /**
   * Classic jobs: status polls answered `running` before the final status
   * (after the 429); `Infinity` for jobs that never finish.
   * @default 3
   */
  readonly runningPolls?: number;
  /**
   * How runs end: `success` (`completed` / `succeeded`), `failure` (`failed`)
   * or `cancelled`; an Archon workflow that names its own ending keeps it.
   * @default "success"
   */
  readonly outcome?: "success" | "failure" | "cancelled";
  /**
   * The `Retry-After` of the classic job API's one 429, in seconds.
   * @default 1
   */
  readonly retryAfterSeconds?: number;
  /** The Archon routes: timings, workflows. */
  readonly archon?: FakeArchonOptions;
  /**
   * The clock of the Archon runs and of the recorded requests, in epoch
   * milliseconds (tests share a virtual one with the runner).
   * @default Date.now
   */
  readonly now?: () => number;
  /** Draws the random parts of ids and timings. @default Math.random */
  readonly random?: () => number;
}

/** A request the backend received. */
export interface FakeBackendRequest {
  readonly method: string;
  /** Path and query string. */
  readonly path: string;
  /** When it arrived, on the backend's clock (epoch ms). */
  readonly atMs: number;
}

/** A running fake backend. */
export interface FakeBackend {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Every request received so far, in order. */
  readonly requests: readonly FakeBackendRequest[];
  /** The Archon workflow runs dispatched so far, as they are now. */
  archonRuns(): FakeArchonRun[];
  /** An absolute URL on this backend. */
  url(path: string): string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** An answer, with the headers the job API adds. */
type JobAnswer = FakeAnswer & { readonly headers?: Record<string, string> };

interface FakeJob {
  readonly id: string;
  polls: number;
  cancelled: boolean;
}

const JOB_STATUS = { success: "succeeded", failure: "failed", cancelled: "cancelled" } as const;
const ARCHON_ENDING = { success: "completed", failure: "failed", cancelled: "cancelled" } as const;

/** Starts the fake backend on 127.0.0.1, port 0. */
export async function startFakeBackend(options: FakeBackendOptions = {}): Promise<FakeBackend> {
  const outcome = options.outcome ?? "success";
  const runningPolls = options.runningPolls ?? 3;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  const now = options.now ?? Date.now;
  const archon = new FakeArchon({ ending: ARCHON_ENDING[outcome], ...options.archon }, now, options.random ?? Math.random);
  const requests: FakeBackendRequest[] = [];
  const jobs = new Map<string, FakeJob>();
  const jobsByKey = new Map<string, FakeJob>();
  let nextId = 1;

  /** The classic job API. */
  const answerJobs = (req: IncomingMessage, method: string, path: string): JobAnswer => {
    if (method === "POST" && path === "/v1/jobs") {
      const key = req.headers["idempotency-key"];
      const job = (typeof key === "string" ? jobsByKey.get(key) : undefined) ?? { id: `job-${String(nextId++).padStart(4, "0")}`, polls: 0, cancelled: false };
      jobs.set(job.id, job);
      if (typeof key === "string") jobsByKey.set(key, job);
      return { status: 202, json: { id: job.id, status: "queued" }, headers: { location: `/v1/jobs/${job.id}` } };
    }
    const match = /^\/v1\/jobs\/([^/]+)$/.exec(path);
    const job = match === null ? undefined : jobs.get(match[1]!);
    if (match === null) return { status: 404, json: { error: `no route for ${method} ${path}` } };
    if (job === undefined) return { status: 404, json: { error: "no such job" } };
    if (method === "DELETE") {
      job.cancelled = true;
      return { status: 202, json: { id: job.id, status: "cancelling" } };
    }
    if (method !== "GET") return { status: 405, json: { error: "method not allowed" } };
    job.polls += 1;
    if (job.polls === 1 && !job.cancelled) return { status: 429, json: { error: "slow down" }, headers: { "retry-after": String(retryAfterSeconds) } };
    const status = job.cancelled ? "cancelled" : job.polls <= 1 + runningPolls ? "running" : JOB_STATUS[outcome];
    const output = status === "succeeded" ? { report: "s3://reports/nightly-report.pdf", rows: 1204 } : null;
    return { status: 200, json: { id: job.id, status, output } };
  };

  const pending = new Set<NodeJS.Timeout>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const method = req.method ?? "GET";
    requests.push({ method, path: req.url ?? "/", atMs: now() });
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    const answer: JobAnswer = archon.answer(method, path, body) ?? answerJobs(req, method, path);
    const send = (): void => reply(res, answer.status, answer.json, answer.headers);
    if ((answer.delayMs ?? 0) <= 0) return send();
    const timer = setTimeout(() => {
      pending.delete(timer);
      send();
    }, answer.delayMs);
    pending.add(timer);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    archonRuns: () => archon.runs(),
    url: (path) => new URL(path, origin).href,
    close: async () => {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
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

function reply(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = JSON.stringify(json);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
