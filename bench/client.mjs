// One benchmark client, run in a fresh child process (with --expose-gc).
// Every client does the same work against bench/server.mjs: kick a job off,
// poll its status until "completed", and repeat.
//
// Config: JSON in argv[2]:
//   client       raw-undici | raw-agent | raw-dispatch | raw-fetch | library | library-fetch
//   lib          path of the built library (library clients)
//   port         the fake backend's port
//   mode         throughput | memory | cadence
//   inFlight     invocations in flight
//   jobsPerSlot  jobs each in-flight slot runs back to back (throughput)
//   warmupJobs   jobs run first, at interval 0, and not measured
//   intervalMs   wait between polls
//   connections  per-origin connection limit (undefined: undici's default, unbounded)
//   events       library clients: pass an onEvent listener
//   timeoutSeconds library clients: set the invocations' timeout_seconds (a deadline per run)
//   burn         raw-dispatch: steps of arithmetic after each poll's answer, timed (reported as burnMicros)
//   staggerMs    cadence and memory: spread the kickoffs over this many ms
//   loopDelay    record the event loop's delay (perf_hooks.monitorEventLoopDelay) in the measured part
//   snapshotDir  memory: write heap snapshots at the baseline and at the measurement
//   cpuProfile   write a CPU profile of the measured part (after the warm-up) to this file
//   survivors    write a sampling heap profile of the measured part to this file: the objects allocated in it that
//                outlived a scavenge (alive at its end, or collected by a full GC), by allocation site
//   jit          print the marks of the measured window on stdout, around the --trace-opt lines V8 prints there
// IPC out: "warmed", "done" {report}, "error". IPC in: "measure" (memory mode: measure the heap now).
import { readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { writeHeapSnapshot } from "node:v8";
import { WINDOW_END, WINDOW_START } from "./harness.mjs";
import { jobMetadata } from "./job.mjs";
import { JsonResponse } from "./json-response.mjs";

const config = JSON.parse(process.argv[2]);
const base = `http://127.0.0.1:${config.port}`;
const KICKOFF_BODY = '{"job":"bench"}';

/** Resolves when the parent sends `type`. */
function fromParent(type) {
  return new Promise((resolve) => {
    const onMessage = (message) => {
      if (message === type) {
        process.off("message", onMessage);
        resolve();
      }
    };
    process.on("message", onMessage);
  });
}

/**
 * A hand-written poll loop with one keep-alive Agent: the floor. `direct`
 * sends through the Agent's own `request({ origin, path, method })`, the
 * cheapest way into undici, instead of the top-level `request(url, options)`,
 * which parses the URL and copies the options on every call.
 */
async function rawUndiciClient(direct) {
  const { Agent, request } = await import("undici");
  const agent = new Agent(config.connections === undefined ? {} : { connections: config.connections });
  const kickoffHeaders = { "content-type": "application/json", accept: "application/json" };
  const pollHeaders = { accept: "application/json" };
  // A target is a path for the Agent's request() and a whole URL for the top-level one, built once per job.
  const prefix = direct ? "" : base;
  const send = direct
    ? (path, method, headers, body) => agent.request({ origin: base, path, method, headers, body })
    : (url, method, headers, body) => request(url, { method, headers, body, dispatcher: agent });
  const kickoffTarget = `${prefix}/runs`;
  async function runJob(_index, intervalMs) {
    const kickoff = await send(kickoffTarget, "POST", kickoffHeaders, KICKOFF_BODY);
    const accepted = JSON.parse(await kickoff.body.text());
    if (kickoff.statusCode !== 202) throw new Error(`kickoff answered ${kickoff.statusCode}`);
    const pollTarget = `${prefix}/runs/${encodeURIComponent(accepted.id)}`;
    for (;;) {
      if (intervalMs > 0) await sleep(intervalMs);
      const poll = await send(pollTarget, "GET", pollHeaders, null);
      const body = JSON.parse(await poll.body.text());
      if (poll.statusCode !== 200) throw new Error(`poll answered ${poll.statusCode}`);
      if (body.status === "completed") return;
      if (body.status === "failed") throw new Error("job failed");
    }
  }
  return { runJob, close: () => agent.close() };
}

/**
 * The same loop one level lower: the Agent's `dispatch(options, handler)`
 * with the minimal handler above, the way the library's default transport
 * sends (PERFORMANCE.md, "A response handler of our own"). The floor of what
 * a loop on undici can cost.
 */
async function rawDispatchClient() {
  const { Agent } = await import("undici");
  const burnSteps = config.burn ?? 0;
  const agent = new Agent(config.connections === undefined ? {} : { connections: config.connections });
  const kickoffHeaders = { "content-type": "application/json", accept: "application/json" };
  const pollHeaders = { accept: "application/json" };
  const send = (path, method, headers, body) =>
    new Promise((resolve, reject) => {
      agent.dispatch({ origin: base, path, method, headers, body }, new JsonResponse(resolve, reject));
    });
  async function runJob(_index, intervalMs) {
    const kickoff = await send("/runs", "POST", kickoffHeaders, KICKOFF_BODY);
    if (kickoff.status !== 202) throw new Error(`kickoff answered ${kickoff.status}`);
    const pollPath = `/runs/${encodeURIComponent(kickoff.body.id)}`;
    for (;;) {
      if (intervalMs > 0) await sleep(intervalMs);
      const poll = await send(pollPath, "GET", pollHeaders, null);
      if (burnSteps > 0) burned.add(burnSteps);
      if (poll.status !== 200) throw new Error(`poll answered ${poll.status}`);
      const status = poll.body.status;
      if (status === "completed") return;
      if (status === "failed") throw new Error("job failed");
    }
  }
  return { runJob, close: () => agent.close(), burnMicros: () => burned.meanMicros() };
}

/**
 * Arithmetic with no allocation, timed: what a given amount of extra JavaScript per poll costs in a client
 * (the `burn` config). Standalone, 1,000 steps take about 1 µs once optimized.
 */
const burned = {
  ms: 0,
  count: 0,
  sink: 0,
  add(steps) {
    const start = performance.now();
    let x = 0;
    for (let i = 0; i < steps; i++) x = (x * 31 + i) | 0;
    this.sink ^= x;
    this.ms += performance.now() - start;
    this.count += 1;
  },
  meanMicros() {
    return this.count === 0 ? undefined : (this.ms / this.count) * 1000;
  },
};

/** The same loop on Node's global fetch: the floor of the library's `fetch` option. */
async function rawFetchClient() {
  const kickoffHeaders = { "content-type": "application/json", accept: "application/json" };
  const pollHeaders = { accept: "application/json" };
  const kickoffUrl = `${base}/runs`;
  async function runJob(_index, intervalMs) {
    const kickoff = await fetch(kickoffUrl, { method: "POST", headers: kickoffHeaders, body: KICKOFF_BODY });
    const accepted = JSON.parse(await kickoff.text());
    if (kickoff.status !== 202) throw new Error(`kickoff answered ${kickoff.status}`);
    const pollUrl = `${base}/runs/${encodeURIComponent(accepted.id)}`;
    for (;;) {
      if (intervalMs > 0) await sleep(intervalMs);
      const poll = await fetch(pollUrl, { method: "GET", headers: pollHeaders });
      const body = JSON.parse(await poll.text());
      if (poll.status !== 200) throw new Error(`poll answered ${poll.status}`);
      if (body.status === "completed") return;
      if (body.status === "failed") throw new Error("job failed");
    }
  }
  return { runJob, close: async () => {} };
}

/** The library: ExecutorRuntime + AsyncHttpRunner, default transport or the `fetch` option. */
async function libraryClient(useFetch) {
  const { ExecutorRuntime, AsyncHttpRunner, asyncHttpMetadata } = await import(config.lib);
  const options = useFetch ? { fetch: globalThis.fetch } : config.connections === undefined ? {} : { connections: config.connections };
  const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner(options));
  const metadataFor = (intervalMs) => jobMetadata(asyncHttpMetadata, base, intervalMs);
  const metadata = new Map();
  let events = 0;
  const runOptions = config.events ? { onEvent: () => void events++ } : undefined;
  async function runJob(index, intervalMs) {
    let shared = metadata.get(intervalMs);
    if (shared === undefined) metadata.set(intervalMs, (shared = metadataFor(intervalMs)));
    // Written whole, as a dispatcher writes one: a field added afterwards would give the invocation, which this frame
    // keeps while the run waits, a property array of its own (40 bytes; PERFORMANCE.md, "The dispatch() floor").
    const invocation =
      config.timeoutSeconds === undefined
        ? { invocation_id: `job-${index}`, runtime_name: "bench", runtime_kind: "http_async", metadata: shared }
        : { invocation_id: `job-${index}`, runtime_name: "bench", runtime_kind: "http_async", metadata: shared, timeout_seconds: config.timeoutSeconds };
    const result = await runtime.run(invocation, runOptions);
    if (result.status !== "succeeded") throw new Error(`job ${index}: ${result.status}: ${result.error_summary}`);
  }
  return { runJob, close: () => runtime.close(), events: () => events };
}

