import { clampWaitMs, intervalDelayMs, toMs, type IntervalPolicy } from "../../http/timing.js";
import type { Phase } from "./phase.js";

/** The settings pacing reads: the interval policy and `http.poll_initial_delay_seconds`. */
export interface PacingPolicy extends IntervalPolicy {
  readonly pollInitialDelaySeconds: number;
}

/** The wait due before the next request, in a pacing's state: none, the interval, or `http.poll_initial_delay_seconds`. */
const NONE = 0;
const INTERVAL = 1;
const INITIAL = 2;
/** What one interval wait adds to the state: the waits are counted above the wait due. */
const ONE_WAIT = 4;

/**
 * When an asynchronous run waits: not before its first request, nor before
 * the first poll once the backend has the job (unless the acknowledgement
 * carried a Retry-After or `http.poll_initial_delay_seconds` is set); after
 * every other answer, the interval, with its backoff and cap, a Retry-After
 * in place of the next wait only; never past the deadline.
 *
 * A pacing is a value the run holds, moved by the functions below as the run
 * tells what happened: the wait due (`NONE`, `INTERVAL`, `INITIAL`) plus
 * `ONE_WAIT` times the interval waits so far (counted from the kickoff, or
 * from the acknowledgement), one small integer; with a Retry-After that
 * replaces the next wait, an object that carries it too, made only for an
 * answer that has one. A waiting run holds one field for it, and no object
 * (PERFORMANCE.md, "A pacing in one field").
 */
export type Pacing = number | { readonly state: number; readonly retryAfterMs: number };

/** The pacing of a run before its first request. */
export const FIRST_PACING: Pacing = NONE;

function stateOf(pacing: Pacing): number {
  return typeof pacing === "number" ? pacing : pacing.state;
}

function retryAfterOf(pacing: Pacing): number | undefined {
  return typeof pacing === "number" ? undefined : pacing.retryAfterMs;
}

function pacingOf(state: number, retryAfterMs: number | undefined): Pacing {
  return retryAfterMs === undefined ? state : { state, retryAfterMs };
}

/** A wait comes before the next request: the interval, unless one is due already. */
function waitDue(state: number): number {
  return state % ONE_WAIT === NONE ? state + INTERVAL : state;
}

/** An answer came: a wait comes before the next request, `retryAfterMs` (its Retry-After) in its place when set. */
export function paceAnswer(pacing: Pacing, retryAfterMs: number | undefined): Pacing {
  return pacingOf(waitDue(stateOf(pacing)), retryAfterMs);
}

/** A request got no answer: a wait comes before the next request. */
export function paceNoAnswer(pacing: Pacing): Pacing {
  return pacingOf(waitDue(stateOf(pacing)), retryAfterOf(pacing));
}

/**
 * The run moved from one phase to another. The kickoff after the lookup
 * that listed the runs before it goes out at once, its waits counted
 * anew. Once the backend acknowledged the job, its first poll (or lookup)
 * follows at once, unless the acknowledgement carried a Retry-After or
 * `http.poll_initial_delay_seconds` is set, and the interval waits start
 * over. The first poll of a run found by lookup, and the read of a
 * succeeded operation's result, go out at once.
 */
export function paceMove(pacing: Pacing, policy: PacingPolicy, from: Phase["name"], to: Phase["name"]): Pacing {
  if (from === "start") return NONE;
  const retryAfterMs = retryAfterOf(pacing);
  if (from === "kickoff" && (to === "lookup" || to === "poll")) {
    return pacingOf(policy.pollInitialDelaySeconds > 0 ? INITIAL : retryAfterMs === undefined ? NONE : INTERVAL, retryAfterMs);
  }
  if (to !== "poll" && to !== "final") return pacing;
  // A Retry-After replaces the next wait only, and there is none here.
  const state = stateOf(pacing);
  return state - (state % ONE_WAIT);
}

/** Where the length of the next wait comes from: a Retry-After, or the interval (the initial delay included). */
export function waitSource(pacing: Pacing): "interval" | "retry-after" {
  return retryAfterOf(pacing) === undefined ? "interval" : "retry-after";
}

/** What is left of a run's time (its scope): read only for a wait longer than 0 ms, so most polls at interval 0 read no clock. */
export interface TimeLeft {
  remainingMs(): number;
}

/** Milliseconds to wait before the next request, at most what is `left`; undefined when no wait is due. */
export function nextWaitMs(pacing: Pacing, policy: PacingPolicy, left: TimeLeft): number | undefined {
  const state = stateOf(pacing);
  const due = state % ONE_WAIT;
  if (due === NONE) return undefined;
  const retryAfterMs = retryAfterOf(pacing);
  let delayMs: number;
  if (retryAfterMs !== undefined) delayMs = retryAfterMs;
  else if (due === INITIAL) delayMs = toMs(policy.pollInitialDelaySeconds);
  else delayMs = intervalDelayMs(policy, (state - due) / ONE_WAIT + 1);
  return delayMs > 0 ? clampWaitMs(delayMs, left.remainingMs()) : 0;
}

/** The pacing once the wait `nextWaitMs` gave is over: the interval is due next, and an interval wait is counted. */
export function waited(pacing: Pacing): Pacing {
  const state = stateOf(pacing);
  const due = state % ONE_WAIT;
  if (due === NONE) return pacing;
  const counted = retryAfterOf(pacing) === undefined && due === INTERVAL ? ONE_WAIT : 0;
  return state - due + counted + INTERVAL;
}
