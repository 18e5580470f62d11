import { CheckpointSchema } from "./contracts/checkpoint.js";
import { channels } from "./diagnostics/channels.js";
import { traceRun } from "./diagnostics/trace-run.js";
import { parseInvocation, type RuntimeInvocationInput } from "./contracts/invocation.js";
import { issuesFromZod, summarizeIssues } from "./contracts/issues.js";
import { buildResult, checkResult, identityOf, type ResultIdentity, type RuntimeResult } from "./contracts/result.js";
import { didYouMean } from "./contracts/suggest.js";
import { AsyncHttpRunner } from "./runners/async-http/runner.js";
import { HttpRunner } from "./runners/http.js";
import type { RunOptions, Runner } from "./runners/runner.js";
import { writeFileAtomic } from "./util/atomic-write.js";
import { errorMessage } from "./util/error-message.js";
import { FAILURE_KIND_KEY } from "./contracts/failure-kind.js";

/** What a result rejected before any runner ran says of itself (`failure_kind`). */
const INVALID_INPUT: Readonly<Record<string, string>> = { [FAILURE_KIND_KEY]: "invalid_input" };

/** Options of `new ExecutorRuntime()`. */
export interface ExecutorRuntimeOptions {
  /**
   * Runners to register, keyed by runtime kind.
   * @default {}
   * @example { http_async: new AsyncHttpRunner() }
   */
  readonly runners?: Readonly<Record<string, Runner>>;
}

/**
 * The type `run()` takes for an argument of type `T`. A value typed `unknown`
 * (or `any`), such as parsed JSON or queue job data, is taken as it is and
 * validated when it runs; a value of any other type must be a
 * `RuntimeInvocationInput`, so a misspelled field in an object literal
 * (`timeout_second: 5`) does not compile. (Overloads cannot do this: a
 * literal that fails the typed overload falls through to the `unknown` one.)
 *
 * @example
 * runtime.run({ invocation_id: "nightly-42", runtime_name: "reports", runtime_kind: "http_async", timeout_seconds: 600 });
 * runtime.run(JSON.parse(text) as unknown);
 */
export type InvocationArgument<T> = unknown extends T ? T : RuntimeInvocationInput;

/**
 * The facade dispatcher code calls: a registry of runners keyed by runtime
 * kind. `run()` validates the invocation, picks its runner and always resolves
 * to an RxP v0.1 result; it never throws and never rejects.
 *
 * @example
 * const runtime = new ExecutorRuntime().register("http_async", new AsyncHttpRunner());
 * const result = await runtime.run(invocation, { signal, onEvent });
 */
export class ExecutorRuntime {
  readonly #runners = new Map<string, Runner>();

  constructor(options: ExecutorRuntimeOptions = {}) {
    for (const [kind, runner] of Object.entries(options.runners ?? {})) this.register(kind, runner);
  }

  /** Registers `runner` for `kind`, replacing any runner registered before; returns the runtime. */
  register(kind: string, runner: Runner): this {
    if (typeof kind !== "string" || kind.length === 0) {
      throw new TypeError(`Expected \`kind\` to be a non-empty string, got ${JSON.stringify(kind)}`);
    }
    if (typeof runner !== "object" || runner === null || typeof runner.run !== "function") {
      throw new TypeError(`Expected \`runner\` for kind '${kind}' to have a run() method`);
    }
    this.#runners.set(kind, runner);
    return this;
  }

  /** Whether a runner is registered for `kind`. */
  isRegistered(kind: string): boolean {
    return this.#runners.has(kind);
  }

  /** Removes the runner of `kind`; returns whether there was one. It is not closed. */
  unregister(kind: string): boolean {
    return this.#runners.delete(kind);
  }

