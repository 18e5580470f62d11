// What a chaos run came to: the figures, the table of faults with the time
// the system took to recover from each, and the invariants that failed.
import type { Fault } from "./faults.js";
import type { WorkerPool, WorkerRecord } from "./workers.js";

/** A result as `waitForResult` gave it. */
export interface SeenResult {
  readonly status: string;
  readonly summary: string | null;
  /** Ms into the run. */
  readonly at: number;
}

/** Everything the report reads. */
export interface RunRecord {
  readonly ids: readonly string[];
  readonly keyed: (id: string) => boolean;
  readonly results: ReadonlyMap<string, SeenResult>;
  readonly kickoffs: (id: string) => number;
  readonly pool: WorkerPool;
  readonly faults: readonly Fault[];
  /** Jobs whose stored state or result differs from the one `waitForResult` gave. */
  readonly mismatches: readonly string[];
  /** Process ids (workers, redis-server) still running after the run stopped them. */
  readonly leftRunning: readonly number[];
  readonly elapsedMs: number;
}

/** The printed report and the invariants that failed (none: the run passed). */
export function reportRun(run: RunRecord): { text: string; failures: string[] } {
  const failures: string[] = [];
  const { ids, results, pool } = run;
  const lost = ids.filter((id) => !results.has(id));
  const byStatus = countBy([...results.values()].map((result) => result.status));
  const duplicated = ids.filter((id) => !run.keyed(id) && run.kickoffs(id) > 1);
  const duplicateKickoffs = duplicated.reduce((sum, id) => sum + run.kickoffs(id) - 1, 0);
  const kickoffs = ids.reduce((sum, id) => sum + run.kickoffs(id), 0);
  const resentWithKey = ids.filter(run.keyed).reduce((sum, id) => sum + Math.max(0, run.kickoffs(id) - 1), 0);
  const secondResults = [...pool.completionsPerJob.entries()].filter(([, count]) => count > 1).map(([id]) => id);
  const recoveries = run.faults.map((fault) => recoveryOf(fault, run));
  const wedged = recoveries.flatMap((recovery, index) => recovery.wedged.map((name) => `${name} after fault ${index + 1}`));

  if (results.size !== ids.length) failures.push(`${results.size} results for ${ids.length} invocations`);
  if (lost.length > 0) failures.push(`${lost.length} invocations lost (no result): ${preview(lost)}`);
  if (duplicateKickoffs > 0) failures.push(`${duplicateKickoffs} duplicate kickoffs without an idempotency key: ${preview(duplicated)}`);
  if (secondResults.length > 0) failures.push(`${secondResults.length} jobs completed twice: ${preview(secondResults)}`);
  if (run.mismatches.length > 0) failures.push(`${run.mismatches.length} stored results differ from the ones seen: ${preview(run.mismatches)}`);
  if (wedged.length > 0) failures.push(`workers that never completed a job again: ${wedged.join(", ")}`);
  if (pool.crashed.length > 0) failures.push(...pool.crashed);
  if (run.leftRunning.length > 0) failures.push(`processes left running: ${run.leftRunning.join(", ")}`);

  const statuses = [...byStatus.entries()].map(([status, count]) => `${status} ${count}`).join(", ");
  const { errors } = pool;
  const summary = table(
    ["", ""],
    [
      ["invocations", `${ids.length} (${ids.filter(run.keyed).length} with an idempotency key)`],
      ["results", `${results.size} (${statuses || "none"})`],
      ["lost invocations", String(lost.length)],
      ["duplicate kickoffs", `${duplicateKickoffs} (invocations without a key kicked off more than once)`],
      ["kickoffs received", `${kickoffs} (${resentWithKey} re-sent with their key, which the backend deduplicates)`],
      ["second results", `${secondResults.length} (jobs completed by two workers)`],
      ["stored ≠ seen", String(run.mismatches.length)],
      ["stale runs fenced off", `${errors.lockLost} (lock lost: no kickoff, no write)`],
      ["stale results refused", `${errors.staleResultsRefused} (by BullMQ: lock no longer the worker's)`],
      ["workers recovered", wedged.length === 0 ? "all, by themselves, after every fault" : `no: ${wedged.join(", ")}`],
      ["left running", `${run.leftRunning.length} processes`],
      ["elapsed", `${(run.elapsedMs / 1_000).toFixed(1)} s`],
    ],
  );
  const faultRows = run.faults.map((fault, index) => {
    const recovery = recoveries[index]!;
    return [
      String(index + 1),
      fault.label,
      secondsText(fault.startedAt),
      secondsText(fault.endedAt - fault.startedAt),
      fault.held.length === 0 ? "–" : String(fault.held.length),
      recovery.heldDoneMs === undefined ? "–" : secondsText(recovery.heldDoneMs),
      recovery.workersBackMs === undefined ? "–" : secondsText(recovery.workersBackMs),
      `${recovery.back}/${recovery.back + recovery.wedged.length}${recovery.interrupted > 0 ? ` (+${recovery.interrupted} hit again)` : ""}`,
    ];
  });
  const faultsTable = table(["#", "fault", "at s", "lasted s", "jobs held", "held done s", "all working s", "workers back"], faultRows);
  const reasons = [...countBy([...results.values()].filter((r) => r.status !== "succeeded").map((r) => reasonOf(r.summary))).entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `  ${String(count).padStart(5)}  ${reason}`);
  const otherErrors = [...errors.other.entries()].map(([message, count]) => `  ${String(count).padStart(5)}  ${message.slice(0, 140)}`);
  const text = [
    summary,
    "",
    faultsTable,
    "",
    "held done s: from the fault's start until every job the killed or frozen workers held has its result.",
    "all working s: from the fault's end until every live worker has completed a job again.",
    ...(reasons.length > 0 ? ["", "results other than succeeded, by reason:", ...reasons] : []),
    "",
    `worker errors: ${errors.connection} connection, ${errors.lockRenewalsRefused} lock renewals refused, ${errors.lockLost} lock lost, ${errors.staleResultsRefused} stale results refused` +
      (errors.jobGone > 0 ? `, ${errors.jobGone} results refused for jobs Redis no longer has` : ""),
    ...otherErrors,
    "",
    failures.length === 0 ? "PASS: every invariant held" : `FAIL:\n${failures.map((failure) => `  - ${failure}`).join("\n")}`,
  ].join("\n");
  return { text, failures };
}

