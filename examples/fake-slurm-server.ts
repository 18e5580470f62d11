/**
 * The fake Slurm of examples/fake-slurm.ts on a loopback HTTP server, for the
 * examples and tests: it listens on 127.0.0.1 (a free port), keeps its jobs
 * in memory and records every request.
 *
 * @example
 * const slurm = await startFakeSlurm();
 * const runner = new AsyncHttpRunner({ secrets: { SLURM_JWT: () => slurm.slurm.token("executor") } });
 * // ... point http.url of examples/invocations/slurm-job.json at slurm.url("/slurm/v0.0.38/job/submit") ...
 * await slurm.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FakeSlurm, type FakeSlurmOptions, type SlurmAnswer } from "./fake-slurm.js";

export { FakeSlurm, SLURM_API, SLURM_TERMINAL_STATES, SLURM_TIMINGS, runScript } from "./fake-slurm.js";
export type { FakeSlurmJob, FakeSlurmOptions, FakeSlurmTask, SlurmEnding, SlurmJobState, SlurmTimings } from "./fake-slurm.js";

/** Options of the fake Slurm server. */
export interface FakeSlurmServerOptions extends FakeSlurmOptions {
  /**
   * The clock of the jobs, the tokens and the recorded requests, in epoch
   * milliseconds (tests share a virtual one with the runner).
   * @default Date.now
   */
  readonly now?: () => number;
}

/** A request the fake received. */
export interface FakeSlurmRequest {
  readonly method: string;
  /** Path and query string. */
  readonly path: string;
  /** When it arrived, on the fake's clock (epoch ms). */
  readonly atMs: number;
  /** Its `X-SLURM-USER-TOKEN`, if any. */
  readonly token: string | undefined;
}

/** A running fake Slurm. */
export interface FakeSlurmServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Its jobs and tokens. */
  readonly slurm: FakeSlurm;
  /** Every request received so far, in order. */
  readonly requests: readonly FakeSlurmRequest[];
  /** An absolute URL on this server. */
  url(path: string): string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Starts the fake Slurm on 127.0.0.1, port 0. */
export async function startFakeSlurm(options: FakeSlurmServerOptions = {}): Promise<FakeSlurmServer> {
  const now = options.now ?? Date.now;
  const slurm = new FakeSlurm(options, now);
  const requests: FakeSlurmRequest[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const method = req.method ?? "GET";
    const token = header(req, "x-slurm-user-token");
    requests.push({ method, path: req.url ?? "/", atMs: now(), token });
    const answer = slurm.answer({
      method,
      path: new URL(req.url ?? "/", "http://127.0.0.1").pathname,
      body,
      headers: { "x-slurm-user-token": token, "x-slurm-user-name": header(req, "x-slurm-user-name") },
      client: `[${req.socket.remoteAddress ?? "127.0.0.1"}]:${req.socket.remotePort ?? 0}`,
    });
    reply(res, answer ?? { status: 404, text: "Unable to find path" });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    slurm,
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

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function reply(res: ServerResponse, answer: SlurmAnswer | { status: number; text: string }): void {
  if (res.destroyed) return;
  const [type, text] = "text" in answer ? ["text/plain", answer.text] : ["application/json", JSON.stringify(answer.json)];
  res.writeHead(answer.status, { "content-type": type, "content-length": Buffer.byteLength(text) });
  res.end(text);
}
