// The faults of a chaos run: what each does to the workers, redis-server,
// the Sentinel topology's primary or the backend, when each happens, and what
// it held when it began.
import { setTimeout as delay } from "node:timers/promises";
import type { JobBackend } from "../../test/support/job-backend.js";
import { injectFailover, type FailoverFacts, type FailoverKind } from "./failover-faults.js";
import type { ChaosOptions } from "./options.js";
import type { ChaosRedis } from "./redis.js";
import { isFrozen, type WorkerPool, type WorkerRecord } from "./workers.js";

/** The fault classes of a run on one redis-server, each injected `rounds` times. */
export const FAULT_KINDS = ["kill-worker", "worker-storm", "redis-restart", "backend-503", "backend-drop", "freeze-worker"] as const;

export type FaultKind = (typeof FAULT_KINDS)[number] | FailoverKind;

/** A fault as it happened. */
export interface Fault {
  readonly kind: FaultKind;
  /** What was done, e.g. "SIGKILL w2, w5 started". */
  readonly label: string;
  /** Ms into the run. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** The jobs that the killed or frozen workers held when it began. */
  readonly held: readonly string[];
  /** The workers alive when it ended. */
  readonly liveAfter: readonly WorkerRecord[];
  /** A failover's primaries and timings. */
  readonly failover?: FailoverFacts;
}

/** What faults act on. */
export interface FaultTargets {
  readonly pool: WorkerPool;
  readonly redis: ChaosRedis;
  readonly backend: JobBackend;
  readonly options: ChaosOptions;
  /** Ms into the run. */
  readonly now: () => number;
  /** Uniform in [0, 1), seeded. */
  readonly random: () => number;
}

/**
 * When each fault happens: the classes of the run (every one of its topology
 * unless `--faults` names some) in a shuffled order, `rounds` times, spread
 * over 10 % to 85 % of the window.
 */
export function planFaults(options: ChaosOptions, random: () => number): { kind: FaultKind; atMs: number }[] {
  const kinds: FaultKind[] = [];
  for (let round = 0; round < options.rounds; round++) kinds.push(...shuffle([...options.faultKinds], random));
  return kinds.map((kind, index) => ({ kind, atMs: Math.round(options.durationMs * (0.1 + (0.75 * index) / kinds.length)) }));
}

/** Injects one fault and resolves once it is over (the killed workers replaced, Redis back, the backend healthy, the worker resumed). */
export async function injectFault(kind: FaultKind, targets: FaultTargets): Promise<Fault> {
  const { pool, redis, backend, options, now } = targets;
  let startedAt = now();
  const end = (label: string, held: readonly string[] = []): Fault => ({ kind, label, startedAt, endedAt: now(), held, liveAfter: pool.live() });
  switch (kind) {
    case "failover":
    case "kill-primary":
    case "freeze-primary": {
      if (redis.topology !== "sentinel") throw new Error(`${kind} needs the Sentinel topology`);
      // It starts once the sentinels agree on a whole topology again.
      const { label, facts } = await injectFailover(kind, redis.sentinel, options.freezePrimaryMs, () => (startedAt = now()));
      return { ...end(label), failover: facts };
    }
    case "kill-worker":
    case "worker-storm": {
      const candidates = pool.live().filter((worker) => !isFrozen(worker));
      const count = kind === "kill-worker" ? 1 : Math.max(2, Math.ceil(candidates.length / 2));
      const victims = shuffle(candidates, targets.random).slice(0, count);
      const held = victims.flatMap((worker) => [...worker.active]);
      await Promise.all(victims.map((worker) => pool.kill(worker)));
      const started = await Promise.all(victims.map(() => pool.start()));
      return end(`SIGKILL ${names(victims)}; ${names(started)} started`, held);
    }
    case "redis-restart": {
      if (redis.topology !== "single") throw new Error(`${kind} needs the single redis-server`);
      await redis.server.kill();
      await delay(options.redisDownMs);
      await redis.server.restart();
      return end(`redis-server SIGKILL, down ${seconds(options.redisDownMs)}, restarted on its AOF`);
    }
    case "backend-503":
    case "backend-drop": {
      backend.outage = kind === "backend-503" ? "unavailable" : "drop";
      await delay(options.backendOutageMs);
      backend.outage = undefined;
      return end(`backend ${kind === "backend-503" ? "answers 503" : "drops connections"} for ${seconds(options.backendOutageMs)}`);
    }
    case "freeze-worker": {
      const victim = shuffle(
        pool.live().filter((worker) => !isFrozen(worker)),
        targets.random,
      )[0];
      if (victim === undefined) return end("no worker to freeze");
      // Right after a take, before the run has written its mark: the moment where a stale worker used to kick off a second time.
      const taken = await pool.freezeOnNextTake(victim, 2_000);
      const held = [...new Set([...victim.active, ...(taken === undefined ? [] : [taken])])];
      await delay(options.freezeMs);
      pool.resume(victim);
      const when = taken === undefined ? "" : ` right after it took ${taken}`;
      return end(`SIGSTOP ${victim.name}${when} for ${seconds(options.freezeMs)}, then SIGCONT`, held);
    }
  }
}

/** A seeded generator (mulberry32), so that a run's faults and victims can be repeated. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function names(workers: readonly WorkerRecord[]): string {
  return workers.map((worker) => worker.name).join(", ");
}

function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(ms % 1_000 === 0 ? 0 : 1)} s`;
}
