import type { RuntimeInvocation } from "../contracts/invocation.js";
import { buildResult, checkResult, type RuntimeResult } from "../contracts/result.js";
import { errorMessage } from "../util/error-message.js";
import type { RunOptions, Runner } from "./runner.js";

/** The caller's function a `ManualRunner` forwards to; sync or async. */
export type ManualDispatch = (
  invocation: RuntimeInvocation,
  options: RunOptions,
) => RuntimeResult | Promise<RuntimeResult>;

/**
 * Forwards each invocation to a caller's function. Whatever it returns is
 * checked against the result schema: a malformed return, a throw or a
 * rejection becomes a `failed` result.
 *
 * @example
 * new ManualRunner((invocation) => buildResult(invocation, { status: "succeeded" }))
 */
export class ManualRunner implements Runner {
  readonly #dispatch: ManualDispatch;

  constructor(dispatch: ManualDispatch) {
    if (typeof dispatch !== "function") {
      throw new TypeError(`Expected \`dispatch\` to be a function, got ${typeof dispatch}`);
    }
    this.#dispatch = dispatch;
  }

  async run(invocation: RuntimeInvocation, options: RunOptions = {}): Promise<RuntimeResult> {
    const startedAtMs = Date.now();
    let returned: unknown;
    try {
      returned = await this.#dispatch(invocation, options);
    } catch (error) {
      return buildResult(invocation, { status: "failed", summary: `manual runner threw: ${errorMessage(error)}` }, { startedAtMs });
    }
    const checked = checkResult(returned);
    if (checked.ok) return checked.result;
    return buildResult(invocation, { status: "failed", summary: checked.summary }, { startedAtMs });
  }
}

