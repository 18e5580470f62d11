import { describe, expect, test } from "vitest";
import type { AsyncHttpConfig } from "../../../src/http/metadata/config.js";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";
import { FIRST_PACING, nextWaitMs, paceAnswer, paceMove, paceNoAnswer, waitSource, waited, type Pacing, type PacingPolicy } from "../../../src/runners/async-http/pacing.js";
import type { Phase } from "../../../src/runners/async-http/phase.js";

/** A configuration with the given wait settings (`http.poll_*` seconds). */
function policyOf(waits: Record<string, string>): AsyncHttpConfig {
  const parsed = parseAsyncHttpMetadata({
    "http.url": "https://api.test/runs",
    "http.poll_status_path": "status",
    "http.poll_terminal_states": "completed",
    ...waits,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

const NO_DEADLINE = Infinity;
/** Interval 1 s, doubled each wait, capped at 5 s. */
const backoff = policyOf({ "http.poll_interval_seconds": "1", "http.poll_backoff": "2", "http.poll_max_interval_seconds": "5" });
/** Interval 1 s, no backoff. */
const steady = policyOf({ "http.poll_interval_seconds": "1" });
/** Interval 1 s; the first poll 3 s after acceptance. */
const delayed = policyOf({ "http.poll_interval_seconds": "1", "http.poll_initial_delay_seconds": "3" });

/** A run's pacing, moved as `AsyncRun` moves it: each wait asked for is taken (`waited`). */
class Paced {
  pacing: Pacing = FIRST_PACING;

  paceAnswer(retryAfterMs: number | undefined): void {
    this.pacing = paceAnswer(this.pacing, retryAfterMs);
  }

  paceNoAnswer(): void {
    this.pacing = paceNoAnswer(this.pacing);
  }

  paceMove(policy: PacingPolicy, from: Phase["name"], to: Phase["name"]): void {
    this.pacing = paceMove(this.pacing, policy, from, to);
  }

  get waitSource(): "interval" | "retry-after" {
    return waitSource(this.pacing);
  }

  nextWaitMs(policy: PacingPolicy, remainingMs: number): number | undefined {
    const delayMs = nextWaitMs(this.pacing, policy, { remainingMs: () => remainingMs });
    this.pacing = waited(this.pacing);
    return delayMs;
  }
}

/** The waits `pacing` gives before each of `count` requests, each answered without a Retry-After. */
function waitsAfterAnswers(pacing: Paced, policy: AsyncHttpConfig, count: number): (number | undefined)[] {
  const waits: (number | undefined)[] = [];
  for (let index = 0; index < count; index++) {
    pacing.paceAnswer(undefined);
    waits.push(pacing.nextWaitMs(policy, NO_DEADLINE));
  }
  return waits;
}

describe("pacing", () => {
  test("gives no wait before the first request", () => {
    expect(new Paced().nextWaitMs(backoff, NO_DEADLINE)).toBeUndefined();
  });

  test("waits the interval after each answer, grown by http.poll_backoff up to http.poll_max_interval_seconds", () => {
    expect(waitsAfterAnswers(new Paced(), backoff, 5)).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  test("gives a wait of 0 ms, not none, for an interval of 0", () => {
    const pacing = new Paced();
    expect(waitsAfterAnswers(pacing, policyOf({ "http.poll_interval_seconds": "0" }), 2)).toEqual([0, 0]);
  });

  test("cuts a wait to the time left, and reads the time left only for a wait longer than 0 ms", () => {
    let reads = 0;
    const left = (ms: number) => ({ remainingMs: () => (reads++, ms) });
    const answered = (): Pacing => paceAnswer(FIRST_PACING, undefined);
    expect(nextWaitMs(answered(), steady, left(400))).toBe(400);
    expect(nextWaitMs(answered(), steady, left(5000))).toBe(1000);
    expect(reads).toBe(2);
    expect(nextWaitMs(answered(), policyOf({ "http.poll_interval_seconds": "0" }), left(400))).toBe(0);
    expect(reads).toBe(2);
  });

  test("lets a Retry-After replace the next wait only, and says so in its source", () => {
    const pacing = new Paced();
    pacing.paceAnswer(undefined);
    expect([pacing.waitSource, pacing.nextWaitMs(steady, NO_DEADLINE)]).toEqual(["interval", 1000]);
    pacing.paceAnswer(7000);
    expect([pacing.waitSource, pacing.nextWaitMs(steady, NO_DEADLINE)]).toEqual(["retry-after", 7000]);
    pacing.paceAnswer(undefined);
    expect([pacing.waitSource, pacing.nextWaitMs(steady, NO_DEADLINE)]).toEqual(["interval", 1000]);
  });

  test("polls at once after an acknowledgement without a Retry-After or an initial delay", () => {
    const pacing = new Paced();
    pacing.paceAnswer(undefined);
    pacing.paceMove(steady, "kickoff", "poll");
    expect(pacing.nextWaitMs(steady, NO_DEADLINE)).toBeUndefined();
    expect(waitsAfterAnswers(pacing, steady, 1)).toEqual([1000]);
  });

  test("waits http.poll_initial_delay_seconds before the first poll, then the interval counted from the start", () => {
    const pacing = new Paced();
    pacing.paceAnswer(undefined);
    pacing.paceMove(delayed, "kickoff", "poll");
    expect([pacing.waitSource, pacing.nextWaitMs(delayed, NO_DEADLINE)]).toEqual(["interval", 3000]);
    expect(waitsAfterAnswers(pacing, delayed, 2)).toEqual([1000, 1000]);
  });

  test("waits the initial delay before the first lookup of a run the acknowledgement did not name", () => {
    const pacing = new Paced();
    pacing.paceAnswer(undefined);
    pacing.paceMove(delayed, "kickoff", "lookup");
    expect(pacing.nextWaitMs(delayed, NO_DEADLINE)).toBe(3000);
  });

  test("lets a Retry-After on the acknowledgement win over the initial delay", () => {
    const pacing = new Paced();
    pacing.paceAnswer(9000);
    pacing.paceMove(delayed, "kickoff", "poll");
    expect([pacing.waitSource, pacing.nextWaitMs(delayed, NO_DEADLINE)]).toEqual(["retry-after", 9000]);
  });

  test("waits a Retry-After on the acknowledgement before the first poll without an initial delay", () => {
    const pacing = new Paced();
    pacing.paceAnswer(4000);
    pacing.paceMove(steady, "kickoff", "poll");
    expect(pacing.nextWaitMs(steady, NO_DEADLINE)).toBe(4000);
  });

  test("starts the interval waits over once the backend accepts the job", () => {
    const pacing = new Paced();
    expect(waitsAfterAnswers(pacing, backoff, 2)).toEqual([1000, 2000]);
    pacing.paceAnswer(undefined);
    pacing.paceMove(backoff, "kickoff", "poll");
    expect(pacing.nextWaitMs(backoff, NO_DEADLINE)).toBeUndefined();
    expect(waitsAfterAnswers(pacing, backoff, 2)).toEqual([1000, 2000]);
  });

  test("polls a run found by lookup at once", () => {
    const pacing = new Paced();
    expect(waitsAfterAnswers(pacing, steady, 2)).toEqual([1000, 1000]);
    pacing.paceAnswer(undefined);
    pacing.paceMove(steady, "lookup", "poll");
    expect(pacing.nextWaitMs(steady, NO_DEADLINE)).toBeUndefined();
  });

  test("reads a succeeded operation's result at once", () => {
    const pacing = new Paced();
    pacing.paceAnswer(undefined);
    pacing.paceMove(steady, "poll", "final");
    expect(pacing.nextWaitMs(steady, NO_DEADLINE)).toBeUndefined();
  });

  test("sends the kickoff at once after the lookup before it, its waits counted anew", () => {
    const pacing = new Paced();
    expect(waitsAfterAnswers(pacing, backoff, 2)).toEqual([1000, 2000]);
    pacing.paceAnswer(5000);
    pacing.paceMove(backoff, "start", "kickoff");
    expect([pacing.waitSource, pacing.nextWaitMs(backoff, NO_DEADLINE)]).toEqual(["interval", undefined]);
    expect(waitsAfterAnswers(pacing, backoff, 2)).toEqual([1000, 2000]);
  });

  test("never waits past the deadline", () => {
    const pacing = new Paced();
    pacing.paceAnswer(undefined);
    expect(pacing.nextWaitMs(steady, 250)).toBe(250);
    pacing.paceAnswer(60_000);
    expect(pacing.nextWaitMs(steady, 1500)).toBe(1500);
    pacing.paceAnswer(undefined);
    expect(pacing.nextWaitMs(steady, 0)).toBe(0);
  });

  test("waits the interval after a request that got no answer", () => {
    const pacing = new Paced();
    pacing.paceNoAnswer();
    expect(pacing.nextWaitMs(steady, NO_DEADLINE)).toBe(1000);
  });

  test("does not wait a Retry-After it has waited again after a request that got no answer", () => {
    const pacing = new Paced();
    pacing.paceAnswer(7000);
    expect(pacing.nextWaitMs(steady, NO_DEADLINE)).toBe(7000);
    pacing.paceNoAnswer();
    expect([pacing.waitSource, pacing.nextWaitMs(steady, NO_DEADLINE)]).toEqual(["interval", 1000]);
  });

  test("keeps a pending Retry-After through a request that got no answer", () => {
    const pacing = new Paced();
    pacing.paceAnswer(6000);
    pacing.paceNoAnswer();
    expect([pacing.waitSource, pacing.nextWaitMs(steady, NO_DEADLINE)]).toEqual(["retry-after", 6000]);
  });
});