/**
 * Times the main thread was preempted so far (Linux: its nonvoluntary context switches; undefined elsewhere).
 * On a machine whose cores the client shares with the backend, a busier client is preempted more often.
 */
function preemptions() {
  try {
    const status = readFileSync(`/proc/self/task/${process.pid}/status`, "utf8");
    return Number(/nonvoluntary_ctxt_switches:\s*(\d+)/.exec(status)[1]);
  } catch {
    return undefined;
  }
}

/** The measured window's figures, from where it started. */
function endWindow(report, start) {
  const usage = process.cpuUsage(start.cpu);
  report.cpuMicros = usage.user + usage.system;
  report.cpuUserMicros = usage.user;
  report.cpuSystemMicros = usage.system;
  report.wallMs = performance.now() - start.wall;
  const preempted = preemptions();
  report.preemptions = preempted === undefined || start.preempted === undefined ? undefined : preempted - start.preempted;
}

function collect() {
  global.gc();
  global.gc();
  return process.memoryUsage();
}

/** Stops the CPU profiler, if one runs, and writes its profile. */
async function stopProfiler(profiler) {
  if (profiler === undefined) return;
  const { profile } = await profiler.post("Profiler.stop");
  writeFileSync(config.cpuProfile, JSON.stringify(profile));
  profiler.disconnect();
}

