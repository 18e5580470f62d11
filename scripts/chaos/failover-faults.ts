// The faults of a Sentinel run: the primary handed over (SENTINEL FAILOVER),
// killed, or frozen; each is over once the old primary is a replica again.
import { setTimeout as delay } from "node:timers/promises";
import type { RedisSentinel } from "../../test/support/redis-sentinel.js";

/** The failover fault classes. */
export const FAILOVER_KINDS = ["failover", "kill-primary", "freeze-primary"] as const;

export type FailoverKind = (typeof FAILOVER_KINDS)[number];

/** What a failover came to, in ms from its start. */
export interface FailoverFacts {
  readonly from: number;
  readonly to: number;
  /** Until a sentinel named the new primary. */
  readonly newPrimaryAfterMs: number;
  /** Until the old primary answered ROLE as a replica: it acknowledges writes up to then. */
  readonly demotedAfterMs: number;
}

// A SIGKILLed primary comes back this long after the sentinels named another.
const RESTART_AFTER_MS = 1_000;
const DEMOTION_LIMIT_MS = 60_000;
const AGREEMENT_LIMIT_MS = 60_000;

/**
 * Waits until the sentinels agree on a whole topology (a failover needs a
 * replica in sync), then injects the failover; resolves with its label and
 * facts once the old primary is a replica. `onStarted` is told when the fault
 * itself begins.
 */
export async function injectFailover(
  kind: FailoverKind,
  sentinel: RedisSentinel,
  freezeMs: number,
  onStarted: () => void,
): Promise<{ label: string; facts: FailoverFacts }> {
  const old = (await sentinel.waitForAgreement(AGREEMENT_LIMIT_MS)).port;
  const startedAt = Date.now();
  onStarted();
  const since = (): number => Date.now() - startedAt;
  let to: number;
  let newPrimaryAfterMs: number;
  let label: string;
  if (kind === "failover") {
    to = (await sentinel.failover()).port;
    newPrimaryAfterMs = since();
    label = `SENTINEL FAILOVER, ${old} → ${to}`;
  } else if (kind === "kill-primary") {
    await sentinel.kill(old);
    to = (await sentinel.waitForPrimaryChange(old)).port;
    newPrimaryAfterMs = since();
    await delay(RESTART_AFTER_MS);
    await sentinel.restart(old);
    label = `SIGKILL primary ${old} → ${to}, restarted ${((since() - newPrimaryAfterMs) / 1_000).toFixed(1)} s later`;
  } else {
    const frozen = sentinel.freeze(old, freezeMs);
    to = (await sentinel.waitForPrimaryChange(old, freezeMs + 30_000)).port;
    newPrimaryAfterMs = since();
    await frozen;
    label = `SIGSTOP primary ${old} for ${(freezeMs / 1_000).toFixed(0)} s → ${to}`;
  }
  while ((await sentinel.role(old)) !== "slave") {
    if (since() > DEMOTION_LIMIT_MS) throw new Error(`the old primary ${old} was not a replica ${DEMOTION_LIMIT_MS / 1_000} s after the fault`);
    await delay(100);
  }
  return { label, facts: { from: old, to, newPrimaryAfterMs, demotedAfterMs: since() } };
}
