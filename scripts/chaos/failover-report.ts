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
  /** What Redis holds for each invocation at the end: its job's state, or "no job". */
  readonly storedStates: ReadonlyMap<string, string>;
  readonly pool: WorkerPool;
  readonly faults: readonly Fault[];
  readonly elapsedMs: number;
  readonly seed: number;
}

/** What went wrong for a set of invocations. */
interface Tally {
  inFlight: number;
  lost: number;
  /** Invocations with a result whose job Redis no longer holds (the result came from writes a failover threw away). */
  resultGone: number;
  endedTwice: number;
  /** Extra kickoffs of invocations without an idempotency key. */
  unkeyedTwice: number;
  /** Extra kickoffs of invocations with one (the backend deduplicates them). */
  keyedResent: number;
  /** Results whose status differs from the one the backend gave the job. */
  failed: number;
  /** Ids by what went wrong, for the examples. */
  readonly ids: Map<string, string[]>;
}

/** The markdown tables of a Sentinel run. */
export function reportFailovers(run: FailoverRun): { readonly text: string; readonly failures: readonly string[] } {
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
    ["seed", "invocations", "with a key", "results", "lost", "result, job gone", "ended twice", "unkeyed kickoffs sent twice", "keyed kickoffs re-sent", "failed by a failover", "elapsed s"],
    [
      [
        String(run.seed),
        String(run.ids.length),
        String(run.ids.filter(run.keyed).length),
        String(run.results.size),
        String(total.lost),
        String(total.resultGone),
        String(total.endedTwice),
        String(total.unkeyedTwice),
        String(total.keyedResent),
        String(total.failed),
        seconds(run.elapsedMs),
      ],
    ],
  );
  const tallyCells = (tally: Tally): string[] =>
    [tally.inFlight, tally.lost, tally.resultGone, tally.endedTwice, tally.unkeyedTwice, tally.keyedResent, tally.failed].map(String);
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
    ["#", "failover", "at s", "new primary after s", "old primary a replica after s", "in flight", "lost", "result, job gone", "ended twice", "unkeyed kickoffs twice", "keyed re-sent", "failed"],
    rows,
  );
  const lostIds = run.ids.filter((id) => !run.results.has(id));
  const lostStates = [...countBy(lostIds.map((id) => run.storedStates.get(id) ?? "?")).entries()].map(([state, n]) => `${state} ${n}`);
  const which = [...per, outside].flatMap((tally, index) =>
    [...tally.ids.entries()].map(([what, ids]) => {
      const enqueued = ids.map((id) => run.enqueuedAt.get(id) ?? 0);
      const span = `enqueued ${seconds(Math.min(...enqueued))}–${seconds(Math.max(...enqueued))} s`;
      return `  ${index < per.length ? `failover ${index + 1}` : "outside"}, ${what}: ${compactIds(ids)} (${span})`;
    }),
  );
  const failures = [
    [total.lost, "lost"],
    [total.resultGone, "reported with a result whose job Redis no longer holds"],
    [total.endedTwice, "ended twice"],
    [total.unkeyedTwice, "kicked off twice without an idempotency key"],
    [total.failed, "ended failed by a failover, where the backend said nothing of the kind"],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, what]) => `${String(n)} invocation(s) ${String(what)}`);
  const text = [
    runTable,
    "",
    failoverTable,
    "",
    "in flight: invocations enqueued before the old primary was a replica again and without a result before the fault.",
    "result, job gone: waitForResult gave a result, and Redis has no such job at the end.",
    ...(lostStates.length === 0 ? [] : [`lost invocations, by what Redis holds for them at the end: ${lostStates.join(", ")}`]),
    ...(which.length === 0 ? [] : ["which invocations:", ...which]),
    "",
    failures.length === 0 ? "PASS: nothing lost, repeated or failed by a failover" : `FAIL:\n${failures.map((failure) => `  - ${failure}`).join("\n")}`,
  ].join("\n");
  return { text, failures };
}

function count(tally: Tally, id: string, run: FailoverRun): void {
  const result = run.results.get(id);
  const kickoffs = run.kickoffs(id);
  const note = (what: string): void => void tally.ids.set(what, [...(tally.ids.get(what) ?? []), id]);
  if (result === undefined) {
    tally.lost += 1;
    note(`lost (${run.storedStates.get(id) ?? "?"})`);
  } else if (run.storedStates.get(id) === "no job") {
    tally.resultGone += 1;
    note("result, job gone");
  }
  if ((run.pool.completionsPerJob.get(id) ?? 0) > 1) {
    tally.endedTwice += 1;
    note("ended twice");
  }
  if (kickoffs > 1 && run.keyed(id)) tally.keyedResent += kickoffs - 1;
  if (kickoffs > 1 && !run.keyed(id)) {
    tally.unkeyedTwice += kickoffs - 1;
    note("kicked off twice without a key");
  }
  if (result !== undefined && result.status !== run.backendStatus(id)) {
    tally.failed += 1;
    note(`${result.status} where the backend said ${run.backendStatus(id) ?? "nothing"}`);
  }
}

function emptyTally(): Tally {
  return { inFlight: 0, lost: 0, resultGone: 0, endedTwice: 0, unkeyedTwice: 0, keyedResent: 0, failed: 0, ids: new Map() };
}

/** chaos-1, chaos-2, chaos-3, chaos-7 as chaos-1..3, chaos-7. */
function compactIds(ids: readonly string[]): string {
  const numbers = ids.map((id) => Number(id.slice("chaos-".length))).sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    runs.push(j === i ? `chaos-${numbers[i]}` : `chaos-${numbers[i]}..${numbers[j]}`);
    i = j + 1;
  }
  return runs.join(", ");
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
