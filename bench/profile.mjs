// CPU profile of one client on one case of `npm run bench` (default: the
// library, throughput at 512 in flight): profiles the measured part of the
// run (after the warm-up, and in a memory case up to when it is measured;
// with the inspector's sampling profiler, as `node --cpu-prof` does) and
// prints the frames with the most self time in microseconds per request,
// library frames mapped back to src/ through the build's source map, then the
// same time grouped by file. `--save file.cpuprofile` keeps the profile for
// Chrome DevTools.
//
// With `--survivors`, it samples the heap instead: the bytes allocated in the
// measured part that a scavenge did not collect (alive at its end, or
// promoted and left to a full GC), per request, by allocation site (the
// allocating frame and its caller). An old object that points at young ones
// keeps them through every scavenge, dead or not: what shows up here costs
// copying, promotion and a full GC's marking.
//
//   node bench/profile.mjs [--client library] [--case a512 | a64 | b | b100k | c] [--lib path/to/index.js] [--top 30] [--jobs-per-slot 5] [--polls n] [--save file] [--survivors] [--exec-argv "--flag ..."]
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { SourceMap } from "node:module";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildLibrary } from "./build.mjs";
import { benchCases, measure } from "./harness.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};
const clientName = option("--client", "library");
const caseId = option("--case", "a512");
const listedCase = benchCases().find((c) => c.id === caseId);
if (listedCase === undefined) throw new Error(`unknown case ${caseId}`);
const top = Number(option("--top", "30"));
const lib = option("--lib") === undefined ? await buildLibrary() : resolve(option("--lib"));
const root = fileURLToPath(new URL("..", import.meta.url));

/** Self time of the (idle) node. */
function byFileIdle(profile, selfMicros) {
  let idle = 0;
  for (const node of profile.nodes) if (node.callFrame.functionName === "(idle)") idle += selfMicros.get(node.id) ?? 0;
  return idle;
}

const dir = mkdtempSync(join(tmpdir(), "executor-runtime-prof-"));
try {
  // A throughput case runs longer than it is measured, so that the profile holds enough samples.
  const jobsPerSlot = Number(option("--jobs-per-slot", listedCase.inFlight === 64 ? "40" : "5"));
  const polls = option("--polls");
  const testCase = listedCase.mode === "throughput" ? { ...listedCase, jobsPerSlot, ...(polls === undefined ? {} : { polls: Number(polls) }) } : listedCase;
  const survivors = args.includes("--survivors");
  const file = join(dir, survivors ? "measured.heapprofile" : "measured.cpuprofile");
  const execArgv = option("--exec-argv")?.split(" ") ?? [];
  const result = await measure(testCase, clientName, lib, survivors ? { survivors: file, execArgv } : { cpuProfile: file, execArgv });
  if (option("--save") !== undefined) copyFileSync(file, option("--save"));
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const libMap = new SourceMap(JSON.parse(readFileSync(`${lib}.map`, "utf8")));
  const libUrl = `file://${lib}`;

  /** "function (where)" for a call frame; library frames mapped to their TypeScript source. */
  function place(frame) {
    const name = frame.functionName || "(anonymous)";
    if (frame.url === libUrl) {
      const entry = libMap.findEntry(frame.lineNumber, frame.columnNumber);
      if (entry?.originalSource !== undefined) {
        // The build of a copy of src/ (bench/compare.mjs) maps to paths outside the repository: keep the src-relative part.
        const inFolder = /^.*?\/((?:runners|http|contracts|cli|util|bullmq)\/[^/]+)$/.exec(entry.originalSource);
        const source = inFolder === null ? entry.originalSource.replace(/^.*?\/([^/]+\.ts)$/, "src/$1") : `src/${inFolder[1]}`;
        return { name, file: source, where: `${source}:${entry.originalLine + 1}`, ours: true };
      }
    }
    let url = frame.url;
    if (url.startsWith("file://")) url = relative(root, fileURLToPath(url));
    const file = url === "" ? "(native)" : url.replace(/^node_modules\/([^/]+)\/.*$/, "node_modules/$1");
    return { name, file, where: url === "" ? "(native)" : `${url}:${frame.lineNumber + 1}`, ours: false };
  }

  if (survivors) printSurvivors(profile, result, place);
  else {
    // Self time per node, from the sample deltas.
    const selfMicros = new Map();
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i];
      selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
    }
    const totalMicros = [...selfMicros.values()].reduce((a, b) => a + b, 0);

    const byFrame = new Map();
    const byFile = new Map();
    for (const node of profile.nodes) {
      const micros = selfMicros.get(node.id) ?? 0;
      if (micros === 0) continue;
      const p = place(node.callFrame);
      const key = `${p.name} ${p.where}`;
      byFrame.set(key, { ...p, micros: (byFrame.get(key)?.micros ?? 0) + micros });
      byFile.set(p.file, (byFile.get(p.file) ?? 0) + micros);
    }
    const perRequest = (micros) => (micros / result.requests).toFixed(2).padStart(7);
    const pct = (micros) => `${perRequest(micros)} µs/req ${((100 * micros) / totalMicros).toFixed(1).padStart(5)}%`;
    console.log(
      `${clientName}, case ${caseId} (${testCase.inFlight} in flight), ${result.requests} requests: ${result.cpuPerRequestMicros.toFixed(1)} µs CPU per request while profiled, ` +
        `${perRequest(totalMicros - byFileIdle(profile, selfMicros)).trim()} µs/req sampled busy (not idle)`,
    );
    console.log(`\nTop self time, all frames:`);
    for (const f of [...byFrame.values()].sort((a, b) => b.micros - a.micros).slice(0, top)) {
      console.log(`${pct(f.micros)}  ${f.ours ? "*" : " "} ${f.name}  ${f.where}`);
    }
    console.log(`\nTop self time, library frames only (src/):`);
    for (const f of [...byFrame.values()].filter((f) => f.ours).sort((a, b) => b.micros - a.micros).slice(0, top)) {
      console.log(`${pct(f.micros)}  ${f.name}  ${f.where}`);
    }
    console.log(`\nSelf time by file:`);
    for (const [name, micros] of [...byFile.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${pct(micros)}  ${name}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Bytes per request that outlived a scavenge, by allocation site (frame <- caller) and by the allocating frame's file. */
function printSurvivors(profile, result, place) {
  const bySite = new Map();
  const byFile = new Map();
  let total = 0;
  const walk = (node, caller) => {
    const p = place(node.callFrame);
    if (node.selfSize > 0) {
      total += node.selfSize;
      const site = `${p.ours ? "*" : " "} ${p.name}  ${p.where}  <- ${caller === undefined ? "(root)" : `${caller.name}  ${caller.where}`}`;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      byFile.set(p.file, (byFile.get(p.file) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, p);
  };
  walk(profile.head, undefined);
  const perRequest = (bytes) => `${(bytes / result.requests).toFixed(0).padStart(6)} B/req`;
  console.log(`${clientName}, case ${caseId}, ${result.requests} requests: ${perRequest(total).trim()} outlived a scavenge (sampled every 512 bytes)`);
  console.log(`\nBy allocation site:`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${perRequest(bytes)}  ${site}`);
  console.log(`\nBy file:`);
  for (const [name, bytes] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${perRequest(bytes)}  ${name}`);
}
