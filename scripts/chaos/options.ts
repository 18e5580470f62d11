// The flags of `npm run chaos` and the timings derived from them.
import { parseArgs } from "node:util";

/** How one chaos run is set up. */
export interface ChaosOptions {
  /** Worker processes running at any time (killed ones are replaced). */
  readonly workers: number;
  /** Invocations enqueued, evenly over `durationMs`. */
  readonly invocations: number;
  /** How long invocations are enqueued and faults are injected; the run then drains. */
  readonly durationMs: number;
  /** Times each fault class is injected, in a shuffled order. */
  readonly rounds: number;
  /** Runs each worker process takes at once. */
  readonly concurrency: number;
  /** The workers' `lockDuration`; the stalled interval is half of it. */
  readonly lockDurationMs: number;
  /** How long a redis-server stays down, a backend outage lasts, a worker stays frozen. */
  readonly redisDownMs: number;
  readonly backendOutageMs: number;
  readonly freezeMs: number;
  /** The longest the run waits for the last results once the enqueue window is over. */
  readonly drainLimitMs: number;
  /** Seeds the order of faults and the choice of victims, so a run can be repeated. */
  readonly seed: number;
}

const USAGE = `npm run chaos -- [--workers 4] [--invocations 2000] [--duration 150] [--rounds 2]
                     [--concurrency 50] [--lock-duration 5000] [--seed n] [--short]

Runs invocations through BullMQ workers on a real redis-server (append-only
file) while killing workers, restarting redis-server, failing the backend and
freezing workers; prints what came out and exits non-zero when an invariant
fails. --short is the bounded form CI runs (3 workers, 300 invocations, one
round, about 45 s). Durations are in seconds, --lock-duration in ms.
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
      concurrency: { type: "string" },
      "lock-duration": { type: "string" },
      seed: { type: "string" },
      short: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const short = values.short;
  const number = (name: keyof typeof values, fallback: number, min: number): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const parsed = Number(text);
    if (!Number.isFinite(parsed) || parsed < min) {
      console.error(`--${name} must be a number of at least ${min}, got '${String(text)}'\n\n${USAGE}`);
      process.exit(2);
    }
    return parsed;
  };
  const lockDurationMs = number("lock-duration", short ? 2_000 : 5_000, 500);
  return {
    workers: number("workers", short ? 3 : 4, 2),
    invocations: number("invocations", short ? 300 : 2_000, 1),
    durationMs: number("duration", short ? 30 : 150, 5) * 1_000,
    rounds: number("rounds", short ? 1 : 2, 1),
    concurrency: number("concurrency", 50, 1),
    lockDurationMs,
    redisDownMs: 1_000,
    backendOutageMs: short ? 2_000 : 3_000,
    // Past the lock and two stalled checks, so that another worker takes the frozen worker's jobs over.
    freezeMs: 2 * lockDurationMs + 1_000,
    drainLimitMs: 90_000,
    seed: number("seed", Date.now() % 100_000, 0),
  };
}
