// Loads the packed package with `import`, as an ES module consumer would.
import { ExecutorRuntime, ManualRunner, RuntimeResultSchema, buildResult } from "executor-runtime";

const runtime = new ExecutorRuntime().register(
  "manual",
  new ManualRunner((invocation) => buildResult(invocation, { status: "succeeded" }, { exitCode: 0 })),
);
const result = await runtime.run({ invocation_id: "smoke-import", runtime_name: "smoke", runtime_kind: "manual" });
const rejected = await runtime.run(null);

if (result.status !== "succeeded" || !RuntimeResultSchema.safeParse(result).success) {
  throw new Error(`import: unexpected result ${JSON.stringify(result)}`);
}
if (rejected.status !== "rejected" || rejected.invocation_id !== "unknown") {
  throw new Error(`import: unexpected rejection ${JSON.stringify(rejected)}`);
}
console.log(`import: ok (${result.status}, ${rejected.status})`);
