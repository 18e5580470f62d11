import { describe, expect, test } from "vitest";
import type { Failure } from "../../../src/runners/failure.js";
import { pollPhase, settlePhase, type Phase } from "../../../src/runners/async-http/phase.js";
import { cancelDue } from "../../../src/runners/async-http/settle.js";

const API = "https://api.test";
const job = { pollUrl: `${API}/runs/7`, runId: "7", lookup: undefined, mode: undefined, resultUrl: undefined };
const polling = pollPhase(job);
const unproven = pollPhase(job, { hooks: {} });
const kickoff: Phase = { name: "kickoff", attempt: 1, before: undefined, unanswered: false, hooks: {} };
const doing = { phase: "poll", url: job.pollUrl, polls: 1, lastStatus: "running" } as const;
const stopped = (reason: "cancelled" | "timed_out" | "abandoned"): Failure => ({ kind: "stopped", reason, doing });
const gaveUp: Failure = { kind: "errors", request: { phase: "poll", method: "GET", url: new URL(job.pollUrl).href, attempt: 3 }, times: 3, budget: 2, last: { error: "reset" } };
const ended: Failure = { kind: "backend_ended", status: "failed", outcome: "failed" };

interface CancelSettings {
  readonly cancelUrlTemplate: string | undefined;
  readonly cancelOnFailure: boolean;
}
const template: CancelSettings = { cancelUrlTemplate: "/runs/{run_id}/cancel", cancelOnFailure: false };
const onFailure: CancelSettings = { cancelUrlTemplate: "/runs/{run_id}/cancel", cancelOnFailure: true };

describe(cancelDue.name, () => {
  test.each<[string, CancelSettings, Phase, Failure | undefined, boolean]>([
    ["a run the caller cancelled while polling its job", template, polling, stopped("cancelled"), true],
    ["a run past its deadline while polling its job", template, polling, stopped("timed_out"), true],
    ["a run abandoned to another process", template, polling, stopped("abandoned"), false],
    ["a run stopped before its job was proven its own", template, unproven, stopped("cancelled"), false],
    ["a run stopped during its kickoff, its job never accepted", template, kickoff, stopped("cancelled"), false],
    ["a run that gave up on its job, without http.cancel_on_failure", template, polling, gaveUp, false],
    ["a run that gave up on its job, with http.cancel_on_failure", onFailure, polling, gaveUp, true],
    ["a job the backend ended, with http.cancel_on_failure", onFailure, polling, ended, false],
    ["a run that succeeded", onFailure, polling, undefined, false],
    ["a run stopped without a cancel template", { cancelUrlTemplate: undefined, cancelOnFailure: true }, polling, stopped("cancelled"), false],
  ])("%s: %s", (_title, config, phase, failure, due) => {
    expect(cancelDue(config, settlePhase(phase, { failure }))).toBe(due);
  });
});
