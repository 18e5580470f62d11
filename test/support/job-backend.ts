/**
 * A loopback job API for the queue tests, with the knobs a crash test needs:
 * kickoff answers that are held back, runs that stay `running` until
 * released, and an `Idempotency-Key` that is honoured or not.
 *
 * - `POST /jobs?invocation=<id>` creates a job (or, with a known
 *   `Idempotency-Key` when keys are honoured, finds it) and answers 202
 *   `{"id", "status": "queued"}` with a `Location` header, after
 *   `kickoffLatencyMs`.
 * - `GET /jobs/:id` answers `running` while runs are held and for
 *   `runningPolls` polls, then `succeeded`.
 * - `POST /jobs/:id/cancel` is counted and answered 202.
 * - During an `outage`, every request is counted and then answered 503, or
 *   its connection is dropped, and no job is created.
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Options of `startJobBackend`. */
export interface JobBackendOptions {
  /** Polls answered `running` before `succeeded`. @default 1 */
  readonly runningPolls?: number;
  /** Whether a kickoff with a known `Idempotency-Key` gets the job created before. @default true */
  readonly honourIdempotencyKey?: boolean;
  /** How long the answer to a kickoff takes, its job created at once (a dispatcher that dies then leaves a job behind). @default 0 */
  readonly kickoffLatencyMs?: number;
}

/** How the backend fails while it is out. */
export type BackendOutage = "unavailable" | "drop";

/** A running job backend. */
export interface JobBackend {
  readonly origin: string;
  /** Kickoff requests received per invocation id (answered or held). */
  kickoffs(invocationId: string): number;
  /** Polls received per invocation id. */
  polls(invocationId: string): number;
  /** The status the last poll of the invocation's job was answered (`running`, `succeeded`); undefined before any. */
  lastStatus(invocationId: string): string | undefined;
  /** Cancel requests received per invocation id. */
  cancels(invocationId: string): number;
  /** Jobs created. */
  readonly jobsCreated: number;
  /** Requests answered 503 or dropped during outages. */
  readonly refused: number;
  /** While true, kickoffs are recorded and their jobs created, but never answered. */
  holdKickoffs: boolean;
  /** While true, every poll answers `running`. */
  holdRuns: boolean;
  /** While set, every request is answered 503 (`unavailable`) or has its connection dropped (`drop`). */
  outage: BackendOutage | undefined;
  /** The kickoff URL of an invocation. */
  kickoffUrl(invocationId: string): string;
  /** Resolves once `condition` holds (checked after each request). */
  waitFor(condition: () => boolean): Promise<void>;
  close(): Promise<void>;
}

interface BackendJob {
  readonly id: string;
  readonly invocationId: string;
  polls: number;
}

/** Starts the job backend on 127.0.0.1, port 0. */
export async function startJobBackend(options: JobBackendOptions = {}): Promise<JobBackend> {
  const runningPolls = options.runningPolls ?? 1;
  const honourKey = options.honourIdempotencyKey ?? true;
  const kickoffLatencyMs = options.kickoffLatencyMs ?? 0;
  const kickoffs = new Map<string, number>();
  const polls = new Map<string, number>();
  const lastStatuses = new Map<string, string>();
  const cancels = new Map<string, number>();
  const jobs = new Map<string, BackendJob>();
  const jobsByKey = new Map<string, BackendJob>();
  let refused = 0;
  const failRequest = (outage: BackendOutage, res: ServerResponse): void => {
    refused += 1;
    if (outage === "drop") res.socket?.destroy();
    else reply(res, 503, { error: "backend unavailable" });
  };
  const waiters = new Set<{ condition: () => boolean; resolve: () => void }>();
  const notify = (): void => {
    for (const waiter of waiters) {
      if (waiter.condition()) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const invocationId = url.searchParams.get("invocation") ?? "";
      let match: RegExpExecArray | null;
      if (req.method === "POST" && url.pathname === "/jobs") {
        kickoffs.set(invocationId, (kickoffs.get(invocationId) ?? 0) + 1);
        if (backend.outage !== undefined) {
          failRequest(backend.outage, res);
        } else {
          const key = req.headers["idempotency-key"];
          const known = honourKey && typeof key === "string" ? jobsByKey.get(key) : undefined;
          const job = known ?? { id: `job-${jobs.size + 1}`, invocationId, polls: 0 };
          jobs.set(job.id, job);
          if (typeof key === "string") jobsByKey.set(key, job);
          const answer = (): void => reply(res, 202, { id: job.id, status: "queued" }, { location: `/jobs/${job.id}` });
          if (!backend.holdKickoffs && kickoffLatencyMs > 0) setTimeout(answer, kickoffLatencyMs);
          else if (!backend.holdKickoffs) answer();
        }
      } else if (backend.outage !== undefined) {
        failRequest(backend.outage, res);
      } else if (req.method === "GET" && (match = /^\/jobs\/([^/]+)$/.exec(url.pathname))) {
        const job = jobs.get(match[1] ?? "");
        if (job === undefined) {
          reply(res, 404, { error: "no such job" });
        } else {
          job.polls += 1;
          polls.set(job.invocationId, (polls.get(job.invocationId) ?? 0) + 1);
          const status = !backend.holdRuns && job.polls > runningPolls ? "succeeded" : "running";
          lastStatuses.set(job.invocationId, status);
          reply(res, 200, { id: job.id, status });
        }
      } else if (req.method === "POST" && (match = /^\/jobs\/([^/]+)\/cancel$/.exec(url.pathname)) && jobs.has(match[1] ?? "")) {
        const job = jobs.get(match[1] ?? "")!;
        cancels.set(job.invocationId, (cancels.get(job.invocationId) ?? 0) + 1);
        reply(res, 202, { id: job.id, status: "cancelling" });
      } else {
        reply(res, 404, { error: "no route" });
      }
      notify();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const backend: JobBackend = {
    origin,
    kickoffs: (id) => kickoffs.get(id) ?? 0,
    polls: (id) => polls.get(id) ?? 0,
    lastStatus: (id) => lastStatuses.get(id),
    cancels: (id) => cancels.get(id) ?? 0,
    get jobsCreated() {
      return new Set(jobs.values()).size;
    },
    get refused() {
      return refused;
    },
    holdKickoffs: false,
    holdRuns: false,
    outage: undefined,
    kickoffUrl: (id) => `${origin}/jobs?invocation=${encodeURIComponent(id)}`,
    waitFor: (condition) =>
      condition() ? Promise.resolve() : new Promise<void>((resolve) => void waiters.add({ condition, resolve })),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return backend;
}

function reply(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(json);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