  /** The registered kinds, in registration order. */
  kinds(): string[] {
    return [...this.#runners.keys()];
  }

  /**
   * Runs one invocation on the runner of its kind. Resolves to `rejected` for
   * invalid input or an unregistered kind, to `failed` when the runner throws,
   * and otherwise to the runner's result. When `output_result_path` is set,
   * the result is also written there atomically. A typed `invocation` must be
   * a `RuntimeInvocationInput`; one typed `unknown` is checked at run time
   * (see `InvocationArgument`).
   */
  run<T>(invocation: InvocationArgument<T>, options: RunOptions = {}): Promise<RuntimeResult> {
    if (channels.run.hasSubscribers) return traceRun(invocation, options, (traced) => this.#run(invocation, traced));
    return this.#run(invocation, options);
  }

  #run(invocation: unknown, options: RunOptions): Promise<RuntimeResult> {
    // Not an async function (PERFORMANCE.md, "No frame while waiting").
    const startedAtMs = Date.now();
    let pending: RuntimeResult | Promise<RuntimeResult>;
    try {
      pending = this.#dispatch(invocation, options, startedAtMs);
    } catch (error) {
      pending = failedResult(invocation, error, startedAtMs);
    }
    const path = outputPathOf(invocation);
    return path === undefined ? Promise.resolve(pending) : Promise.resolve(pending).then((result) => persistResult(result, path));
  }

  /** Closes every registered runner that owns connections. */
  async close(): Promise<void> {
    const runners = new Set(this.#runners.values());
    await Promise.allSettled([...runners].map(async (runner) => runner.close?.()));
  }

  /**
   * The result, or the runner's pending one. Not an async function
   * (PERFORMANCE.md, "No frame while waiting").
   */
  #dispatch(input: unknown, options: RunOptions, startedAtMs: number): RuntimeResult | Promise<RuntimeResult> {
    const parsed = parseInvocation(input);
    if (!parsed.ok) {
      const summary = summarizeIssues("invalid invocation", parsed.issues);
      return buildResult(identityOf(input), { status: "rejected", summary }, { startedAtMs, metadata: INVALID_INPUT });
    }
    const { invocation } = parsed;
    const runner = this.#runners.get(invocation.runtime_kind);
    if (runner === undefined) {
      const summary = this.#unknownKind(invocation.runtime_kind);
      return buildResult(invocation, { status: "rejected", summary }, { startedAtMs, metadata: { [FAILURE_KIND_KEY]: "unknown_kind" } });
    }
    if (options.resume !== undefined) {
      const checkpoint = CheckpointSchema.safeParse(options.resume, { reportInput: true });
      if (!checkpoint.success) {
        const summary = summarizeIssues("invalid resume checkpoint", issuesFromZod(checkpoint.error));
        return buildResult(invocation, { status: "rejected", summary }, { startedAtMs, metadata: INVALID_INPUT });
      }
    }
    if (buildsValidResults(runner)) {
      // Skips the check, and the two closures per run that it costs (PERFORMANCE.md, "Built-in results are not checked
      // twice"). Neither built-in run() throws: one is async, the other catches what its start throws.
      return runner.run(invocation, options);
    }
    // The result is checked against the identity alone: a waiting run does not hold the invocation alive here.
    const identity = identityOf(invocation);
    let returned: Promise<unknown>;
    try {
      returned = Promise.resolve(runner.run(invocation, options));
    } catch (error) {
      return runnerThrew(identity, error, startedAtMs);
    }
    return returned.then(
      (value) => {
        try {
          return checkReturned(identity, value, startedAtMs);
        } catch (error) {
          return failedResult(identity, error, startedAtMs);
        }
      },
      (error: unknown) => runnerThrew(identity, error, startedAtMs),
    );
  }

  #unknownKind(kind: string): string {
    const kinds = this.kinds();
    const registered = kinds.length === 0 ? "none are registered" : `registered: ${kinds.join(", ")}`;
    return `no runner registered for runtime_kind '${kind}'${didYouMean(kind, kinds)} (${registered})`;
  }
}

/**
 * Whether `runner` runs with the library's own HTTP runners' `run`, whose
 * results are built by `buildResult` from the invocation they are given and
 * which never reject: their results need no second check. A subclass that
 * overrides `run` is checked like any other runner.
 */
function buildsValidResults(runner: Runner): boolean {
  return runner.run === AsyncHttpRunner.prototype.run || runner.run === HttpRunner.prototype.run;
}

/** The fields a result echoes from its invocation. */
const IDENTITY_FIELDS = ["invocation_id", "runtime_name", "runtime_kind"] as const;

function outputPathOf(input: unknown): string | undefined {
  if (typeof input !== "object" || input === null || !Object.hasOwn(input, "output_result_path")) return undefined;
  const path = (input as { output_result_path?: unknown }).output_result_path;
  return typeof path === "string" && path.length > 0 ? path : undefined;
}

function failedResult(input: unknown, error: unknown, startedAtMs: number): RuntimeResult {
  return buildResult(identityOf(input), { status: "failed", summary: errorMessage(error) }, { startedAtMs });
}

/** The runner's result when it is a valid RxP result for this invocation, else `failed` saying why. */
function checkReturned(invocation: ResultIdentity, value: unknown, startedAtMs: number): RuntimeResult {
  const checked = checkResult(value);
  if (!checked.ok) return buildResult(invocation, { status: "failed", summary: checked.summary }, { startedAtMs });
  const mismatch = IDENTITY_FIELDS.find((field) => checked.result[field] !== invocation[field]);
  if (mismatch === undefined) return checked.result;
  const summary = `runner for '${invocation.runtime_kind}' returned a result whose ${mismatch} is '${checked.result[mismatch]}', not '${invocation[mismatch]}'`;
  return buildResult(invocation, { status: "failed", summary }, { startedAtMs });
}

function runnerThrew(invocation: ResultIdentity, error: unknown, startedAtMs: number): RuntimeResult {
  const summary = `runner for '${invocation.runtime_kind}' threw: ${errorMessage(error)}`;
  return buildResult(invocation, { status: "failed", summary }, { startedAtMs });
}

async function persistResult(result: RuntimeResult, path: string): Promise<RuntimeResult> {
  try {
    await writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } catch (error) {
    const problem = `result could not be written to ${path}: ${errorMessage(error)}`;
    const summary = result.error_summary === null ? problem : `${result.error_summary}; ${problem}`;
    return { ...result, error_summary: summary };
  }
}
