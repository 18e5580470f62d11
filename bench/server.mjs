// The fake job backend of the benchmark, run in a child process of its own so
// that its CPU is not charged to the client being measured.
//
//   POST /runs       -> 202 {"id":"<n>","status":"queued"}
//   GET  /runs/<n>   -> 200 {"status":"running",...} K times, then {"status":"completed",...}
//
// Every poll body is a precomputed Buffer. The server counts requests and
// sockets, and measures how late each poll arrives against its schedule (the
// previous answer to that run + the interval). Runs numbered <= warmupRuns are
// the client's warm-up: they finish after `warmupPolls` polls and are not
// counted. With `hold` (the memory case), measured runs answer "running" until
// the parent sends "release", so none ends before the heap is measured, and
// the parent hears "allPolling" once every measured run has been polled.
//
// With `waitedOnly`, a poll counts in the lateness only if it arrives at least
// half an interval after the previous answer: the library polls once right
// after the kickoff, and that poll has no schedule to be late against.
//
// Config: JSON in argv[2]: { polls, warmupRuns, warmupPolls, intervalMs, hold, expectedRuns, waitedOnly }.
// IPC in: "release", "stats", "exit". IPC out: "ready" {port}, "allPolling", "stats" {...}.
import { createServer } from "node:http";
import { performance } from "node:perf_hooks";

const config = JSON.parse(process.argv[2] ?? "{}");
const polls = config.polls ?? 9;
const warmupRuns = config.warmupRuns ?? 0;
const warmupPolls = config.warmupPolls ?? 2;
const intervalMs = config.intervalMs ?? 0;
const hold = config.hold === true;
const expectedRuns = config.expectedRuns ?? 0;
const waitedOnly = config.waitedOnly === true;

const JSON_HEADERS = (length) => ["content-type", "application/json", "content-length", String(length)];
const RUNNING = Buffer.from('{"status":"running","stage":"executing","progress":0.5}');
const COMPLETED = Buffer.from('{"status":"completed","stage":"done","progress":1,"result":{"ok":true}}');
const RUNNING_HEADERS = JSON_HEADERS(RUNNING.length);
const COMPLETED_HEADERS = JSON_HEADERS(COMPLETED.length);
const NOT_FOUND = Buffer.from('{"error":"no such run"}');
const NOT_FOUND_HEADERS = JSON_HEADERS(NOT_FOUND.length);
const KICKOFF_HEAD = '{"id":"';
const KICKOFF_TAIL = '","status":"queued"}';
const RUNS_PREFIX = "/runs/";

// Per run, indexed by run number: polls answered, and when the last answer was sent.
let runs = 0;
let pollCounts = new Uint32Array(1024);
let lastAnswerAt = new Float64Array(1024);
let released = false;
let polledRuns = 0;
let allPollingSent = false;

const counts = { requests: 0, kickoffs: 0, polls: 0, socketsOpened: 0, socketsOpen: 0, socketsPeak: 0, errors: 0 };
let lateness = new Float64Array(4096);
let latenessCount = 0;

function grow() {
  const size = pollCounts.length * 2;
  const p = new Uint32Array(size);
  p.set(pollCounts);
  pollCounts = p;
  const l = new Float64Array(size);
  l.set(lastAnswerAt);
  lastAnswerAt = l;
}

function recordLateness(ms) {
  if (latenessCount === lateness.length) {
    const next = new Float64Array(lateness.length * 2);
    next.set(lateness);
    lateness = next;
  }
  lateness[latenessCount++] = ms;
}

function handle(req, res) {
  const arrivedAt = performance.now();
  const url = req.url;
  if (req.method === "POST" && url === "/runs") {
    const id = ++runs;
    if (id >= pollCounts.length) grow();
    if (id > warmupRuns) {
      counts.requests++;
      counts.kickoffs++;
    }
    // The kickoff body is not read: drain it so the socket is reused.
    req.resume();
    req.on("end", () => {
      const body = Buffer.from(KICKOFF_HEAD + id + KICKOFF_TAIL);
      res.writeHead(202, JSON_HEADERS(body.length));
      res.end(body);
      lastAnswerAt[id] = performance.now();
    });
    return;
  }
  if (req.method === "GET" && url.startsWith(RUNS_PREFIX)) {
    const id = Number(url.slice(RUNS_PREFIX.length));
    if (!(id > 0 && id <= runs)) {
      counts.errors++;
      res.writeHead(404, NOT_FOUND_HEADERS);
      res.end(NOT_FOUND);
      return;
    }
    const n = ++pollCounts[id];
    let done;
    if (id <= warmupRuns) {
      done = n > warmupPolls;
    } else {
      counts.requests++;
      counts.polls++;
      const waited = arrivedAt - lastAnswerAt[id];
      if (!waitedOnly || waited >= intervalMs / 2) recordLateness(waited - intervalMs);
      if (n === 1 && ++polledRuns === expectedRuns && !allPollingSent) {
        allPollingSent = true;
        process.send?.({ type: "allPolling" });
      }
      done = hold ? released : n > polls;
    }
    if (done) {
      res.writeHead(200, COMPLETED_HEADERS);
      res.end(COMPLETED);
    } else {
      res.writeHead(200, RUNNING_HEADERS);
      res.end(RUNNING);
    }
    lastAnswerAt[id] = performance.now();
    return;
  }
  counts.errors++;
  res.writeHead(404, NOT_FOUND_HEADERS);
  res.end(NOT_FOUND);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

function stats() {
  const sorted = lateness.slice(0, latenessCount).sort();
  return {
    ...counts,
    lateness: {
      count: latenessCount,
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: latenessCount === 0 ? null : sorted[latenessCount - 1],
    },
  };
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 70_000 }, handle);
server.maxRequestsPerSocket = 0;
server.on("connection", (socket) => {
  counts.socketsOpened++;
  counts.socketsOpen++;
  if (counts.socketsOpen > counts.socketsPeak) counts.socketsPeak = counts.socketsOpen;
  socket.on("close", () => counts.socketsOpen--);
});
server.on("clientError", (_error, socket) => {
  counts.errors++;
  socket.destroy();
});

process.on("message", (message) => {
  if (message === "release") released = true;
  else if (message === "stats") process.send({ type: "stats", stats: stats() });
  else if (message === "exit") {
    server.closeAllConnections();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  }
});
process.on("disconnect", () => process.exit(0));

server.listen({ host: "127.0.0.1", port: 0, backlog: 4096 }, () => {
  process.send({ type: "ready", port: server.address().port });
});