/**
 * Samples what the measured part allocates that a scavenge does not collect: V8's sampling heap
 * profiler, leaving out what minor GCs collected. What is left was copied out of the young
 * generation: alive at the end, or promoted and collected by a full GC later.
 */
async function startSurvivorSampling() {
  if (config.survivors === undefined) return undefined;
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
  return session;
}

async function stopSurvivorSampling(session) {
  if (session === undefined) return;
  const { profile } = await session.post("HeapProfiler.stopSampling");
  writeFileSync(config.survivors, JSON.stringify(profile));
  session.disconnect();
}

async function main() {
  const client =
    config.client === "raw-undici" || config.client === "raw-agent"
      ? await rawUndiciClient(config.client === "raw-agent")
      : config.client === "raw-dispatch"
        ? await rawDispatchClient()
        : config.client === "raw-fetch"
          ? await rawFetchClient()
          : await libraryClient(config.client === "library-fetch");
  let nextIndex = 0;
  const runJob = (intervalMs) => client.runJob(++nextIndex, intervalMs);

  // Warm-up at interval 0: JIT, connection pool, lazily built state. Not measured.
  const warmupJobs = config.warmupJobs;
  const warmSlots = Math.min(warmupJobs, config.inFlight);
  await Promise.all(
    Array.from({ length: warmSlots }, async (_, slot) => {
      for (let job = slot; job < warmupJobs; job += warmSlots) await runJob(0);
    }),
  );
  // Only the memory case needs a heap baseline. A forced full GC here, with no run in flight, lets V8 collect the
  // maps of the clients' objects and deoptimize the code compiled for them; re-optimizing would then fall in the
  // measured window (bench/README.md, "Steady state").
  const baseline = config.mode === "memory" ? collect() : undefined;
  if (config.snapshotDir !== undefined) writeHeapSnapshot(join(config.snapshotDir, "baseline.heapsnapshot"));
  process.send({ type: "warmed" });

  const survivors = await startSurvivorSampling();
  let profiler;
  if (config.cpuProfile !== undefined) {
    const { Session } = await import("node:inspector/promises");
    profiler = new Session();
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.setSamplingInterval", { interval: 200 });
    await profiler.post("Profiler.start");
  }
  // Written synchronously: a write through process.stdout would go through the stream code the sockets use and
  // deoptimize it (another kind of stream), which the window would then pay to compile again.
  if (config.jit) writeSync(1, `${WINDOW_START}\n`);
  const loopDelay = config.loopDelay ? monitorEventLoopDelay({ resolution: 10 }) : undefined;
  loopDelay?.enable();
  const start = { cpu: process.cpuUsage(), wall: performance.now(), preempted: preemptions() };
  const report = {};

  if (config.mode === "throughput") {
    await Promise.all(
      Array.from({ length: config.inFlight }, async () => {
        for (let job = 0; job < config.jobsPerSlot; job++) await runJob(config.intervalMs);
      }),
    );
  } else if (config.mode === "memory") {
    // The jobs are left unfinished: the process ends once the heap is measured.
    const measureNow = fromParent("measure");
    if (config.staggerMs === undefined) {
      for (let i = 0; i < config.inFlight; i++) runJob(config.intervalMs).catch(fail);
    } else {
      // Kickoffs spread evenly over staggerMs, in batches every 10 ms, so that the polls come at a steady rate.
      for (let started = 0; started < config.inFlight; ) {
        const due = Math.min(config.inFlight, Math.ceil(((performance.now() - start.wall) / config.staggerMs) * config.inFlight));
        for (; started < due; started++) runJob(config.intervalMs).catch(fail);
        if (started < config.inFlight) await sleep(10);
      }
    }
    await measureNow;
    endWindow(report, start);
    await stopProfiler(profiler);
    await stopSurvivorSampling(survivors);
    loopDelay?.disable();
    if (loopDelay !== undefined) report.loopDelayP99Ms = loopDelay.percentile(99) / 1e6;
    // Three samples, 300 ms apart, after a full GC each; the median is kept. At 10,000 in flight
    // a share of the invocations has a poll queued in the pool at any instant, and that share varies.
    const samples = [];
    for (let i = 0; i < 3; i++) {
      await sleep(i === 0 ? 200 : 300);
      samples.push(collect());
    }
    const heap = samples.map((m) => m.heapUsed).sort((a, b) => a - b)[1];
    const rss = samples.map((m) => m.rss).sort((a, b) => a - b)[1];
    report.heapPerInFlightBytes = (heap - baseline.heapUsed) / config.inFlight;
    report.rssPerInFlightBytes = (rss - baseline.rss) / config.inFlight;
    if (config.snapshotDir !== undefined) writeHeapSnapshot(join(config.snapshotDir, "measured.heapsnapshot"));
    report.maxRssBytes = process.resourceUsage().maxRSS * 1024;
    report.events = client.events?.();
    process.send({ type: "done", report }, () => process.exit(0));
    return;
  } else if (config.mode === "cadence") {
    const stagger = config.staggerMs / config.inFlight;
    await Promise.all(
      Array.from({ length: config.inFlight }, async (_, slot) => {
        if (slot > 0) await sleep(slot * stagger);
        await runJob(config.intervalMs);
      }),
    );
  } else {
    throw new Error(`unknown mode ${config.mode}`);
  }

  endWindow(report, start);
  report.burnMicros = client.burnMicros?.();
  loopDelay?.disable();
  if (loopDelay !== undefined) report.loopDelayP99Ms = loopDelay.percentile(99) / 1e6;
  if (config.jit) writeSync(1, `${WINDOW_END}\n`);
  await stopProfiler(profiler);
  await stopSurvivorSampling(survivors);
  report.maxRssBytes = process.resourceUsage().maxRSS * 1024;
  report.events = client.events?.();
  await client.close();
  process.send({ type: "done", report }, () => process.exit(0));
}

function fail(error) {
  process.send?.({ type: "error", error: String(error?.stack ?? error) }, () => process.exit(1));
}

main().catch(fail);
