// The flags of `npm run chaos` and the timings derived from them.
import { parseArgs } from "node:util";
import { FAILOVER_KINDS } from "./failover-faults.js";
import { FAULT_KINDS, type FaultKind } from "./faults.js";

/** Where the queue lives: one redis-server, or a primary with two replicas behind three sentinels. */
export type ChaosTopology = "single" | "sentinel";

/** How one chaos run is set up. */
export interface ChaosOptions {
  readonly topology: ChaosTopology;
  /** Worker processes running at any time (killed ones are replaced). */
  readonly workers: number;
  /** Invocations enqueued, evenly over `durationMs`. */
  readonly invocations: number;
  /** How long invocations are enqueued and faults are injected; the run then drains. */
  readonly durationMs: number;
  /** Times each fault class is injected, in a shuffled order. */
  readonly rounds: number;
  /** The fault classes injected: every class of the topology unless `--faults` names some. */
  readonly faultKinds: readonly FaultKind[];
  /** Runs each worker process takes at once. */
  readonly concurrency: number;
  /** The workers' `lockDuration`; the stalled interval is half of it. */
  readonly lockDurationMs: number;
  /** How long a redis-server stays down, a backend outage lasts, a worker stays frozen. */
  readonly redisDownMs: number;
  readonly backendOutageMs: number;
  readonly freezeMs: number;
  /** How long the primary of a Sentinel topology stays frozen (SIGSTOP). */
  readonly freezePrimaryMs: number;
  /** The longest the run waits for the last results once the enqueue window is over. */
  readonly drainLimitMs: number;
  /** Seeds the order of faults and the choice of victims, so a run can be repeated. */
  readonly seed: number;
}

const USAGE = `npm run chaos -- [--topology single|sentinel] [--workers 4] [--invocations 2000]
                     [--duration 150] [--rounds 2] [--faults kind,...] [--concurrency 50]
                     [--lock-duration 5000] [--seed n] [--short]

Runs invocations through BullMQ workers on a real redis-server (append-only
file) while killing workers, restarting redis-server, failing the backend and
freezing workers; prints what came out and exits non-zero when an invariant
fails. --short is the bounded form CI runs (3 workers, 300 invocations, one
round, about 45 s). Durations are in seconds, --lock-duration in ms.
--faults injects only the classes it names: ${FAULT_KINDS.join(", ")}
(one redis-server), or ${FAILOVER_KINDS.join(", ")} (sentinel).

--topology sentinel runs the queue on a primary with two replicas behind three
sentinels (quorum 2, down-after 1 s), found through the sentinels, and injects
the failovers instead: SENTINEL FAILOVER, SIGKILL of the primary (restarted as
a replica once another is promoted) and SIGSTOP of the primary for 5 s. Its
defaults: 3 workers x 5, 500 invocations over 100 s, one round (about 2.5
minutes); it prints a markdown table per run and per failover.
CHAOS_DEBUG=1 prints every worker error as it comes.`;

/** Reads the flags; prints the usage and exits on --help or a bad value. */
export function parseChaosOptions(argv: readonly string[]): ChaosOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      workers: { type: "string" },
      invocations: { type: "string" },
      duration: { type: "string" },
      rounds: { type: "string" },
      faults: { type: "string" },
      concurrency: { type: "string" },
      "lock-duration": { type: "string" },
      seed: { type: "string" },
      topology: { type: "string", default: "single" },
      short: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const short = values.short;
  const topology = values.topology;
  if (topology !== "single" && topology !== "sentinel") usageError(`--topology must be single or sentinel, got '${topology}'`);
  if (short && topology === "sentinel") usageError("--short is the single redis-server run CI runs; a sentinel run has its own defaults");
  const sentinel = topology === "sentinel";
  const classes: readonly FaultKind[] = sentinel ? FAILOVER_KINDS : FAULT_KINDS;
  const faultKinds = values.faults === undefined ? classes : values.faults.split(",").map((kind) => kind.trim());
  const unknown = faultKinds.filter((kind) => !classes.includes(kind as FaultKind));
  if (unknown.length > 0) usageError(`--faults: ${unknown.join(", ")} is not a fault class of the ${topology} topology (${classes.join(", ")})`);
  const number = (name: keyof typeof values, fallback: number, min: number): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const parsed = Number(text);
    if (!Number.isFinite(parsed) || parsed < min) usageError(`--${name} must be a number of at least ${min}, got '${String(text)}'`);
    return parsed;
  };
  const lockDurationMs = number("lock-duration", short ? 2_000 : 5_000, 500);
  return {
    topology,
    workers: number("workers", short || sentinel ? 3 : 4, 2),
    invocations: number("invocations", short ? 300 : sentinel ? 500 : 2_000, 1),
    // A failover is over once the old primary is a replica again (about 15 s) and the sentinels agree on the new one (up to 15 s more).
    durationMs: number("duration", short ? 30 : sentinel ? 100 : 150, 5) * 1_000,
    rounds: number("rounds", short || sentinel ? 1 : 2, 1),
    faultKinds: faultKinds as FaultKind[],
    concurrency: number("concurrency", sentinel ? 5 : 50, 1),
    lockDurationMs,
    redisDownMs: 1_000,
    backendOutageMs: short ? 2_000 : 3_000,
    // Past the lock and two stalled checks, so that another worker takes the frozen worker's jobs over.
    freezeMs: 2 * lockDurationMs + 1_000,
    freezePrimaryMs: 5_000,
    // A run whose record a failover lost never ends: a sentinel run waits less for those.
    drainLimitMs: sentinel ? 45_000 : 90_000,
    seed: number("seed", Date.now() % 100_000, 0),
  };
}

function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}
