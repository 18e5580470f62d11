// Type-checks against the packed package's declarations, as a TypeScript consumer would.
import { ExecutorRuntime, ManualRunner, buildResult, type RunOptions, type RuntimeResult } from "executor-runtime";

const runtime: ExecutorRuntime = new ExecutorRuntime().register(
  "manual",
  new ManualRunner((invocation) => buildResult(invocation, { status: "succeeded" })),
);
const options: RunOptions = { signal: new AbortController().signal };
export const result: Promise<RuntimeResult> = runtime.run({ invocation_id: "smoke", runtime_name: "smoke", runtime_kind: "manual" }, options);
