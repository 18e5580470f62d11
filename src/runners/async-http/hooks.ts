import type { Checkpoint } from "../../contracts/checkpoint.js";
import { untilAborted } from "../../http/timing.js";
import { errorMessage } from "../../util/error-message.js";
import type { RunScope } from "../scope/run-scope.js";
import type { Hooks } from "./phase.js";

/** How a call of a caller's function ended: done, the run stopped meanwhile, or it failed (its message). */
export type HookOutcome = "done" | "stopped" | { readonly error: string };

/** Awaits `beforeKickoff`, left as soon as the run stops. */
export function beforeKickoff(hooks: Hooks, scope: RunScope): Promise<HookOutcome> {
  const hook = hooks.beforeKickoff;
  return hook === undefined ? Promise.resolve("done") : call(() => hook(), scope);
}

/** Awaits `saveCheckpoint` with `checkpoint`, left as soon as the run stops. */
export function saveCheckpoint(hooks: Hooks, checkpoint: Checkpoint, scope: RunScope): Promise<HookOutcome> {
  const save = hooks.saveCheckpoint;
  return save === undefined ? Promise.resolve("done") : call(() => save(checkpoint), scope);
}

async function call(hook: () => Promise<void>, scope: RunScope): Promise<HookOutcome> {
  try {
    await untilAborted(hook(), scope.requestSignal);
  } catch (error) {
    return scope.checkStopped() ? "stopped" : { error: errorMessage(error) };
  }
  return scope.checkStopped() ? "stopped" : "done";
}
