// A/B comparison of library builds on one case, against the raw loop, with
// the runs interleaved so that the machine's noise falls on every build alike.
// A build is a directory holding index.ts (a copy of src/ with a change) or a
// built index.js.
//
//   node bench/compare.mjs --case a512 [--reps 5] [--client library] [--floor raw-undici | raw-agent | raw-dispatch]
//                          [--warmup <jobs>] [--polls <n>] [--jobs-per-slot <n>] [--detail] [--jit]
//                          --lib base=src --lib patched=/tmp/patched-src
//
// --warmup replaces the case's warm-up (in jobs); --polls, the "running"
// answers the backend gives each job before "completed" (comparing two
// values splits a client's CPU into what it spends per run and per request);
// --jobs-per-slot, the jobs each slot runs in the measured window of a
// throughput case (a longer window holds less of the JIT's warm-up). --detail
// adds the CPU's user and system parts and the main thread's preemptions per
// 1,000 requests (Linux). --jit runs the clients with
// V8's --trace-opt and adds what the optimizing compiler did inside the
// measured window (functions compiled, and their milliseconds), which tells
// whether the warm-up reached a steady state.
import { buildLibrary, namedBuilds } from "./build.mjs";
import { CLIENTS, benchCases, measure } from "./harness.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};
const options = (name) => args.flatMap((arg, i) => (arg === name ? [args[i + 1]] : []));

const caseId = option("--case", "a512");
const reps = Number(option("--reps", "5"));
const clientName = option("--client", "library");
const floorName = option("--floor", "raw-undici");
const jit = args.includes("--jit");
const listedCase = benchCases().find((c) => c.id === caseId);
if (listedCase === undefined) throw new Error(`unknown case ${caseId}`);
const overrides = { warmupJobs: option("--warmup"), polls: option("--polls"), jobsPerSlot: option("--jobs-per-slot") };
const testCase = { ...listedCase };
for (const [key, value] of Object.entries(overrides)) if (value !== undefined) testCase[key] = Number(value);

const libs = await namedBuilds(options("--lib"), "compare");
if (libs.length === 0) libs.push({ name: "src", lib: await buildLibrary() });

const keys = {
  throughput: ["cpuPerRequestMicros", "requestsPerSecond"],
  memory: ["heapPerInFlightKB", "cpuPerRequestMicros", "peakRssMB"],
  cadence: ["latenessP50Ms", "latenessP99Ms", "cpuPerRequestMicros"],
}[testCase.mode];
if (testCase.loopDelay) keys.push("latenessP99Ms", "loopDelayP99Ms");
if (args.includes("--detail")) keys.push("cpuUserPerRequestMicros", "cpuSystemPerRequestMicros", "preemptionsPerKRequest");
if (CLIENTS[clientName]?.burn !== undefined) keys.push("burnMicros");
if (jit) keys.push("jitCompiles", "jitMs");
const rows = [{ name: floorName, client: floorName, lib: libs[0].lib }, ...libs.map((l) => ({ name: l.name, client: clientName, lib: l.lib }))];
const results = new Map(rows.map((row) => [row.name, []]));
for (let rep = 0; rep < reps; rep++) {
  for (const row of rows) {
    try {
      const result = await measure(testCase, row.client, row.lib, { jit });
      if (jit) Object.assign(result, { jitCompiles: result.jit.compiles, jitMs: result.jit.ms });
      results.get(row.name).push(result);
      console.error(`  rep ${rep + 1} ${row.name}: ${keys.map((k) => `${k} ${result[k]?.toFixed(2)}`).join(", ")}`);
    } catch (error) {
      console.error(`  rep ${rep + 1} ${row.name}: FAILED: ${error.message}`);
    }
  }
}

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const shape = [
  overrides.polls === undefined ? "" : `, ${testCase.polls} "running" answers per job`,
  overrides.jobsPerSlot === undefined ? "" : `, ${testCase.jobsPerSlot} jobs per slot`,
].join("");
console.log(`${testCase.title}, warm-up ${testCase.warmupJobs} jobs${shape}; client "${clientName}"; median of ${reps}; ratio vs ${floorName}`);
const floor = Object.fromEntries(keys.map((k) => [k, median(results.get(floorName).map((r) => r[k]))]));
for (const row of rows) {
  const cells = keys.map((k) => {
    const m = median(results.get(row.name).map((r) => r[k]));
    return `${k} ${m.toFixed(2)} (${(m / floor[k]).toFixed(2)}x)`;
  });
  console.log(`${row.name.padEnd(16)} ${cells.join("  ")}`);
}
