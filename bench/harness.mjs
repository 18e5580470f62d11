// Shared by run.mjs, profile.mjs and heap.mjs: the client variants, and one
// measurement (a fresh backend process and a fresh client process).
import { fork } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** No single step of a client (warm-up, run) may take longer than this, unless its case sets `runLimitMs`. */
const RUN_LIMIT_MS = 90_000;

/** The lines a client prints (with `jit` set) where its measured window starts and ends. */
export const WINDOW_START = "bench:window-start";
export const WINDOW_END = "bench:window-end";

/** "running" answers per job, unless a case says otherwise; every job is 1 kickoff + POLLS + 1 polls. */
export const POLLS = 9;

// The clients. `floors` are the clients each one is compared with, in the
// order of the tables' ratio cells. The library on undici has three floors:
// undici's top-level request(url, options), as most code calls it, the
// Agent's own request({ origin, path, method }), the cheapest way into
// undici's request API, and the Agent's dispatch(options, handler) with a
// minimal handler, the level the library's default transport sends at.
const UNDICI_FLOORS = ["raw-undici", "raw-agent", "raw-dispatch"];
export const CLIENTS = {
  "raw-undici": { label: "raw loop, undici.request(), Agent(64)", client: "raw-undici", connections: 64 },
  "raw-agent": { label: "raw loop, agent.request(), Agent(64)", client: "raw-agent", connections: 64, floors: ["raw-undici"] },
  "raw-dispatch": {
    label: "raw loop, agent.dispatch(), Agent(64)",
    client: "raw-dispatch",
    connections: 64,
    floors: ["raw-undici", "raw-agent"],
  },
  "raw-dispatch+burn": {
    label: "raw loop, agent.dispatch(), 1,000 steps of arithmetic after each poll",
    client: "raw-dispatch",
    connections: 64,
    burn: 1000,
    floors: ["raw-dispatch"],
  },
  library: { label: "library (default transport)", client: "library", floors: UNDICI_FLOORS },
  "library+events": { label: "library, onEvent listener", client: "library", events: true, floors: UNDICI_FLOORS },
  "library+deadline": { label: "library, timeout_seconds set", client: "library", timeoutSeconds: 3600, floors: UNDICI_FLOORS },
  "raw-fetch": { label: "raw loop, global fetch", client: "raw-fetch" },
  "library-fetch": { label: "library, fetch: globalThis.fetch", client: "library-fetch", floors: ["raw-fetch"] },
  "raw-undici-unbounded": { label: "raw loop, unbounded Agent", client: "raw-undici", floors: ["raw-undici"] },
  "library-unbounded": { label: "library, connections: 1e6", client: "library", connections: 1e6, floors: ["library"] },
  "library-c16": { label: "library, connections: 16", client: "library", connections: 16, floors: ["library"] },
  "library-c32": { label: "library, connections: 32", client: "library", connections: 32, floors: ["library"] },
  "library-c128": { label: "library, connections: 128", client: "library", connections: 128, floors: ["library"] },
  "library-c256": { label: "library, connections: 256", client: "library", connections: 256, floors: ["library"] },
};

/**
 * Jobs each client runs before its measured window, in the throughput cases,
 * `profile.mjs` and `overhead.mjs`: at 512 (64 in flight) a quarter of the
 * window's CPU was V8 still compiling (bench/README.md, "Steady state").
 */
export const WARMUP_JOBS = 4096;

