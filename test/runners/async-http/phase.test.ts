import { describe, expect, test } from "vitest";
import { compileJsonPath } from "../../../src/http/json-path.js";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";
import type { Ending } from "../../../src/runners/run-report.js";
import {
  checkpointOf,
  firstPhase,
  jobMetadata,
  pollPhase,
  requestOf,
  resumedPhase,
  settlePhase,
  type Accepted,
  type Phase,
} from "../../../src/runners/async-http/phase.js";
import type { RunLookup } from "../../../src/runners/async-http/protocol.js";

const API = "https://api.test";
const ACCEPTED_AT = Date.UTC(2026, 0, 1, 12);
const DEADLINE = Date.UTC(2026, 0, 1, 13);

const path = compileJsonPath("run");
if (typeof path === "string") throw new Error(path);
const runLookup: RunLookup = { url: new URL(`${API}/messages`), path, template: "/by-run/{lookup}" };
const hooks = { beforeKickoff: async () => undefined };
const ended: Ending = { exitCode: 0 };

/** A job the backend accepted, polled at /runs/7. */
const job: Accepted = { pollUrl: `${API}/runs/7`, runId: "7", lookup: undefined, mode: undefined, resultUrl: undefined };
/** A job of protocol `lro` found by lookup, with every field known. */
const fullJob: Accepted = {
  pollUrl: `${API}/ops/1`,
  runId: "r-1",
  lookup: "w-9",
  mode: "operation-location",
  resultUrl: `${API}/things/1`,
};

describe(firstPhase.name, () => {
  test("starts with the lookup that lists the runs there were when the run looks its job up", () => {
    expect(firstPhase(runLookup, hooks)).toEqual({ name: "start", lookup: runLookup, hooks });
  });

  test("starts with the first kickoff otherwise", () => {
    expect(firstPhase(undefined, hooks)).toEqual({ name: "kickoff", attempt: 1, before: undefined, unanswered: false, hooks });
  });
});

describe(pollPhase.name, () => {
  test("polls a job with what is known of it, and nothing else of the phase it came from", () => {
    const other = { ...fullJob, name: "lookup", hooks };
    expect(pollPhase(other)).toEqual({ name: "poll", ...fullJob });
  });
});

describe(settlePhase.name, () => {
  test("keeps the job of a run settled while polling it, for the cancel request", () => {
    expect(settlePhase(pollPhase(job), ended)).toEqual({ name: "settle", ending: ended, job: "finished", runId: "7", accepted: pollPhase(job) });
  });

  test("keeps the job of a run settled while reading its result", () => {
    const final: Phase = { ...fullJob, name: "final", resultUrl: `${API}/things/1` };
    expect(settlePhase(final, ended)).toMatchObject({ runId: "r-1", accepted: final });
  });

  test("keeps the run id, but no job, of a run settled while it was looked up", () => {
    const looking: Phase = { name: "lookup", lookup: runLookup, before: new Set(), runId: "r-1", hooks };
    expect(settlePhase(looking, ended)).toEqual({ name: "settle", ending: ended, job: "finished", runId: "r-1", accepted: undefined });
  });

  test("takes the run id a kickoff's answer named, without a job", () => {
    const kickoff = firstPhase(undefined, hooks);
    expect(settlePhase(kickoff, ended, "9")).toEqual({ name: "settle", ending: ended, job: "finished", runId: "9", accepted: undefined });
  });

  test("keeps what a settled run knew when it settles again", () => {
    const settled = settlePhase(pollPhase(job), ended);
    const again = settlePhase(settled, { failure: { kind: "runner_error", error: "boom" } });
    expect(again).toMatchObject({ ending: { failure: { kind: "runner_error" } }, runId: "7", accepted: pollPhase(job) });
  });
});

describe(checkpointOf.name, () => {
  test("holds only the status URL and acceptance time of a job known by its URL", () => {
    expect(checkpointOf(job, ACCEPTED_AT, undefined)).toEqual({ version: 1, pollUrl: `${API}/runs/7`, runId: "7", acceptedAt: "2026-01-01T12:00:00.000Z" });
  });

  test("holds the deadline, monitor, result URL and lookup key when known", () => {
    expect(checkpointOf(fullJob, ACCEPTED_AT, DEADLINE)).toEqual({
      version: 1,
      pollUrl: `${API}/ops/1`,
      runId: "r-1",
      acceptedAt: "2026-01-01T12:00:00.000Z",
      deadlineAt: "2026-01-01T13:00:00.000Z",
      pollMode: "operation-location",
      resultUrl: `${API}/things/1`,
      lookup: "w-9",
    });
  });
});

describe(resumedPhase.name, () => {
  test.each([
    ["a job known by its URL", job],
    ["a job with every field known", fullJob],
  ])("polls %s again from its checkpoint", (_, accepted) => {
    expect(resumedPhase(checkpointOf(accepted, ACCEPTED_AT, DEADLINE))).toEqual(pollPhase(accepted));
  });
});

describe(requestOf.name, () => {
  const parsed = parseAsyncHttpMetadata({ "http.url": `${API}/runs`, "http.poll_status_path": "status", "http.poll_terminal_states": "completed,failed" });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const config = parsed.config;

  test("sends a poll to the phase's status URL as its text, a moved one included", () => {
    expect(requestOf(pollPhase(job), config, 2)).toEqual({ phase: "poll", method: "GET", url: `${API}/runs/7`, attempt: 2 });
    expect(requestOf(pollPhase({ ...job, pollUrl: `${API}/runs/8` }), config, 3).url).toBe(`${API}/runs/8`);
  });
});

describe(jobMetadata.name, () => {
  test("writes what a run knew of a job it polled", () => {
    const metadata: Record<string, string> = {};
    jobMetadata(metadata, settlePhase(pollPhase(fullJob), ended), { polls: 3, lookups: 2, lastStatus: "Running" });
    expect(metadata).toEqual({
      "http.poll_mode": "operation-location",
      "http.lookups": "2",
      "http.lookup": "w-9",
      "http.polls": "3",
      "http.run_id": "r-1",
      "http.poll_url": `${API}/ops/1`,
      "http.last_status": "Running",
    });
  });

  test("writes no status URL for a job that was never accepted, and the polls even when there were none", () => {
    const metadata: Record<string, string> = {};
    jobMetadata(metadata, settlePhase(firstPhase(undefined, hooks), ended, "9"), { polls: 0, lookups: 0, lastStatus: undefined });
    expect(metadata).toEqual({ "http.polls": "0", "http.run_id": "9" });
  });
});
