// npm run bench: builds the library from source, then measures the cost of
// the library's poll loop against a hand-written one in the same run.
// See bench/README.md for what each case measures and how to read the table.
//
//   node bench/run.mjs [--quick] [--reps n] [--only a64,a512,b,c,sweep,b100k] [--sweep]
//                      [--lib path/to/index.js] [--no-save] [--out file]
//
// The results are written to bench/RESULTS.md after a full run, and to --out
// whenever it is given.
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, platform, arch } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { buildLibrary } from "./build.mjs";
import { CLIENTS, benchCases, measure } from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
};

const quick = flag("--quick");
const reps = Number(option("--reps") ?? (quick ? 1 : 3));
const only = option("--only")?.split(",");
const save = !flag("--no-save") && (option("--out") !== undefined || (option("--lib") === undefined && only === undefined && !quick));
const outFile = option("--out") ?? join(here, "RESULTS.md");
const CASES = benchCases({ quick });

// ---------------------------------------------------------------- statistics and formatting

function summarize(values) {
  const sorted = values.filter((v) => v !== undefined && v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

function num(value, digits) {
  if (value === undefined) return "–";
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function digitsFor(value) {
  const magnitude = Math.abs(value);
  return magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
}

function cell(stat) {
  if (stat === undefined) return "–";
  const d = digitsFor(stat.median);
  return `${num(stat.median, d)} [${num(stat.min, d)}–${num(stat.max, d)}]`;
}

/**
 * The ratio of a client's figure to its floor's, taken run by run: the two
 * clients of one repetition run back to back, so a change in the machine's
 * load between repetitions falls on both sides of each ratio. The median of
 * those ratios, with their minimum and maximum.
 */
function pairedRatio(runs, floorRuns, key) {
  const ratios = [];
  for (let rep = 0; rep < runs.length; rep++) {
    const value = runs[rep]?.[key];
    const floor = floorRuns[rep]?.[key];
    if (typeof value === "number" && typeof floor === "number" && floor > 0) ratios.push(value / floor);
  }
  return summarize(ratios);
}

function ratioCell(stat) {
  return stat === undefined ? "–" : `${stat.median.toFixed(2)}x`;
}

/** The floors of `name` that ran in this case, in the order of its ratio cells. */
function floorsIn(name, results) {
  return (CLIENTS[name].floors ?? []).filter((floor) => results[floor] !== undefined);
}

function ratioRange(stat) {
  return stat === undefined ? "–" : `${stat.median.toFixed(2)}x [${stat.min.toFixed(2)}–${stat.max.toFixed(2)}]`;
}

function table(headers, rows) {
  const lines = [`| ${headers.join(" | ")} |`, `| ${headers.map((h, i) => (i < 2 ? "---" : "---:")).join(" | ")} |`];
  for (const row of rows) lines.push(`| ${row.join(" | ")} |`);
  return lines.join("\n");
}

// Which figures each mode reports, with the column headers.
const FIGURES = {
  throughput: [
    ["cpuPerRequestMicros", "CPU µs/req"],
    ["requestsPerSecond", "req/s"],
    ["peakRssMB", "peak RSS MB"],
  ],
  memory: [
    ["heapPerInFlightKB", "heap KB/in-flight"],
    ["rssPerInFlightKB", "RSS KB/in-flight"],
    ["peakRssMB", "peak RSS MB"],
    ["cpuPerRequestMicros", "CPU µs/req"],
    ["requestsPerSecond", "req/s"],
  ],
  cadence: [
    ["latenessP50Ms", "p50 late ms"],
    ["latenessP99Ms", "p99 late ms"],
    ["cpuPerRequestMicros", "CPU µs/req"],
    ["requestsPerSecond", "req/s"],
    ["peakRssMB", "peak RSS MB"],
  ],
};

/** The figures of a case: its mode's, and the lateness of the polls and of the event loop where the case records them. */
function figuresOf(testCase) {
  if (testCase.mode !== "memory" || !testCase.loopDelay) return FIGURES[testCase.mode];
  return [...FIGURES.memory, ["latenessP99Ms", "p99 poll late ms"], ["loopDelayP99Ms", "p99 loop late ms"]];
}

function caseTable(testCase, results) {
  const figures = figuresOf(testCase);
  const headers = ["client", "vs"];
  for (const [, title] of figures) headers.push(title, "ratio");
  headers.push("sockets");
  const stats = {};
  for (const name of testCase.clients) {
    stats[name] = {};
    for (const [key] of figures) stats[name][key] = summarize(results[name].map((r) => r[key]));
    stats[name].socketsOpened = summarize(results[name].map((r) => r.socketsOpened));
  }
  const rows = testCase.clients.map((name) => {
    // Several floors: one ratio each in every ratio cell, in the order of the "vs" cell.
    const floors = floorsIn(name, results);
    const row = [CLIENTS[name].label, floors.length === 0 ? "(floor)" : floors.join(" / ")];
    for (const [key] of figures) {
      row.push(cell(stats[name][key]), floors.map((floor) => ratioCell(pairedRatio(results[name], results[floor], key))).join(" / "));
    }
    row.push(num(stats[name].socketsOpened?.median, 0));
    return row;
  });
  return { text: table(headers, rows), stats };
}

// ---------------------------------------------------------------- main

const require = createRequire(import.meta.url);
const began = performance.now();
const out = [];
const print = (line = "") => {
  console.log(line);
  out.push(line);
};

const lib = option("--lib") === undefined ? await buildLibrary() : resolve(option("--lib"));
const cases = CASES.filter((c) => (only === undefined ? !c.optional || flag("--sweep") : only.includes(c.id)));
const clientFilter = option("--clients")?.split(",");
const execArgv = option("--exec-argv")?.split(" ") ?? [];

const cpuList = cpus();
print(`# executor-runtime benchmark`);
print();
print(`- date: ${new Date().toISOString()}`);
print(
  `- machine: ${cpuList.length} cores (${cpuList[0]?.model.trim() ?? "unknown CPU"}), ${platform()} ${arch()}, load average at start ${loadavg()[0].toFixed(2)}`,
);
print(`- Node ${process.version}; undici ${require("undici/package.json").version} (library and raw loop); global fetch: Node's bundled undici ${process.versions.undici}`);
print(`- library: ${relative(root, lib)}, built from ${option("--lib") === undefined ? "src/" : "the given build"}`);
print(`- every figure: median of the case's runs [min–max]; each run is a fresh backend process and a fresh client process, clients in turn`);
print(`- ratio: client / the client named in "vs" (the floor; with several, one ratio each, in that order), taken run by run (the clients of one run go back to back), median of those; the targets are ratios`);
print(`- a job: 1 kickoff (202 + run id), then polls answered "running" until "completed"; CPU is the client process's user + system time`);
print();

const results = {};
for (const testCase of cases) {
  const names = clientFilter === undefined ? testCase.clients : testCase.clients.filter((c) => clientFilter.includes(c));
  testCase.clients = names;
  results[testCase.id] = Object.fromEntries(names.map((name) => [name, []]));
  const caseReps = option("--reps") === undefined ? (testCase.reps ?? reps) : reps;
  testCase.repsRun = caseReps;
  for (let rep = 0; rep < caseReps; rep++) {
    for (const name of names) {
      const t0 = performance.now();
      try {
        const result = await measure(testCase, name, lib, { execArgv });
        // Indexed by repetition, so that a failed run leaves a hole instead of shifting the pairs.
        results[testCase.id][name][rep] = result;
        console.error(
          `  ${testCase.id} rep ${rep + 1} ${name}: ${result.cpuPerRequestMicros.toFixed(1)} µs/req, ${Math.round(result.requestsPerSecond)} req/s, ` +
            `${result.heapPerInFlightKB === undefined ? "" : `${result.heapPerInFlightKB.toFixed(2)} KB heap/in-flight, `}` +
            `${result.latenessP99Ms === null || (testCase.mode !== "cadence" && !testCase.loopDelay) ? "" : `p99 ${result.latenessP99Ms.toFixed(1)} ms, `}` +
            `${result.loopDelayP99Ms === undefined ? "" : `loop p99 ${result.loopDelayP99Ms.toFixed(1)} ms, `}` +
            `${result.socketsOpened} sockets (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
        );
      } catch (error) {
        console.error(`  ${testCase.id} rep ${rep + 1} ${name}: FAILED: ${error.message}`);
      }
    }
  }
}

const tables = {};
for (const testCase of cases) {
  let what = `${testCase.polls} "running" answers per job, ${testCase.polls + 2} requests per job`;
  if (testCase.mode === "throughput") what += `, ${testCase.inFlight * testCase.jobsPerSlot} jobs per run`;
  if (testCase.mode === "memory") {
    const when =
      testCase.measureAtMs === undefined
        ? "once every run has been polled"
        : `${testCase.measureAtMs / 1000} s after the first kickoff, once every run has been polled after its wait`;
    what = `measured ${when}: live heap after a full GC (median of 3 samples, 300 ms apart) minus the baseline, per invocation`;
    if (testCase.staggerMs !== undefined) what += `; kickoffs spread over ${testCase.staggerMs / 1000} s`;
    if (testCase.loopDelay) {
      what +=
        "; p99 poll late = p99 of poll arrival - (previous answer + interval) at the backend; p99 loop late = p99 of the client's event-loop delay (monitorEventLoopDelay, beyond its 10 ms timer), both up to the measurement";
    }
  }
  if (testCase.mode === "cadence") what += `, kickoffs spread over ${testCase.staggerMs} ms; lateness = poll arrival - (previous answer + interval)`;
  print(`## ${testCase.title}`);
  print();
  print(`${what}; median of ${testCase.repsRun} runs.`);
  print();
  const { text, stats } = caseTable(testCase, results[testCase.id]);
  tables[testCase.id] = stats;
  print(text);
  print();
}

// The targets, each a ratio of figures measured in this run.
const targets = [
  ["a64", "library", "raw-undici", "cpuPerRequestMicros", 1.25, "(a) 64: library CPU per request vs undici.request() loop"],
  ["a64", "library", "raw-agent", "cpuPerRequestMicros", 1.25, "(a) 64: library CPU per request vs agent.request() loop"],
  ["a512", "library", "raw-undici", "cpuPerRequestMicros", 1.25, "(a) 512: library CPU per request vs undici.request() loop"],
  ["a64", "library-fetch", "raw-fetch", "cpuPerRequestMicros", 1.25, "(a) 64: fetch-option CPU per request vs raw fetch loop"],
  ["a512", "library-fetch", "raw-fetch", "cpuPerRequestMicros", 1.25, "(a) 512: fetch-option CPU per request vs raw fetch loop"],
  ["b", "library", "raw-undici", "heapPerInFlightKB", 2, "(b) library live heap per in-flight invocation vs undici.request() loop"],
  ["b", "library+deadline", "raw-undici", "heapPerInFlightKB", 2, "(b) same, with timeout_seconds set"],
  ["b", "library+events", "raw-undici", "heapPerInFlightKB", 2, "(b) same, with an onEvent listener"],
  ["c", "library", "raw-undici", "latenessP99Ms", 1.25, "(c) library p99 poll lateness vs undici.request() loop"],
];
const targetRows = [];
for (const [caseId, name, floorName, key, limit, what] of targets) {
  const stats = tables[caseId];
  if (stats?.[name] === undefined || stats[floorName] === undefined) continue;
  const value = pairedRatio(results[caseId][name], results[caseId][floorName], key);
  const figure = (stat) => num(stat?.median, digitsFor(stat?.median ?? 0));
  targetRows.push([
    what,
    figure(stats[name][key]),
    figure(stats[floorName][key]),
    ratioRange(value),
    `<= ${limit.toFixed(2)}x`,
    value === undefined ? "no data" : value.median <= limit ? "met" : "NOT met",
  ]);
}
if (targetRows.length > 0) {
  print(`## Targets`);
  print();
  print(`Each ratio is the median of the run-by-run ratios [min–max]; "library" and "floor" are the medians of their figures.`);
  print();
  print(table(["target", "library", "floor", "ratio", "limit", "result"], targetRows));
  print();
}
// The library against the dispatch loop, the floor at the level its default transport sends at.
const FLOOR_FIGURES = {
  throughput: [["cpuPerRequestMicros", "CPU µs/req"]],
  memory: [
    ["heapPerInFlightKB", "heap KB/in-flight"],
    ["cpuPerRequestMicros", "CPU µs/req"],
  ],
  cadence: [["latenessP99Ms", "p99 late ms"]],
};
const floorRows = [];
for (const testCase of cases) {
  const stats = tables[testCase.id];
  if (stats?.["raw-dispatch"] === undefined) continue;
  const figures = [...FLOOR_FIGURES[testCase.mode]];
  if (testCase.loopDelay) figures.push(["latenessP99Ms", "p99 poll late ms"], ["loopDelayP99Ms", "p99 loop late ms"]);
  for (const name of testCase.clients) {
    if (!(CLIENTS[name].floors ?? []).includes("raw-dispatch")) continue;
    for (const [key, title] of figures) {
      const figure = (stat) => num(stat?.median, digitsFor(stat?.median ?? 0));
      const value = pairedRatio(results[testCase.id][name], results[testCase.id]["raw-dispatch"], key);
      floorRows.push([testCase.id, CLIENTS[name].label, title, figure(stats[name][key]), figure(stats["raw-dispatch"][key]), ratioRange(value)]);
    }
  }
}
if (floorRows.length > 0) {
  print(`## The library against the dispatch loop`);
  print();
  print(`The floor at the level the library's default transport sends at: the Agent's dispatch() with a minimal handler. Each ratio is the median of the run-by-run ratios [min–max].`);
  print();
  print(table(["case", "client", "figure", "client", "dispatch loop", "ratio"], floorRows));
  print();
}
const pooling = tables.a512?.["raw-undici-unbounded"] !== undefined || tables.b?.["library-unbounded"] !== undefined;
if (pooling) {
  print(`## Connection pooling`);
  print();
  const rows = [];
  for (const caseId of ["a512", "b"]) {
    const stats = tables[caseId];
    if (stats === undefined) continue;
    for (const name of ["raw-undici", "raw-undici-unbounded", "library", "library-unbounded"]) {
      const s = stats[name];
      if (s === undefined) continue;
      const speed = s.requestsPerSecond;
      rows.push([caseId, CLIENTS[name].label, num(s.socketsOpened?.median, 0), cell(speed), cell(s.cpuPerRequestMicros), cell(s.peakRssMB)]);
    }
  }
  print(table(["case", "client", "sockets opened", "req/s", "CPU µs/req", "peak RSS MB"], rows));
  print();
}
const command = args.length === 0 ? "npm run bench" : `node bench/run.mjs ${args.join(" ")}`;
print(`Total time: ${((performance.now() - began) / 1000).toFixed(0)} s. Reproduce: \`npm ci && ${command}\`.`);

if (save) {
  writeFileSync(outFile, `${out.join("\n")}\n`);
  console.error(`(written to ${outFile})`);
}
