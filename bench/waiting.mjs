// The live heap of a waiting run alone: no sockets, and no request in flight
// or queued in a pool, which at 10,000 in flight in case (b) vary from one
// sample to the next. N runs go against the in-memory backend of
// overhead.mjs; they are measured once every run has had two polls answered
// (the first follows the kickoff at once, the second a wait of 0.5 s) and
// waits 20 s for its third: live heap after a full GC, minus the baseline,
// per run. Each build runs in fresh processes, without and with
// `timeout_seconds`, interleaved.
//
//   node bench/waiting.mjs [--runs 20000] [--reps 3] [--interpreted] [--lib name=path ...]
//
// --interpreted runs the clients with V8's optimizing compilers off: a
// suspended async frame then keeps every local it ever held, where optimized
// code drops the dead ones. The bench measures optimized code mostly, but a
// function may be deoptimized at any time, so a figure that differs between
// the two modes depends on what a run's frame holds while it waits.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { commandLine, median } from "./args.mjs";
import { buildLibrary, namedBuilds } from "./build.mjs";
import { jobMetadata } from "./job.mjs";
import { MemoryBackend } from "./memory-backend.mjs";

const ORIGIN = "http://127.0.0.1:1";
const WARMUP_ROUNDS = 8;
const WARMUP_SLOTS = 512;

/** In the child: starts `runs` runs, waits until each had two polls answered, reports bytes per run. */
async function child({ lib, runs, deadline }) {
  const { ExecutorRuntime, AsyncHttpRunner, asyncHttpMetadata } = await import(lib);
  const backend = new MemoryBackend();
  const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner({ dispatcher: backend }));
  let jobs = 0;
  const runJob = async (metadata) => {
    // Written whole (bench/client.mjs says why).
    const id = `job-${++jobs}`;
    const invocation = deadline
      ? { invocation_id: id, runtime_name: "bench", runtime_kind: "http_async", metadata, timeout_seconds: 3600 }
      : { invocation_id: id, runtime_name: "bench", runtime_kind: "http_async", metadata };
    const result = await runtime.run(invocation);
    if (result.status !== "succeeded") throw new Error(`${result.status}: ${result.error_summary}`);
  };
  const fail = (error) => process.send({ error: String(error?.stack ?? error) }, () => process.exit(1));
  const warm = jobMetadata(asyncHttpMetadata, ORIGIN, 0);
  for (let round = 0; round < WARMUP_ROUNDS; round++) await Promise.all(Array.from({ length: WARMUP_SLOTS }, () => runJob(warm)));
  // Waits of 0.5 s, then 20 s: every run is measured in the long one.
  const metadata = { ...jobMetadata(asyncHttpMetadata, ORIGIN, 500), "http.poll_backoff": "40" };
  const collect = () => {
    global.gc();
    global.gc();
    return process.memoryUsage().heapUsed;
  };
  const baseline = collect();
  const kickoffs = backend.kickoffs;
  const polls = backend.polls;
  for (let i = 0; i < runs; i++) runJob(metadata).catch(fail);
  while (backend.kickoffs - kickoffs < runs || backend.polls - polls < 2 * runs) await new Promise((resolve) => setTimeout(resolve, 20));
  // Lets each run read its answer and start its long wait.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const bytesPerRun = (collect() - baseline) / runs;
  if (backend.polls - polls !== 2 * runs) throw new Error(`${backend.polls - polls} polls, expected ${2 * runs}`);
  process.send({ bytesPerRun }, () => process.exit(0));
}

function runChild(config, execArgv) {
  return new Promise((resolvePromise, reject) => {
    const process = fork(fileURLToPath(import.meta.url), ["--child", JSON.stringify(config)], { execArgv: ["--expose-gc", ...execArgv] });
    let report;
    process.on("message", (message) => (report = message));
    process.on("exit", (code) => {
      if (report?.bytesPerRun !== undefined) resolvePromise(report.bytesPerRun);
      else reject(new Error(`child exited (${code}): ${report?.error ?? "no report"}`));
    });
  });
}

const args = process.argv.slice(2);
if (args[0] === "--child") {
  await child(JSON.parse(args[1]));
} else {
  const { option, options, flag } = commandLine(args);
  const runs = Number(option("--runs", "20000"));
  const reps = Number(option("--reps", "3"));
  const execArgv = flag("--interpreted") ? ["--no-opt", "--no-maglev"] : [];
  const specs = options("--lib");
  const libs = specs.length === 0 ? [{ name: "src", lib: await buildLibrary() }] : await namedBuilds(specs, "waiting");
  const modes = [
    ["no deadline", false],
    ["timeout_seconds", true],
  ];
  const figures = new Map();
  for (let rep = 0; rep < reps; rep++) {
    for (const { name, lib } of libs) {
      for (const [mode, deadline] of modes) {
        const bytes = await runChild({ lib, runs, deadline }, execArgv);
        const key = `${name} ${mode}`;
        figures.set(key, [...(figures.get(key) ?? []), bytes]);
        console.error(`  rep ${rep + 1} ${key}: ${bytes.toFixed(0)} B per waiting run`);
      }
    }
  }
  const code = execArgv.length === 0 ? "optimizing compilers on" : "interpreted (--no-opt --no-maglev)";
  console.log(`Live heap per waiting run, ${runs} runs waiting after two polls, no request in flight, ${code}; median of ${reps} [min–max]`);
  for (const [mode] of modes) {
    const first = median(figures.get(`${libs[0].name} ${mode}`));
    for (const { name } of libs) {
      const values = figures.get(`${name} ${mode}`);
      const m = median(values);
      const delta = name === libs[0].name ? "" : `  ${m - first >= 0 ? "+" : ""}${(m - first).toFixed(0)} B`;
      console.log(`${`${name}, ${mode}`.padEnd(40)} ${m.toFixed(0).padStart(6)} B [${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}]${delta}`);
    }
  }
}
