import { describe, expect, test } from "vitest";
import { compileJsonPath } from "../../../src/http/json-path.js";
import type { AsyncHttpConfig } from "../../../src/http/metadata/config.js";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";
import { Answer } from "../../../src/runners/async-http/answer.js";
import { checkOwner, claimRun } from "../../../src/runners/async-http/identity.js";
import { pollPhase, type LookupPhase, type Phase, type PollPhase, type Unproven } from "../../../src/runners/async-http/phase.js";
import { protocolOf } from "../../../src/runners/async-http/protocol.js";
import type { Context } from "../../../src/runners/async-http/transitions.js";

const API = "https://api.test";
const INVOCATION = "inv-1";

function configOf(metadata: Record<string, string>): AsyncHttpConfig {
  const parsed = parseAsyncHttpMetadata({
    "http.url": `${API}/runs`,
    "http.poll_status_path": "run.status",
    "http.poll_terminal_states": "completed,failed",
    "http.poll_run_id_path": "run.id",
    ...metadata,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

/** Poll answers name the run at `run.id`; no owner check. */
const plain = configOf({});
/** Poll answers name the run at `run.id` and carry the kickoff's message at `run.user_message`, which must contain the invocation's id. */
const owned = configOf({ "http.run_owner_path": "run.user_message" });
/** Runs looked up in /messages, polled at /by-worker/{lookup}, proven by `run.user_message`. */
const lookedUp = configOf({
  "http.run_lookup_url": "/messages",
  "http.run_lookup_path": "*.worker",
  "http.poll_url_template": "/by-worker/{lookup}",
  "http.run_owner_path": "run.user_message",
});

const contextOf = (config: AsyncHttpConfig): Context => ({
  config,
  protocol: protocolOf(config),
  request: { phase: "poll", method: "GET", url: new URL(`${API}/runs/7`).href, attempt: 3 },
  errors: 0,
  invocationId: INVOCATION,
});

const answer = (code: number, run?: object): Answer =>
  new Answer({ status: code, url: new URL(`${API}/runs/7`).href, body: run === undefined ? "" : JSON.stringify({ run }), header: () => undefined });

const hooks = {};
const looking: LookupPhase = {
  name: "lookup",
  lookup: { url: new URL(`${API}/messages`), path: pathOf("*.worker"), template: "/by-worker/{lookup}" },
  before: new Set(["w-old"]),
  runId: undefined,
  hooks,
};

/** A poll phase at /runs/7, its run id `runId` (null: none known yet), proven unless `unproven` is given. */
function polling(runId: string | null, unproven?: Unproven, lookup?: string): PollPhase {
  return pollPhase({ pollUrl: `${API}/runs/7`, runId: runId ?? undefined, lookup, mode: undefined, resultUrl: undefined }, unproven);
}

function pathOf(text: string) {
  const path = compileJsonPath(text);
  if (typeof path === "string") throw new Error(path);
  return path;
}

/** What a claim comes to: the run's own answer (with its id and proof), not the run's yet, the end, or the lookup again. */
function outcome(claimed: Phase | undefined): object {
  if (claimed === undefined) return { not: "ours yet" };
  switch (claimed.name) {
    case "poll":
      return { ours: claimed.runId ?? null, proven: claimed.unproven === undefined };
    case "settle":
      return { ends: claimed.ending.failure?.kind, runId: claimed.runId ?? null };
    case "lookup":
      return { lookup: [...claimed.before] };
    default:
      return { phase: claimed.name };
  }
}

describe(claimRun.name, () => {
  test.each<[string, AsyncHttpConfig, PollPhase, Answer, object]>([
    ["an answer with a pending code or an error code is read as it is", owned, polling(null, { hooks }), answer(503), { ours: null, proven: false }],
    ["a proven run takes the first run id an answer names", plain, polling(null), answer(200, { id: "7" }), { ours: "7", proven: true }],
    ["a proven run's answer naming its own id is its own", plain, polling("7"), answer(200, { id: "7" }), { ours: "7", proven: true }],
    ["an answer naming another id than the pinned one ends the run: lost sight", plain, polling("7"), answer(200, { id: "8" }), { ends: "lost_sight", runId: "7" }],
    ["an answer without the owner value is not the run's yet", owned, polling(null, { hooks }), answer(200, { id: "7" }), { not: "ours yet" }],
    [
      "an answer with another's owner value, for a run nobody named, is not the run's yet: the status URL may still show an earlier run",
      owned,
      polling(null, { hooks }),
      answer(200, { id: "6", user_message: "run inv-0" }),
      { not: "ours yet" },
    ],
    [
      "an answer with the invocation's owner value proves the run and pins the id it names",
      owned,
      polling(null, { hooks }),
      answer(200, { id: "7", user_message: `please run ${INVOCATION}` }),
      { ours: "7", proven: true },
    ],
    [
      "an answer with another's owner value, for a run the kickoff named, ends the run: lost sight",
      owned,
      polling("7", { hooks }),
      answer(200, { id: "7", user_message: "run inv-0" }),
      { ends: "lost_sight", runId: "7" },
    ],
    [
      "an answer with another's owner value, for a proven run, ends the run: lost sight",
      owned,
      polling("7"),
      answer(200, { id: "7", user_message: "run inv-0" }),
      { ends: "lost_sight", runId: "7" },
    ],
    ["an answer without the owner value, for a proven run, is not the run's yet", owned, polling("7"), answer(200, { id: "7" }), { not: "ours yet" }],
    [
      "a run the lookup found whose answer carries another's owner value is left, and the lookup goes on without it",
      lookedUp,
      polling(null, { hooks, lookup: looking }, "w-1"),
      answer(200, { id: "6", user_message: "run inv-0" }),
      { lookup: ["w-old", "w-1"] },
    ],
  ])("%s", (_title, config, phase, reply, expected) => {
    expect(outcome(claimRun(phase, reply, contextOf(config)))).toEqual(expected);
  });

  test("names both runs when the status URL shows another", () => {
    const claimed = claimRun(polling("7"), answer(200, { id: "8" }), contextOf(plain));
    expect(claimed).toMatchObject({ name: "settle", ending: { failure: { kind: "lost_sight", runId: "7", seen: { runId: "8" } } } });
  });

  test("keeps a stopped run's ending when a candidate is left, so the run goes on looking within its cancel budget", () => {
    const stopped = { failure: { kind: "runner_error", error: "stand-in" } } as const;
    const claimed = claimRun(polling(null, { hooks, lookup: looking, stopped }, "w-1"), answer(200, { user_message: "run inv-0" }), contextOf(lookedUp));
    expect(claimed).toMatchObject({ name: "lookup", stopped });
  });
});

describe(checkOwner.name, () => {
  const path = pathOf("run.user_message");
  test.each([
    [{ run: { user_message: `do it (${INVOCATION})` } }, "ours"],
    [{ run: { user_message: "do it (inv-2)" } }, "other"],
    [{ run: { user_message: 12 } }, "other"],
    [{ run: { user_message: { text: INVOCATION } } }, "ours"],
    [{ run: { user_message: null } }, "absent"],
    [{ run: {} }, "absent"],
  ])("reads %j as %s", (json, expected) => {
    expect(checkOwner(json, path, INVOCATION)).toBe(expected);
  });
});
