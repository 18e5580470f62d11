import { CheckpointSchema, type Checkpoint } from "../../contracts/checkpoint.js";
import type { RuntimeInvocation } from "../../contracts/invocation.js";
import { issuesFromZod } from "../../contracts/issues.js";
import type { RuntimeResult } from "../../contracts/result.js";
import type { AsyncHttpConfig } from "../../http/metadata/config.js";
import { parseAsyncHttpMetadata } from "../../http/metadata/parse.js";
import type { HttpRunnerOptions } from "../../http/runner-options.js";
import { HttpClient } from "../http-client.js";
import { RunReport, crashedResult } from "../run-report.js";
import type { RunOptions, Runner } from "../runner.js";
import { invocationDeadline } from "../scope/deadline.js";
import { RunScope } from "../scope/run-scope.js";
import { createPlan, planOfRun, type RunPlan } from "./plan.js";
import { AsyncRun } from "./run.js";

/**
 * Runs a job on an asynchronous HTTP backend: sends the kickoff, then polls a
 * status URL until the backend reports a terminal status. A 2xx kickoff that
 * already carries a terminal status is the final answer. Every setting comes
 * from the invocation's `http.*` metadata (see `asyncHttpMetadata`).
 *
 * @example
 * const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner());
 */
export class AsyncHttpRunner implements Runner {
  readonly #client: HttpClient<AsyncHttpConfig>;
  readonly #plans = new WeakMap<AsyncHttpConfig, RunPlan>();

  constructor(options: HttpRunnerOptions = {}) {
    this.#client = new HttpClient(options, parseAsyncHttpMetadata);
  }

  /**
   * Runs one invocation; resolves to a result for every outcome, and never rejects.
   * (Not an async function: PERFORMANCE.md, "No frame while waiting".)
   */
  run(invocation: RuntimeInvocation, options: RunOptions = {}): Promise<RuntimeResult> {
    try {
      return this.#start(invocation, options);
    } catch (error) {
      return Promise.resolve(crashedResult(invocation, error));
    }
  }

  #start(invocation: RuntimeInvocation, options: RunOptions): Promise<RuntimeResult> {
    const client = this.#client;
    const startedAtMs = client.options.now();
    const settings = client.settingsOf(invocation, "http_async", startedAtMs);
    if ("rejected" in settings) return Promise.resolve(settings.rejected);
    const config = settings.config;
    let resume: Checkpoint | undefined;
    if (options.resume !== undefined) {
      const checkpoint = CheckpointSchema.safeParse(options.resume, { reportInput: true });
      if (!checkpoint.success) {
        return Promise.resolve(client.reject(invocation, "invalid resume checkpoint", issuesFromZod(checkpoint.error), startedAtMs));
      }
      resume = checkpoint.data;
      if (config.pollProtocol === "lro" && resume.pollMode === undefined) {
        const issues = [{ path: "pollMode", message: "is required to resume a run of http.poll_protocol lro" }];
        return Promise.resolve(client.reject(invocation, "invalid resume checkpoint", issues, startedAtMs));
      }
    }
    const deadlineAtMs = resume === undefined ? invocationDeadline(invocation, startedAtMs) : resumedDeadline(resume);
    const now = client.options.now;
    const plan = config === settings.parsed ? this.#planOf(config) : planOfRun(this.#planOf(settings.parsed), settings);
    const run = new AsyncRun(
      plan,
      {
        scope: RunScope.of({ signal: options.signal, abandon: options.abandon, deadlineAtMs, now }),
        report: new RunReport(invocation, options, { redact: plan.redact, now, startedAtMs, echoes: client.echoes }),
      },
      options,
      resume,
    );
    return run.run();
  }

  /** What every run of `config` shares (configurations are parsed once and shared). */
  #planOf(config: AsyncHttpConfig): RunPlan {
    let plan = this.#plans.get(config);
    if (plan === undefined) {
      plan = createPlan(config, this.#client);
      this.#plans.set(config, plan);
    }
    return plan;
  }

  /** Closes the runner's own connection pool; a `dispatcher` given in the options is left open. */
  async close(): Promise<void> {
    await this.#client.close();
  }
}

/** A resumed run keeps the deadline its checkpoint recorded, if any. */
function resumedDeadline(resume: Checkpoint): number | undefined {
  return resume.deadlineAt === undefined ? undefined : Date.parse(resume.deadlineAt);
}
