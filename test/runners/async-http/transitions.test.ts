import { describe, expect, test } from "vitest";
import type { AsyncHttpConfig } from "../../../src/http/metadata/config.js";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";
import { TransportError, type TransportFailure } from "../../../src/http/transport/transport-error.js";
import { failureStatus, type Failure } from "../../../src/runners/failure.js";
import { Answer } from "../../../src/runners/async-http/answer.js";
import type { LookupVerdict } from "../../../src/runners/async-http/lookup.js";
import { pollPhase, type FinalPhase, type LookupPhase, type Phase, type PollPhase } from "../../../src/runners/async-http/phase.js";
import { protocolOf, type RunLookup } from "../../../src/runners/async-http/protocol.js";
import { afterFinal, afterKickoff, afterLookup, afterNoAnswer, afterPoll, type ActivePhase } from "../../../src/runners/async-http/transitions.js";
import type { KickoffVerdict, PollVerdict } from "../../../src/runners/async-http/verdict.js";

const API = "https://api.test";

function configOf(metadata: Record<string, string>): AsyncHttpConfig {
  const parsed = parseAsyncHttpMetadata({ "http.url": `${API}/runs`, ...metadata });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

const STATES = { "http.poll_status_path": "status", "http.poll_terminal_states": "completed,failed,cancelled" };
const BY_ID = { "http.poll_url_template": "/runs/{run_id}", "http.poll_run_id_path": "id" };

/** A POST kickoff (never sent again) naming the run at `id`; polls /runs/{run_id}; two transient failures in a row tolerated. */
const templated = configOf({ ...STATES, ...BY_ID, "http.poll_max_consecutive_errors": "2" });
/** A PUT kickoff: sent up to three times. */
const put = configOf({ ...STATES, ...BY_ID, "http.method": "PUT", "http.kickoff_max_retries": "2" });
/** A PUT kickoff (sent up to twice) whose run is looked up in /messages before and after it; polls /by-run/{lookup}; one transient failure tolerated. */
const lookedUp = configOf({
  ...STATES,
  "http.method": "PUT",
  "http.kickoff_max_retries": "1",
  "http.run_lookup_url": "/messages",
  "http.run_lookup_path": "*.run",
  "http.poll_url_template": "/by-run/{lookup}",
  "http.poll_max_consecutive_errors": "1",
});
/** Protocol `lro`; two transient failures in a row tolerated. */
const lro = configOf({ "http.poll_protocol": "lro", "http.poll_max_consecutive_errors": "2" });

function lookupOf(config: AsyncHttpConfig): RunLookup {
  const lookup = protocolOf(config).lookup;
  if (lookup === undefined) throw new Error("no run lookup");
  return lookup;
}

// The phases a transition starts from.
const starting = { name: "start", lookup: lookupOf(lookedUp), hooks: {} } as const;
const sending = (attempt = 1, before?: readonly string[]) => ({ name: "kickoff", attempt, before: before && new Set(before), unanswered: false, hooks: {} }) as const;
const looking = (runId?: string): LookupPhase => ({ name: "lookup", lookup: lookupOf(lookedUp), before: new Set(["a"]), runId, hooks: {} });
const polling = (path = "/runs/7", runId: string | null = "7"): PollPhase =>
  pollPhase({ pollUrl: `${API}${path}`, runId: runId ?? undefined, lookup: undefined, mode: undefined, resultUrl: undefined });
/** Protocol `lro`: an operation monitor at /ops/1 whose result is read at /things/1. */
const monitoring = pollPhase({
  pollUrl: `${API}/ops/1`,
  runId: undefined,
  lookup: undefined,
  mode: "operation-location",
  resultUrl: `${API}/things/1`,
});
const reading: FinalPhase = { ...monitoring, name: "final", resultUrl: `${API}/things/1` };

// The verdicts.
const succeeded = { kind: "terminal", status: "completed", outcome: "succeeded" } as const;
const failed = { kind: "terminal", status: "failed", outcome: "failed" } as const;
const cancelled = { kind: "terminal", status: "cancelled", outcome: "cancelled" } as const;
const running = { kind: "progress", status: "running" } as const;
const pending = { kind: "pending" } as const;
const transient = { kind: "transient" } as const;
const permanent = { kind: "permanent" } as const;
const malformed = { kind: "malformed", problem: "has no status at 'status' (http.poll_status_path)" } as const;
const notJson = { kind: "malformed", problem: "is not JSON" } as const;
const opSucceeded = { kind: "terminal", status: "Succeeded", outcome: "succeeded" } as const;
const opFailed = { kind: "terminal", status: "Failed", outcome: "failed" } as const;
const keys = (...found: string[]): LookupVerdict => ({ kind: "keys", keys: found });
const acceptedAt = (path: string): KickoffVerdict => ({ kind: "accepted", status: undefined, monitor: { url: new URL(`${API}${path}`).href, mode: undefined } });
const acceptedUnnamed: KickoffVerdict = { kind: "accepted", status: undefined, monitor: undefined };
const acceptedByMonitor: KickoffVerdict = {
  kind: "accepted",
  status: undefined,
  monitor: { url: new URL(`${API}/ops/1`).href, mode: "operation-location", resultUrl: `${API}/things/1` },
};

/** An answer with `code` and `body` (an object is sent as JSON). */
function answer(code: number, body: unknown = ""): Answer {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return new Answer({ status: code, url: new URL(`${API}/runs`).href, body: text, header: () => undefined });
}

/** What a transition reads besides the phase: `errors` counts this answer when it is a transient failure. */
function contextOf(config: AsyncHttpConfig, phase: ActivePhase, errors = 0) {
  const url = phase.name === "poll" ? phase.pollUrl : phase.name === "final" ? phase.resultUrl : config.url.href;
  const attempt = phase.name === "kickoff" ? phase.attempt : 1;
  const request = { phase: phase.name === "start" ? "lookup" : phase.name, method: "GET", url, attempt } as const;
  return { config, protocol: protocolOf(config), request, errors, invocationId: "inv-1" };
}

type Step = () => Phase;
interface Options {
  readonly errors?: number;
}

// One request of a phase, answered (or not): the transition it takes.
const kickoff =
  (config: AsyncHttpConfig, phase: ReturnType<typeof sending>, verdict: KickoffVerdict, code: number, runId?: string): Step =>
  () =>
    afterKickoff(phase, verdict, answer(code), runId, contextOf(config, phase));
const lookup =
  (phase: typeof starting | LookupPhase, verdict: LookupVerdict, code: number, { errors }: Options = {}): Step =>
  () =>
    afterLookup(phase, verdict, answer(code), contextOf(lookedUp, phase, errors));
const poll =
  (config: AsyncHttpConfig, phase: PollPhase, verdict: PollVerdict, reply: Answer | number, { errors }: Options = {}): Step =>
  () =>
    afterPoll(phase, verdict, typeof reply === "number" ? answer(reply) : reply, contextOf(config, phase, errors));
const final =
  (verdict: PollVerdict, code: number, { errors }: Options = {}): Step =>
  () =>
    afterFinal(reading, verdict, answer(code), contextOf(lro, reading, errors));
const noAnswer =
  (config: AsyncHttpConfig, phase: ActivePhase, kind: TransportFailure, { errors }: Options = {}): Step =>
  () =>
    afterNoAnswer(phase, new TransportError(kind, `${kind} error`), contextOf(config, phase, errors));

/** The key data of a phase: where it goes next, and how a settled run ends. */
function summary(phase: Phase): Record<string, unknown> {
  switch (phase.name) {
    case "start":
      return { name: "start" };
    case "kickoff":
      return { name: "kickoff", attempt: phase.attempt, before: phase.before && [...phase.before] };
    case "lookup":
      return { name: "lookup", before: [...phase.before], runId: phase.runId };
    case "poll":
      return { name: "poll", pollUrl: phase.pollUrl, runId: phase.runId, lookup: phase.lookup, mode: phase.mode, resultUrl: phase.resultUrl };
    case "final":
      return { name: "final", resultUrl: phase.resultUrl };
    case "settle": {
      const failure = phase.ending.failure;
      return { name: "settle", ends: failure === undefined ? "succeeded" : failureStatus(failure), failure: failure?.kind };
    }
  }
}

// The phases a transition goes to.
const toStart = { name: "start" };
const toKickoff = (attempt: number, before?: string[]) => ({ name: "kickoff", attempt, before });
const toLookup = (runId?: string) => ({ name: "lookup", before: ["a"], runId });
const toPoll = (path: string, runId?: string, more: Record<string, string> = {}) => ({ name: "poll", pollUrl: `${API}${path}`, runId, ...more });
const toFinal = (path: string) => ({ name: "final", resultUrl: `${API}${path}` });
const ends = (status: "succeeded" | "failed" | "cancelled", failure?: Failure["kind"]) => ({ name: "settle", ends: status, failure });

describe("transitions", () => {
  // Each row: a request of a phase, the verdict on its answer (or the error of a request that got
  // no answer), and the phase that follows. The rows that go to `ends(...)` are the answers that end a run.
  test.each<[string, Step, Record<string, unknown>]>([
    // start: the lookup before the kickoff (with http.run_lookup_url)
    ["the lookup before the kickoff lists the runs there were, and the kickoff follows", lookup(starting, keys("a", "b"), 200), toKickoff(1, ["a", "b"])],
    ["a lookup before the kickoff answered with a pending code lists no runs", lookup(starting, pending, 404), toKickoff(1, [])],
    ["a lookup before the kickoff that fails transiently within the budget is sent again", lookup(starting, transient, 503, { errors: 1 }), toStart],
    ["a lookup before the kickoff that fails transiently past the budget ends the run", lookup(starting, transient, 503, { errors: 2 }), ends("failed", "errors")],
    ["a lookup before the kickoff answered with a permanent code ends the run", lookup(starting, permanent, 403), ends("failed", "refused")],
    ["a lookup before the kickoff answered with no JSON ends the run", lookup(starting, notJson, 200), ends("failed", "malformed_answer")],
    ["a lookup before the kickoff that got no answer is sent again within the budget", noAnswer(lookedUp, starting, "network", { errors: 1 }), toStart],

    // kickoff
    ["a kickoff answered with a terminal success ends the run succeeded", kickoff(templated, sending(), succeeded, 200, "7"), ends("succeeded")],
    ["a kickoff answered with a terminal failure ends the run failed", kickoff(templated, sending(), failed, 200, "7"), ends("failed", "backend_ended")],
    ["a kickoff answered with a cancelled state ends the run cancelled", kickoff(templated, sending(), cancelled, 200, "7"), ends("cancelled", "backend_ended")],
    ["an accepted kickoff naming a status URL is polled there, with its run id", kickoff(templated, sending(), acceptedAt("/runs/7"), 202, "7"), toPoll("/runs/7", "7")],
    [
      "an accepted kickoff with an operation monitor polls it, keeping where the result is read",
      kickoff(lro, sending(), acceptedByMonitor, 202),
      toPoll("/ops/1", undefined, { mode: "operation-location", resultUrl: `${API}/things/1` }),
    ],
    ["an accepted kickoff naming no status URL looks the run up", kickoff(lookedUp, sending(1, ["a"]), acceptedUnnamed, 202), toLookup()],
    ["a run looked up keeps the run id its kickoff named", kickoff(lookedUp, sending(1, ["a"]), acceptedUnnamed, 202, "r9"), toLookup("r9")],
    ["an accepted kickoff naming no status URL, without a lookup, ends the run", kickoff(templated, sending(), acceptedUnnamed, 202), ends("failed", "runner_error")],
    ["a kickoff answer whose status cannot be read ends the run", kickoff(templated, sending(), malformed, 200), ends("failed", "malformed_answer")],
    ["a kickoff answered with a permanent code ends the run", kickoff(templated, sending(), permanent, 400), ends("failed", "refused")],
    ["a POST kickoff that fails transiently is never sent again", kickoff(templated, sending(), transient, 503), ends("failed", "refused")],
    ["a PUT kickoff that fails transiently is sent again", kickoff(put, sending(1), transient, 503), toKickoff(2)],
    ["a PUT kickoff is sent again up to http.kickoff_max_retries times", kickoff(put, sending(2), transient, 429), toKickoff(3)],
    ["a PUT kickoff that fails transiently past http.kickoff_max_retries ends the run", kickoff(put, sending(3), transient, 503), ends("failed", "refused")],
    ["a kickoff sent again keeps the runs listed before it", kickoff(lookedUp, sending(1, ["a"]), transient, 503), toKickoff(2, ["a"])],
    ["a POST kickoff that got no answer is never sent again", noAnswer(templated, sending(), "network"), ends("failed", "transport")],
    ["a PUT kickoff that got no answer is sent again", noAnswer(put, sending(1), "network"), toKickoff(2)],
    ["a PUT kickoff that got no answer past http.kickoff_max_retries ends the run", noAnswer(put, sending(3), "network"), ends("failed", "transport")],
    ["a PUT kickoff whose answer was too large is not sent again", noAnswer(put, sending(1), "too_large"), ends("failed", "transport")],

    // lookup: the run an acknowledgement did not name
    ["a lookup listing a run that is new since the kickoff polls it", lookup(looking(), keys("a", "b"), 200), toPoll("/by-run/b", undefined, { lookup: "b" })],
    ["a lookup listing several new runs polls the last one listed", lookup(looking(), keys("a", "b", "c"), 200), toPoll("/by-run/c", undefined, { lookup: "c" })],
    ["a run found by lookup keeps the run id its kickoff named", lookup(looking("r9"), keys("b"), 200), toPoll("/by-run/b", "r9", { lookup: "b" })],
    ["a lookup listing only the runs there were before the kickoff looks again", lookup(looking(), keys("a"), 200), toLookup()],
    ["a lookup answered with a pending code looks again", lookup(looking(), pending, 404), toLookup()],
    ["a lookup that fails transiently within the budget looks again", lookup(looking(), transient, 503, { errors: 1 }), toLookup()],
    ["a lookup that fails transiently past the budget ends the run", lookup(looking(), transient, 503, { errors: 2 }), ends("failed", "errors")],
    ["a lookup answered with a permanent code ends the run", lookup(looking(), permanent, 401), ends("failed", "refused")],
    ["a lookup answered with a body that is not JSON ends the run", lookup(looking(), notJson, 200), ends("failed", "malformed_answer")],
    ["a lookup that got no answer looks again within the budget", noAnswer(lookedUp, looking(), "network", { errors: 1 }), toLookup()],
    ["a lookup that got no answer past the budget ends the run", noAnswer(lookedUp, looking(), "network", { errors: 2 }), ends("failed", "errors")],

    // poll
    ["a poll answered with a terminal success ends the run succeeded", poll(templated, polling(), succeeded, 200), ends("succeeded")],
    ["a poll answered with a terminal failure ends the run failed", poll(templated, polling(), failed, 200), ends("failed", "backend_ended")],
    ["a poll answered with a terminal cancellation ends the run cancelled", poll(templated, polling(), cancelled, 200), ends("cancelled", "backend_ended")],
    ["a poll answered with progress polls the same URL again", poll(templated, polling(), running, 200), toPoll("/runs/7", "7")],
    [
      "a poll answered with progress and a moved status URL polls the new URL",
      poll(lro, monitoring, { ...running, moveTo: `${API}/ops/2` }, 200),
      toPoll("/ops/2", undefined, { mode: "operation-location", resultUrl: `${API}/things/1` }),
    ],
    ["a poll answered with a pending code polls again", poll(templated, polling(), pending, 404), toPoll("/runs/7", "7")],
    ["a poll that fails transiently within the error budget polls again", poll(templated, polling(), transient, 503, { errors: 2 }), toPoll("/runs/7", "7")],
    ["a poll that fails transiently past the error budget ends the run", poll(templated, polling(), transient, 500, { errors: 3 }), ends("failed", "errors")],
    ["a poll answered with a permanent code ends the run", poll(templated, polling(), permanent, 403), ends("failed", "refused")],
    ["a poll answer whose status cannot be read ends the run", poll(templated, polling(), malformed, 200), ends("failed", "malformed_answer")],
    ["an operation that succeeded has its result read", poll(lro, monitoring, opSucceeded, 200), toFinal("/things/1")],
    ["an operation that failed ends the run without reading a result", poll(lro, monitoring, opFailed, 200), ends("failed", "backend_ended")],
    ["a poll that got no answer polls again within the error budget", noAnswer(templated, polling(), "network", { errors: 2 }), toPoll("/runs/7", "7")],
    ["a poll that got no answer past the error budget ends the run", noAnswer(templated, polling(), "network", { errors: 3 }), ends("failed", "errors")],
    ["a poll whose answer was too large ends the run", noAnswer(templated, polling(), "too_large"), ends("failed", "transport")],
    ["a poll redirected too often ends the run", noAnswer(templated, polling(), "redirect"), ends("failed", "transport")],

    // final: the read of a succeeded operation's result (protocol lro)
    ["the result of a succeeded operation ends the run succeeded", final(opSucceeded, 200), ends("succeeded")],
    ["a result read answered with a pending code reads again", final(pending, 404), toFinal("/things/1")],
    ["a result read that fails transiently within the budget reads again", final(transient, 503, { errors: 2 }), toFinal("/things/1")],
    ["a result read that fails transiently past the budget ends the run", final(transient, 503, { errors: 3 }), ends("failed", "errors")],
    ["a result read answered with a permanent code ends the run", final(permanent, 404), ends("failed", "refused")],
    ["a result read that got no answer reads again within the budget", noAnswer(lro, reading, "network", { errors: 1 }), toFinal("/things/1")],
    ["a result read whose answer was too large ends the run", noAnswer(lro, reading, "too_large"), ends("failed", "transport")],
  ])("%s", (_, step, next) => {
    expect(summary(step())).toEqual(next);
  });
});