interface Recovery {
  /** From the fault's start until every held job had its result. */
  readonly heldDoneMs: number | undefined;
  /** From the fault's end until every live worker completed a job again. */
  readonly workersBackMs: number | undefined;
  readonly back: number;
  /** Workers killed or frozen again before they completed a job: they say nothing about this fault. */
  readonly interrupted: number;
  /** Workers that lived on and never completed a job again. */
  readonly wedged: string[];
}

function recoveryOf(fault: Fault, run: RunRecord): Recovery {
  const heldAt = fault.held.map((id) => run.results.get(id)?.at);
  const heldDoneMs = heldAt.length > 0 && heldAt.every((at) => at !== undefined) ? Math.max(0, ...heldAt.map((at) => at - fault.startedAt)) : undefined;
  let workersBackMs: number | undefined;
  let back = 0;
  let interrupted = 0;
  const wedged: string[] = [];
  for (const worker of fault.liveAfter) {
    const completed = worker.completedAt.find((at) => at > fault.endedAt);
    const hitAgain = disruptedAfter(worker, fault.endedAt);
    if (completed !== undefined && (hitAgain === undefined || completed <= hitAgain)) {
      back += 1;
      workersBackMs = Math.max(workersBackMs ?? 0, completed - fault.endedAt);
    } else if (hitAgain !== undefined) {
      interrupted += 1;
    } else {
      wedged.push(worker.name);
    }
  }
  return { heldDoneMs, workersBackMs, back, interrupted, wedged };
}

/** When the worker was next killed or frozen after `at` (or `at` itself when it was frozen then). */
function disruptedAfter(worker: WorkerRecord, at: number): number | undefined {
  const times = worker.frozen.filter((span) => span.to === undefined || span.to > at).map((span) => Math.max(span.from, at));
  if (worker.killedAt !== undefined && worker.killedAt >= at) times.push(worker.killedAt);
  return times.length === 0 ? undefined : Math.min(...times);
}

/** A failure summary without what differs from run to run (ids, ports, times). */
function reasonOf(summary: string | null): string {
  return (summary ?? "no summary")
    .replace(/https?:\/\/\S+/g, "<url>")
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "<time>")
    .replace(/\bchaos-\d+\b/g, "<id>")
    .replace(/^(.{150}).+$/s, "$1...");
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function preview(ids: readonly string[]): string {
  return ids.length <= 5 ? ids.join(", ") : `${ids.slice(0, 5).join(", ")}, ...`;
}

function secondsText(ms: number): string {
  return (ms / 1_000).toFixed(1);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = header.every((cell) => cell === "") ? rows : [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? "").length)));
  const line = (row: readonly string[]): string => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd();
  return all.map(line).join("\n");
}
