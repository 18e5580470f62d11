// What each failover of a Sentinel run cost, as markdown: one table for the
// run, one row per failover. An invocation is put down to the first failover
// whose span (from the fault to the old primary answering as a replica) meets
// its own (from its enqueue to its result, or to the end when it has none).
import type { Fault } from "./faults.js";
import type { SeenResult } from "./report.js";
import type { WorkerPool } from "./workers.js";

/** What the failover report reads. */
export interface FailoverRun {
  readonly ids: readonly string[];
  readonly keyed: (id: string) => boolean;
  readonly results: ReadonlyMap<string, SeenResult>;
  /** When (ms into the run) each invocation was enqueued. */
  readonly enqueuedAt: ReadonlyMap<string, number>;
  readonly kickoffs: (id: string) => number;
  /** The status the backend last gave the invocation's job (`succeeded` once it ended). */
  readonly backendStatus: (id: string) => string | undefined;
  /** What Redis holds for each invocation without a result: its job's state, or "no job". */
  readonly lostStates: ReadonlyMap<string, string>;
  readonly pool: WorkerPool;
  readonly faults: readonly Fault[];
  readonly elapsedMs: number;
  readonly seed: number;
}

/** What went wrong for a set of invocations. */
interface Tally {
  inFlight: number;
  lost: number;
  endedTwice: number;
  /** Extra kickoffs of invocations without an idempotency key. */
  unkeyedTwice: number;
  /** Extra kickoffs of invocations with one (the backend deduplicates them). */
  keyedResent: number;
  /** Results whose status differs from the one the backend gave the job. */
  failed: number;
  readonly examples: string[];
}

/** The markdown tables of a Sentinel run. */
export function reportFailovers(run: FailoverRun): string {
  const failovers = run.faults.filter((fault) => fault.failover !== undefined);
  const total = emptyTally();
  const per = failovers.map(() => emptyTally());
  const outside = emptyTally();
  for (const id of run.ids) {
    const from = run.enqueuedAt.get(id) ?? 0;
    const to = run.results.get(id)?.at ?? Number.POSITIVE_INFINITY;
    const meets = failovers.map((fault) => from <= fault.endedAt && to >= fault.startedAt);
    meets.forEach((met, index) => met && (per[index]!.inFlight += 1));
    const first = meets.indexOf(true);
    const tally = first === -1 ? outside : per[first]!;
    for (const target of [total, tally]) count(target, id, run);
  }
  const seconds = (ms: number): string => (ms / 1_000).toFixed(1);
  const runTable = markdown(
    ["seed", "invocations", "with a key", "results", "lost", "ended twice", "unkeyed kickoffs sent twice", "keyed kickoffs re-sent", "failed by a failover", "elapsed s"],
    [
      [
        String(run.seed),
        String(run.ids.length),
        String(run.ids.filter(run.keyed).length),
        String(run.results.size),
        String(total.lost),
        String(total.endedTwice),
        String(total.unkeyedTwice),
        String(total.keyedResent),
        String(total.failed),
        seconds(run.elapsedMs),
      ],
    ],
  );
  const tallyCells = (tally: Tally): string[] =>
    [tally.inFlight, tally.lost, tally.endedTwice, tally.unkeyedTwice, tally.keyedResent, tally.failed].map(String);
  const rows = failovers.map((fault, index) => {
    const facts = fault.failover!;
    return [
      String(index + 1),
      fault.label,
      seconds(fault.startedAt),
      seconds(facts.newPrimaryAfterMs),
      seconds(facts.demotedAfterMs),
      ...tallyCells(per[index]!),
    ];
  });
  rows.push(["–", "outside every failover", "–", "–", "–", "–", ...tallyCells(outside).slice(1)]);
  const failoverTable = markdown(
    ["#", "failover", "at s", "new primary after s", "old primary a replica after s", "in flight", "lost", "ended twice", "unkeyed kickoffs twice", "keyed re-sent", "failed"],
    rows,
  );
  const lostStates = [...countBy([...run.lostStates.values()]).entries()].map(([state, n]) => `${state} ${n}`).join(", ");
  const examples = per.map((tally, index) => (tally.examples.length === 0 ? "" : `  failover ${index + 1}: ${tally.examples.join("; ")}`));
  return [
    runTable,
    "",
    failoverTable,
    "",
    "in flight: invocations enqueued before the old primary was a replica again and without a result before the fault.",
    ...(lostStates === "" ? [] : [`lost invocations, by what Redis holds for them at the end: ${lostStates}`]),
    ...(examples.some((line) => line !== "") ? ["examples:", ...examples.filter((line) => line !== "")] : []),
  ].join("\n");
}

function count(tally: Tally, id: string, run: FailoverRun): void {
  const result = run.results.get(id);
  const kickoffs = run.kickoffs(id);
  const notes: string[] = [];
  if (result === undefined) {
    tally.lost += 1;
    notes.push(`lost (${run.lostStates.get(id) ?? "?"})`);
  }
  if ((run.pool.completionsPerJob.get(id) ?? 0) > 1) {
    tally.endedTwice += 1;
    notes.push(`ended ${run.pool.completionsPerJob.get(id)} times`);
  }
  if (kickoffs > 1 && run.keyed(id)) tally.keyedResent += kickoffs - 1;
  if (kickoffs > 1 && !run.keyed(id)) {
    tally.unkeyedTwice += kickoffs - 1;
    notes.push(`${kickoffs} kickoffs without a key`);
  }
  if (result !== undefined && result.status !== run.backendStatus(id)) {
    tally.failed += 1;
    notes.push(`${result.status} where the backend said ${run.backendStatus(id) ?? "nothing"}: ${(result.summary ?? "").slice(0, 90)}`);
  }
  if (notes.length > 0 && tally.examples.length < 3) tally.examples.push(`${id} ${notes.join(", ")}`);
}

function emptyTally(): Tally {
  return { inFlight: 0, lost: 0, endedTwice: 0, unkeyedTwice: 0, keyedResent: 0, failed: 0, examples: [] };
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function markdown(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
