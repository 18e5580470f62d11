// The library's own CPU per request, without sockets: the same poll loops as
// `npm run bench`, but against an in-memory undici Dispatcher that answers
// every request from a buffer on the next turn of the event loop. No kernel,
// no parser, no second process: what is left is the client's JavaScript
// (undici's request API, the loop, JSON, GC), so small changes to the hot
// path show up here before they drown in the noise of a socket benchmark.
// Each client runs in a fresh child process; the runs are interleaved.
//
//   node bench/overhead.mjs [--reps 5] [--jobs 20000] [--polls 9] [--lib path/to/index.js]
//   node --cpu-prof bench/overhead.mjs --child '{"client":"library","lib":"bench/.build/lib/index.js","jobs":20000}'
//
// With "alloc":true a child also reports the bytes it allocated per request
// (V8's sampling heap profiler; its CPU figure is then not comparable).
//
// Comparing builds (A/B): name each one; a directory holding index.ts (a copy
// of src/ with a change) is built first. The library clients run for every
// build, interleaved, and each build is compared with the first, run by run:
//   node bench/overhead.mjs --lib base=src --lib changed=/path/to/changed/src [--clients library,library+deadline]
import { fork } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { commandLine, median } from "./args.mjs";
import { buildLibrary, namedBuilds } from "./build.mjs";
import { POLLS, WARMUP_JOBS } from "./harness.mjs";
import { jobMetadata } from "./job.mjs";
import { JsonResponse } from "./json-response.mjs";
import { MemoryBackend } from "./memory-backend.mjs";

const IN_FLIGHT = 64;
const ORIGIN = "http://127.0.0.1:1";

const CLIENTS = {
  "raw-undici": "raw loop, undici.request(url, options)",
  "raw-dispatcher": "raw loop, dispatcher.request(options)",
  "raw-dispatch": "raw loop, dispatcher.dispatch() + own handler",
  library: "library (AsyncHttpRunner, dispatcher option)",
  "library+deadline": "library, timeout_seconds set",
};

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

/** The loop one level lower: the dispatcher's dispatch() with the handler above (the floor of `npm run bench`). */
function rawDispatchClient(dispatcher) {
  const kickoffHeaders = { "content-type": "application/json", accept: "application/json" };
  const pollHeaders = { accept: "application/json" };
  const send = (path, method, headers, body) =>
    new Promise((resolve, reject) => {
      dispatcher.dispatch({ origin: ORIGIN, path, method, headers, body }, new JsonResponse(resolve, reject));
    });
  return async () => {
    const kickoff = await send("/runs", "POST", kickoffHeaders, '{"job":"bench"}');
    const pollPath = `/runs/${encodeURIComponent(kickoff.body.id)}`;
    for (;;) {
      const poll = await send(pollPath, "GET", pollHeaders, null);
      if (poll.body.status === "completed") return;
    }
  };
}

async function libraryClient(dispatcher, lib, timeoutSeconds) {
  const { ExecutorRuntime, AsyncHttpRunner, asyncHttpMetadata } = await import(lib);
  const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner({ dispatcher }));
  const metadata = jobMetadata(asyncHttpMetadata, ORIGIN, 0);
  let jobs = 0;
  return async () => {
    // Written whole (bench/client.mjs says why).
    const id = `job-${++jobs}`;
    const invocation =
      timeoutSeconds === undefined
        ? { invocation_id: id, runtime_name: "bench", runtime_kind: "http_async", metadata }
        : { invocation_id: id, runtime_name: "bench", runtime_kind: "http_async", metadata, timeout_seconds: timeoutSeconds };
    const result = await runtime.run(invocation);
    if (result.status !== "succeeded") throw new Error(`${result.status}: ${result.error_summary}`);
  };
}

/** In the child: runs one client and reports its CPU microseconds per request. */
async function child({ client, lib, jobs, polls = POLLS, alloc = false }) {
  const backend = new MemoryBackend({ polls });
  const runJob =
    client === "raw-undici" || client === "raw-dispatcher"
      ? rawClient(backend, client === "raw-dispatcher")
      : client === "raw-dispatch"
        ? rawDispatchClient(backend)
        : await libraryClient(backend, lib, client === "library+deadline" ? 3600 : undefined);
  const runAll = (count) =>
    Promise.all(
      Array.from({ length: IN_FLIGHT }, async (_, slot) => {
        for (let job = slot; job < count; job += IN_FLIGHT) await runJob();
      }),
    );
  await runAll(WARMUP_JOBS);
  const sampler = alloc ? await startAllocationSampling() : undefined;
  const start = process.cpuUsage();
  await runAll(jobs);
  const used = process.cpuUsage(start);
  const requests = jobs * (polls + 2);
  const report = { cpuPerRequestMicros: (used.user + used.system) / requests };
  if (sampler !== undefined) report.allocatedBytesPerRequest = (await sampler.stop()) / requests;
  // Run by hand (node --cpu-prof bench/overhead.mjs --child '{...}'), the child prints its figure.
  if (process.send === undefined) console.log(report);
  else process.send(report);
}

