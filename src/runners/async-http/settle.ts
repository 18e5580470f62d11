import type { RuntimeResult } from "../../contracts/result.js";
import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import type { BackendJob } from "../backend-job.js";
import type { RunReport } from "../run-report.js";
import type { RunScope } from "../scope/run-scope.js";
import { cancelJob } from "./cancel.js";
import { backendJobOf, jobMetadata, type Accepted, type RunCounts, type SettlePhase } from "./phase.js";
import type { RunPlan } from "./plan.js";

/**
 * Whether a settled run sends the cancel request: its job was accepted and
 * proven the invocation's own, and the run was stopped by the caller or the
 * deadline (not abandoned), or, with `http.cancel_on_failure`, gave up on it.
 */
export function cancelDue(config: Pick<AsyncHttpConfig, "cancelUrlTemplate" | "cancelOnFailure">, phase: SettlePhase): boolean {
  const { ending, accepted } = phase;
  const failure = ending.failure;
  if (phase.job !== "accepted" || config.cancelUrlTemplate === undefined || failure === undefined || accepted === undefined) return false;
  if (accepted.name === "poll" && accepted.unproven !== undefined) return false;
  if (failure.kind === "stopped") return failure.reason !== "abandoned";
  return config.cancelOnFailure && failure.kind !== "backend_ended";
}

/**
 * Ends a run: the cancel request when it is due (with what is left of the
 * cancel budget of a run stopped while looking its job up, whose scope is
 * that budget's), the job's metadata, then the result. A run with no cancel
 * to send and no artifact to write ends at once, with no promise
 * (PERFORMANCE.md, "A result without a promise"). Never throws, and what it
 * returns never rejects.
 */
export function settleRun(plan: RunPlan, scope: RunScope, report: RunReport, phase: SettlePhase, counts: RunCounts): RuntimeResult | Promise<RuntimeResult> {
  try {
    const template = plan.config.cancelUrlTemplate;
    if (cancelDue(plan.config, phase) && template !== undefined && phase.accepted !== undefined) {
      return cancelThenFinish(plan, scope, report, phase, counts, template, phase.accepted);
    }
    return finishRun(plan, scope, report, phase, counts, backendJobOf(phase));
  } catch (error) {
    scope.dispose();
    return report.crashed(error);
  }
}

async function cancelThenFinish(
  plan: RunPlan,
  scope: RunScope,
  report: RunReport,
  phase: SettlePhase,
  counts: RunCounts,
  template: string,
  accepted: Accepted,
): Promise<RuntimeResult> {
  try {
    // `cancelTimeoutMs`, within what is left of the run's time: of its deadline, for a run that gave up on its job
    // before it (`http.cancel_on_failure`), or of the cancel budget, for one stopped while looking its job up.
    const { cancelTimeoutMs } = plan.client.options;
    const timeoutMs = scope.stopReason === undefined ? Math.min(scope.remainingMs(), cancelTimeoutMs) : cancelTimeoutMs;
    const job = await cancelJob(plan, report, template, accepted, timeoutMs);
    return await finishRun(plan, scope, report, phase, counts, job);
  } catch (error) {
    scope.dispose();
    return report.crashed(error);
  }
}

/** The job's metadata, then the result: at once, unless the response body is written as an artifact first. */
function finishRun(plan: RunPlan, scope: RunScope, report: RunReport, phase: SettlePhase, counts: RunCounts, job: BackendJob): RuntimeResult | Promise<RuntimeResult> {
  jobMetadata(report.metadata, phase, counts);
  scope.dispose();
  const result = report.finish(phase.ending, plan.client.options.now(), job);
  return result instanceof Promise ? result.catch((error: unknown) => report.crashed(error)) : result;
}
