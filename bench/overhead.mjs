// The library's own CPU per request, without sockets: the same poll loops as
// `npm run bench`, but against an in-memory undici Dispatcher that answers
// every request from a buffer on the next turn of the event loop. No kernel,
// no parser, no second process: what is left is the client's JavaScript
// (undici's request API, the loop, JSON, GC), so small changes to the hot
// path show up here before they drown in the noise of a socket benchmark.
// Each client runs in a fresh child process; the runs are interleaved.
//
//   node bench/overhead.mjs [--reps 5] [--jobs 20000] [--lib path/to/index.js]
//   node --cpu-prof bench/overhead.mjs --child '{"client":"library","lib":"bench/.build/lib/index.js","jobs":20000}'
import { fork } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Dispatcher, request } from "undici";
import { buildLibrary } from "./build.mjs";
import { POLLS } from "./harness.mjs";
import { jobMetadata } from "./job.mjs";

const IN_FLIGHT = 64;
const WARMUP_JOBS = 4096;
const ORIGIN = "http://127.0.0.1:1";

const CLIENTS = {
  "raw-undici": "raw loop, undici.request(url, options)",
  "raw-dispatcher": "raw loop, dispatcher.request(options)",
  library: "library (AsyncHttpRunner, dispatcher option)",
  "library+deadline": "library, timeout_seconds set",
};

/** A job backend in memory: 202 with a run id, then POLLS "running" answers, then "completed". */
class MemoryBackend extends Dispatcher {
  #queue = [];
  #scheduled = false;
  #runs = 0;
  #polls = new Map();

  dispatch(options, handler) {
    this.#queue.push(options, handler);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#answer());
    }
    return true;
  }

  #answer() {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (let i = 0; i < queue.length; i += 2) {
      const [status, body] = this.#reply(queue[i]);
      const handler = queue[i + 1];
      handler.onConnect(() => {}, {});
      handler.onHeaders(status, [CONTENT_TYPE, JSON_TYPE, CONTENT_LENGTH, Buffer.from(String(body.length))], () => {}, "");
      handler.onData(body);
      handler.onComplete([]);
    }
  }

  #reply(options) {
    if (options.method === "POST") {
      const id = `r${++this.#runs}`;
      this.#polls.set(id, 0);
      return [202, Buffer.from(JSON.stringify({ id }))];
    }
    const id = options.path.slice("/runs/".length);
    const polls = this.#polls.get(id) + 1;
    if (polls <= POLLS) {
      this.#polls.set(id, polls);
      return [200, RUNNING];
    }
    this.#polls.delete(id);
    return [200, COMPLETED];
  }

  async close() {}
}
const CONTENT_TYPE = Buffer.from("content-type");
const JSON_TYPE = Buffer.from("application/json");
const CONTENT_LENGTH = Buffer.from("content-length");
const RUNNING = Buffer.from('{"status":"running"}');
const COMPLETED = Buffer.from('{"status":"completed"}');

/** The loop of bench/client.mjs, through undici's top-level request() or the dispatcher's own. */
function rawClient(dispatcher, direct) {
  const kickoffHeaders = { "content-type": "application/json", accept: "application/json" };
  const pollHeaders = { accept: "application/json" };
  const kickoffUrl = `${ORIGIN}/runs`;
  const send = direct
    ? (url, method, headers, body) => dispatcher.request({ origin: ORIGIN, path: url.slice(ORIGIN.length), method, headers, body })
    : (url, method, headers, body) => request(url, { method, headers, body, dispatcher });
  return async () => {
    const kickoff = await send(kickoffUrl, "POST", kickoffHeaders, '{"job":"bench"}');
    const accepted = JSON.parse(await kickoff.body.text());
    const pollUrl = `${ORIGIN}/runs/${encodeURIComponent(accepted.id)}`;
    for (;;) {
      const poll = await send(pollUrl, "GET", pollHeaders, null);
      const body = JSON.parse(await poll.body.text());
      if (body.status === "completed") return;
    }
  };
}

async function libraryClient(dispatcher, lib, timeoutSeconds) {
  const { ExecutorRuntime, AsyncHttpRunner, asyncHttpMetadata } = await import(lib);
  const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner({ dispatcher }));
  const metadata = jobMetadata(asyncHttpMetadata, ORIGIN, 0);
  let jobs = 0;
  return async () => {
    const invocation = { invocation_id: `job-${++jobs}`, runtime_name: "bench", runtime_kind: "http_async", metadata };
    if (timeoutSeconds !== undefined) invocation.timeout_seconds = timeoutSeconds;
    const result = await runtime.run(invocation);
    if (result.status !== "succeeded") throw new Error(`${result.status}: ${result.error_summary}`);
  };
}

/** In the child: runs one client and reports its CPU microseconds per request. */
async function child({ client, lib, jobs }) {
  const backend = new MemoryBackend();
  const runJob =
    client === "raw-undici" || client === "raw-dispatcher"
      ? rawClient(backend, client === "raw-dispatcher")
      : await libraryClient(backend, lib, client === "library+deadline" ? 3600 : undefined);
  const runAll = (count) =>
    Promise.all(
      Array.from({ length: IN_FLIGHT }, async (_, slot) => {
        for (let job = slot; job < count; job += IN_FLIGHT) await runJob();
      }),
    );
  await runAll(WARMUP_JOBS);
  const start = process.cpuUsage();
  await runAll(jobs);
  const used = process.cpuUsage(start);
  const report = { cpuPerRequestMicros: (used.user + used.system) / (jobs * (POLLS + 2)) };
  // Run by hand (node --cpu-prof bench/overhead.mjs --child '{...}'), the child prints its figure.
  if (process.send === undefined) console.log(report);
  else process.send(report);
}

function runChild(config) {
  return new Promise((resolvePromise, reject) => {
    const process = fork(fileURLToPath(import.meta.url), ["--child", JSON.stringify(config)], { stdio: "inherit" });
    let report;
    process.on("message", (message) => (report = message));
    process.on("exit", (code) => (report === undefined ? reject(new Error(`${config.client} exited (${code})`)) : resolvePromise(report)));
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  await child(JSON.parse(args[1]));
} else {
  const option = (name, fallback) => {
    const index = args.indexOf(name);
    return index === -1 ? fallback : args[index + 1];
  };
  const reps = Number(option("--reps", "5"));
  const jobs = Number(option("--jobs", "20000"));
  const lib = option("--lib") === undefined ? await buildLibrary() : resolve(option("--lib"));
  const runs = Object.fromEntries(Object.keys(CLIENTS).map((name) => [name, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const client of Object.keys(CLIENTS)) {
      const { cpuPerRequestMicros } = await runChild({ client, lib, jobs });
      runs[client].push(cpuPerRequestMicros);
      console.error(`  rep ${rep + 1} ${client}: ${cpuPerRequestMicros.toFixed(2)} µs/req`);
    }
  }
  console.log(`CPU per request over an in-memory dispatcher, ${IN_FLIGHT} in flight, ${jobs} jobs of ${POLLS + 2} requests; median of ${reps} [min–max]`);
  const floor = median(runs["raw-undici"]);
  for (const [client, label] of Object.entries(CLIENTS)) {
    const values = runs[client];
    const m = median(values);
    console.log(
      `${label.padEnd(48)} ${m.toFixed(2).padStart(6)} µs [${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}]  ${(m / floor).toFixed(2)}x`,
    );
  }
}