/** The cases of `npm run bench`; `quick` halves them, for trying the harness out. */
export function benchCases({ quick = false } = {}) {
  const scale = quick ? 0.5 : 1;
  return [
    {
      id: "a64",
      title: "(a) throughput: interval 0, 64 invocations in flight",
      mode: "throughput",
      inFlight: 64,
      intervalMs: 0,
      polls: POLLS,
      jobsPerSlot: Math.round(24 * scale),
      warmupJobs: WARMUP_JOBS,
      clients: ["raw-undici", "raw-agent", "raw-dispatch", "library", "library+events", "raw-fetch", "library-fetch"],
    },
    {
      id: "a512",
      title: "(a) throughput: interval 0, 512 invocations in flight",
      mode: "throughput",
      inFlight: 512,
      intervalMs: 0,
      polls: POLLS,
      jobsPerSlot: Math.max(1, Math.round(4 * scale)),
      warmupJobs: WARMUP_JOBS,
      clients: ["raw-undici", "raw-agent", "raw-dispatch", "library", "library+deadline", "raw-undici-unbounded", "library-unbounded"],
    },
    {
      id: "b",
      title: "(b) memory: 10,000 invocations in flight, interval 1 s",
      mode: "memory",
      inFlight: quick ? 5000 : 10_000,
      intervalMs: 1000,
      warmupJobs: 64,
      clients: ["raw-undici", "raw-agent", "raw-dispatch", "library", "library+events", "library+deadline", "library-unbounded"],
    },
    {
      // Opt-in (--only b100k): about 70 s per client and run. Kickoffs are spread over one interval, so that the
      // polls come at a steady ~3,300 per second, which the client and the backend keep up with on 2 cores. Every
      // client is measured 65 s after its kickoffs began: every run has waited one interval and been polled after
      // it (the library also polls once right after the kickoff; that poll is left out of the lateness).
      id: "b100k",
      optional: true,
      title: "(b) memory: 100,000 invocations in flight, interval 30 s",
      mode: "memory",
      inFlight: quick ? 50_000 : 100_000,
      intervalMs: 30_000,
      staggerMs: 30_000,
      warmupJobs: 64,
      loopDelay: true,
      waitedOnly: true,
      measureAtMs: 65_000,
      runLimitMs: 180_000,
      reps: 1,
      clients: ["raw-dispatch", "library", "library+deadline"],
    },
    {
      id: "c",
      title: "(c) cadence: 1,000 invocations in flight, interval 500 ms",
      mode: "cadence",
      inFlight: 1000,
      intervalMs: 500,
      polls: quick ? 4 : 6,
      staggerMs: 500,
      warmupJobs: 512,
      reps: quick ? 1 : 5,
      clients: ["raw-undici", "raw-dispatch", "library"],
    },
    {
      id: "sweep",
      optional: true,
      title: "connection limit sweep: throughput, interval 0, 512 in flight",
      mode: "throughput",
      inFlight: 512,
      intervalMs: 0,
      polls: POLLS,
      jobsPerSlot: 2,
      warmupJobs: WARMUP_JOBS,
      clients: ["library-c16", "library-c32", "library", "library-c128", "library-c256", "library-unbounded"],
    },
  ];
}

