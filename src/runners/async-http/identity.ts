/**
 * Run identity: whether an answer at the status URL is about the
 * invocation's own run. The run id is pinned once known; with
 * `http.run_owner_path`, a run is the invocation's only once the value there
 * contains `http.run_owner_value`. Pure functions of the phase and one answer.
 */
import { readJsonPath, type JsonPath } from "../../http/json-path.js";
import { expandInvocationId } from "../../http/placeholders.js";
import { NOT_JSON, type Answer } from "./answer.js";
import { failedEnding } from "./ending.js";
import { pollPhase, settlePhase, type Phase, type PollPhase } from "./phase.js";
import { readRunId } from "./status-url.js";
import type { Context } from "./transitions.js";
import { isSuccessCode } from "./verdict.js";

/** What the value at the owner path says: no such value, the invocation's mark, or another's. */
export type Owner = "absent" | "ours" | "other";

/** Reads the owner path of a body: whether the value there contains `value` (a number or boolean read as text). */
export function checkOwner(json: unknown, path: JsonPath, value: string): Owner {
  if (json === NOT_JSON) return "absent";
  const found = readJsonPath(json, path);
  if (found === undefined || found === null) return "absent";
  const text = typeof found === "string" ? found : typeof found === "object" ? JSON.stringify(found) : String(found);
  return text.includes(value) ? "ours" : "other";
}

/**
 * Whether a poll answer is about the invocation's own run. Returns the poll
 * phase to read the answer in (its run id pinned, proven once the owner check
 * passed); undefined for an answer that is not the run's yet, to be taken as
 * pending (no owner value in it, or, for a run not proven, another's); or
 * the phase that follows an answer about another run: the end (`lost_sight`),
 * or, for a run a lookup found, the lookup again without it. Only 2xx answers
 * outside the pending codes are read.
 */
export function claimRun(phase: PollPhase, answer: Answer, context: Context): Phase | undefined {
  const { config, request } = context;
  if (!isSuccessCode(answer.code) || config.pollPendingCodes.has(answer.code)) return phase;
  const path = config.runOwnerPath;
  const owner = path === undefined ? "ours" : checkOwner(answer.json, path, expandInvocationId(config.runOwnerValue, context.invocationId));
  const idPath = config.pollRunIdPath;
  const seen = idPath === undefined ? undefined : readRunId(answer.json, idPath);
  const pinned = phase.runId;
  const unproven = phase.unproven;
  if (seen !== undefined && pinned !== undefined && seen !== pinned) {
    return settlePhase(phase, failedEnding({ kind: "lost_sight", request, runId: pinned, seen: { runId: seen } }));
  }
  if (owner === "absent") return undefined;
  if (owner === "other" && path !== undefined) {
    const lookup = unproven?.lookup;
    if (lookup !== undefined && phase.lookup !== undefined) {
      // A run the lookup found that is not ours: the lookup goes on without it.
      return { ...lookup, before: new Set([...lookup.before, phase.lookup]), stopped: unproven?.stopped ?? lookup.stopped };
    }
    // Not proven and not named ours: the status URL may still show an earlier run.
    if (unproven !== undefined && pinned === undefined) return undefined;
    // The backend named this run ours (its kickoff, or an earlier answer): its status URL shows another's now.
    const seenOwner = { ownerPath: path.text, ownerValue: expandInvocationId(config.runOwnerValue, context.invocationId) };
    return settlePhase(phase, failedEnding({ kind: "lost_sight", request, runId: pinned, seen: seenOwner }));
  }
  if (unproven === undefined && (pinned !== undefined || seen === undefined)) return phase;
  return pollPhase({ ...phase, runId: pinned ?? seen });
}