/**
 * V8's sampling heap profiler over the measured runs, counting what is
 * collected too (by a scavenge or a full GC): `stop()` resolves to the bytes
 * allocated in between, as sampled (one sample per 256 bytes on average).
 */
async function startAllocationSampling() {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop() {
      const { profile } = await session.post("HeapProfiler.stopSampling");
      session.disconnect();
      const total = (node) => node.selfSize + node.children.reduce((sum, child) => sum + total(child), 0);
      return total(profile.head);
    },
  };
}

function runChild(config) {
  return new Promise((resolvePromise, reject) => {
    const process = fork(fileURLToPath(import.meta.url), ["--child", JSON.stringify(config)], { stdio: "inherit" });
    let report;
    process.on("message", (message) => (report = message));
    process.on("exit", (code) => (report === undefined ? reject(new Error(`${config.client} exited (${code})`)) : resolvePromise(report)));
  });
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  await child(JSON.parse(args[1]));
} else {
  const { option, options } = commandLine(args);
  const reps = Number(option("--reps", "5"));
  const jobs = Number(option("--jobs", "20000"));
  // "running" answers per job: fewer weigh what a run costs once (its start, its result) more against its requests.
  const polls = Number(option("--polls", String(POLLS)));
  const libSpecs = options("--lib");
  if (libSpecs.some((spec) => spec.includes("="))) {
    await compareBuilds(libSpecs, reps, jobs, polls, option("--clients", "library,library+deadline").split(","));
  } else {
    const lib = libSpecs[0] === undefined ? await buildLibrary() : resolve(libSpecs[0]);
    const runs = Object.fromEntries(Object.keys(CLIENTS).map((name) => [name, []]));
    for (let rep = 0; rep < reps; rep++) {
      for (const client of Object.keys(CLIENTS)) {
        const { cpuPerRequestMicros } = await runChild({ client, lib, jobs, polls });
        runs[client].push(cpuPerRequestMicros);
        console.error(`  rep ${rep + 1} ${client}: ${cpuPerRequestMicros.toFixed(2)} µs/req`);
      }
    }
    console.log(`CPU per request over an in-memory dispatcher, ${IN_FLIGHT} in flight, ${jobs} jobs of ${polls + 2} requests; median of ${reps} [min–max]`);
    const floor = median(runs["raw-undici"]);
    for (const [client, label] of Object.entries(CLIENTS)) {
      const values = runs[client];
      const m = median(values);
      console.log(
        `${label.padEnd(48)} ${m.toFixed(2).padStart(6)} µs [${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}]  ${(m / floor).toFixed(2)}x`,
      );
    }
  }
}

/**
 * A/B: the library clients on each named build, interleaved with the
 * dispatcher loop, each build's figure divided by the first build's of the
 * same repetition (a paired ratio, as in run.mjs).
 */
async function compareBuilds(specs, reps, jobs, polls, clients) {
  const libs = await namedBuilds(specs, "overhead");
  const rows = [{ name: "raw-dispatch", client: "raw-dispatch", lib: libs[0].lib }];
  for (const client of clients) for (const { name, lib } of libs) rows.push({ name: `${client} ${name}`, client, lib, base: `${client} ${libs[0].name}` });
  const runs = new Map(rows.map((row) => [row.name, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const row of rows) {
      const { cpuPerRequestMicros } = await runChild({ client: row.client, lib: row.lib, jobs, polls });
      runs.get(row.name).push(cpuPerRequestMicros);
      console.error(`  rep ${rep + 1} ${row.name}: ${cpuPerRequestMicros.toFixed(2)} µs/req`);
    }
  }
  console.log(`CPU per request over an in-memory dispatcher, ${IN_FLIGHT} in flight, ${jobs} jobs of ${polls + 2} requests; median of ${reps} [min–max]; ratio: run by run, to the first build`);
  for (const row of rows) {
    const values = runs.get(row.name);
    const m = median(values);
    let ratio = "";
    if (row.base !== undefined) {
      const base = runs.get(row.base);
      const ratios = values.map((value, rep) => value / base[rep]);
      ratio = `  ${median(ratios).toFixed(3)}x [${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}]`;
    }
    console.log(`${row.name.padEnd(40)} ${m.toFixed(2).padStart(6)} µs [${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}]${ratio}`);
  }
}