function start(file, config, execArgv = [], { keepStdout = false } = {}) {
  const stdout = keepStdout ? "pipe" : "inherit";
  const child = fork(join(here, file), [JSON.stringify(config)], { execArgv, stdio: ["ignore", stdout, "pipe", "ipc"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stderrText = () => stderr;
  let out = "";
  child.stdout?.on("data", (chunk) => {
    out += chunk;
  });
  child.stdoutText = () => out;
  return child;
}

/**
 * What V8's optimizing compiler did inside the measured window, from the
 * `--trace-opt` lines a client prints between its window marks: functions
 * compiled, and the milliseconds they took (all three phases; the middle
 * one runs on a background thread, and counts in the process's CPU time).
 */
function jitInWindow(stdout) {
  const window = stdout.split(`${WINDOW_START}\n`)[1]?.split(`${WINDOW_END}\n`)[0] ?? "";
  let compiles = 0;
  let ms = 0;
  for (const match of window.matchAll(/completed compiling .* took ([\d.]+), ([\d.]+), ([\d.]+) ms/g)) {
    compiles += 1;
    ms += Number(match[1]) + Number(match[2]) + Number(match[3]);
  }
  return { compiles, ms };
}

function once(child, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message?.type === type) {
        cleanup();
        resolve(message);
      } else if (message?.type === "error") {
        cleanup();
        reject(new Error(message.error));
      }
    };
    const onExit = (code) => {
      cleanup();
      reject(new Error(`${child.spawnfile} exited (${code}) before "${type}": ${child.stderrText().slice(-2000)}`));
    };
    const cleanup = () => {
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

function withLimit(promise, ms, what) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** One measurement: a fresh backend and a fresh client process. */
export async function measure(testCase, clientName, lib, { execArgv = [], snapshotDir, cpuProfile, survivors, jit = false } = {}) {
  const variant = CLIENTS[clientName];
  const server = start("server.mjs", {
    polls: testCase.polls ?? POLLS,
    warmupRuns: testCase.warmupJobs,
    warmupPolls: 2,
    intervalMs: testCase.intervalMs,
    hold: testCase.mode === "memory",
    expectedRuns: testCase.inFlight,
    waitedOnly: testCase.waitedOnly === true,
  });
  const limitMs = testCase.runLimitMs ?? RUN_LIMIT_MS;
  let client;
  let reported = false;
  try {
    const { port } = await withLimit(once(server, "ready"), 10_000, "server start");
    client = start(
      "client.mjs",
      {
        client: variant.client,
        lib,
        port,
        mode: testCase.mode,
        inFlight: testCase.inFlight,
        jobsPerSlot: testCase.jobsPerSlot,
        warmupJobs: testCase.warmupJobs,
        intervalMs: testCase.intervalMs,
        connections: variant.connections,
        events: variant.events === true,
        timeoutSeconds: variant.timeoutSeconds,
        burn: variant.burn,
        staggerMs: testCase.staggerMs,
        loopDelay: testCase.loopDelay === true,
        snapshotDir,
        cpuProfile,
        survivors,
        jit,
      },
      ["--expose-gc", ...(jit ? ["--trace-opt"] : []), ...execArgv],
      { keepStdout: jit },
    );
    const done = once(client, "done");
    done.catch(() => {});
    await withLimit(once(client, "warmed"), limitMs, `${clientName} warm-up`);
    const warmedAt = Date.now();
    // Memory mode: the backend's figures when the client is told to measure, before its heap samples (whose full
    // GCs hold up its polls) and its exit.
    let atMeasure;
    if (testCase.mode === "memory") {
      // Measured once every run has been polled; the client stops its CPU clock when told, and the
      // backend's request count is read at the same moment.
      await withLimit(once(server, "allPolling"), limitMs, `${clientName}: every run polled`);
      // A case may set the moment of measurement, so that every client is measured at the same point of its schedule.
      if (testCase.measureAtMs !== undefined) await sleep(Math.max(0, warmedAt + testCase.measureAtMs - Date.now()));
      const counted = once(server, "stats");
      server.send("stats");
      client.send("measure");
      atMeasure = (await withLimit(counted, 10_000, "server stats")).stats;
    }
    const { report } = await withLimit(done, limitMs, `${clientName} run`);
    reported = true;
    const stats = once(server, "stats");
    server.send("stats");
    const { stats: backend } = await withLimit(stats, 10_000, "server stats");
    const requests = atMeasure?.requests ?? backend.requests;
    const lateness = atMeasure?.lateness ?? backend.lateness;
    return {
      cpuPerRequestMicros: report.cpuMicros / requests,
      burnMicros: report.burnMicros,
      cpuUserPerRequestMicros: report.cpuUserMicros / requests,
      cpuSystemPerRequestMicros: report.cpuSystemMicros / requests,
      preemptionsPerKRequest: report.preemptions === undefined ? undefined : (report.preemptions / requests) * 1000,
      requestsPerSecond: requests / (report.wallMs / 1000),
      peakRssMB: report.maxRssBytes / 2 ** 20,
      heapPerInFlightKB: report.heapPerInFlightBytes === undefined ? undefined : report.heapPerInFlightBytes / 1024,
      rssPerInFlightKB: report.rssPerInFlightBytes === undefined ? undefined : report.rssPerInFlightBytes / 1024,
      socketsOpened: backend.socketsOpened,
      latenessP50Ms: lateness.p50,
      latenessP99Ms: lateness.p99,
      // The loop's p99 delay beyond the monitor's 10 ms timer.
      loopDelayP99Ms: report.loopDelayP99Ms === undefined ? undefined : Math.max(0, report.loopDelayP99Ms - 10),
      requests,
      backendErrors: backend.errors,
      wallMs: report.wallMs,
      ...(jit ? { jit: jitInWindow(client.stdoutText()) } : {}),
    };
  } finally {
    // A client that reported exits by itself (writing its CPU profile, if any); one that did not is killed.
    if (client !== undefined && client.exitCode === null && client.signalCode === null) {
      if (reported) {
        const exited = new Promise((resolve) => client.once("exit", resolve));
        await withLimit(exited, 10_000, "client exit").catch(() => client.kill("SIGKILL"));
      } else {
        client.kill("SIGKILL");
      }
    }
    if (server.connected) server.send("exit");
    setTimeout(() => server.kill("SIGKILL"), 1000).unref();
  }
}

