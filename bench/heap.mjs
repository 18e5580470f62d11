// Where the live heap of a waiting invocation goes: runs the memory case for
// one client with heap snapshots at the baseline and at the measurement, and
// prints the difference by object kind, per in-flight invocation.
//
//   node bench/heap.mjs [--client library] [--in-flight 2000] [--lib path/to/index.js] [--top 40]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildLibrary } from "./build.mjs";
import { measure } from "./harness.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(name);
  return index === -1 ? fallback : args[index + 1];
};
const clientName = option("--client", "library");
const inFlight = Number(option("--in-flight", "2000"));
const top = Number(option("--top", "40"));
const lib = option("--lib") === undefined ? await buildLibrary() : resolve(option("--lib"));

/** Self size and count per "type:name" of every node in a heap snapshot. */
function aggregate(file) {
  const snapshot = JSON.parse(readFileSync(file, "utf8"));
  const meta = snapshot.snapshot.meta;
  const fields = meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const types = meta.node_types[typeAt];
  const { nodes, strings } = snapshot;
  const totals = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    let name = strings[nodes[i + nameAt]];
    // Strings and numbers are grouped by type; their names are their values.
    if (type === "string" || type === "concatenated string" || type === "sliced string" || type === "number") name = "";
    if (type === "closure") name = `${name}()`;
    if (name.length > 60) name = `${name.slice(0, 57)}...`;
    const key = `${type}:${name}`;
    const entry = totals.get(key) ?? { count: 0, size: 0 };
    entry.count += 1;
    entry.size += nodes[i + sizeAt];
    totals.set(key, entry);
  }
  return totals;
}

const dir = mkdtempSync(join(tmpdir(), "executor-runtime-heap-"));
try {
  const result = await measure(
    { mode: "memory", inFlight, intervalMs: 1000, warmupJobs: 64 },
    clientName,
    lib,
    { snapshotDir: dir },
  );
  const before = aggregate(join(dir, "baseline.heapsnapshot"));
  const after = aggregate(join(dir, "measured.heapsnapshot"));
  const rows = [];
  let total = 0;
  for (const [key, entry] of after) {
    const base = before.get(key) ?? { count: 0, size: 0 };
    const size = (entry.size - base.size) / inFlight;
    const count = (entry.count - base.count) / inFlight;
    total += size;
    rows.push({ key, size, count });
  }
  rows.sort((a, b) => b.size - a.size);
  console.log(`${clientName}: ${inFlight} in flight; heapUsed delta ${(result.heapPerInFlightKB * 1024).toFixed(0)} B per invocation; snapshot delta ${total.toFixed(0)} B`);
  console.log(`${"bytes".padStart(8)} ${"objects".padStart(8)}  kind:name`);
  for (const row of rows.slice(0, top)) {
    console.log(`${row.size.toFixed(0).padStart(8)} ${row.count.toFixed(2).padStart(8)}  ${row.key}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
