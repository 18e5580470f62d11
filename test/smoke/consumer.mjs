// Loads the packed package with `import`, as an ES module consumer would.
import * as api from "executor-runtime";

const { ExecutorRuntime, ManualRunner, buildResult } = api;

const runtime = new ExecutorRuntime().register(
  "manual",
  new ManualRunner((invocation) => buildResult(invocation, { status: "succeeded" }, { exitCode: 0 })),
);
const result = await runtime.run({ invocation_id: "smoke-import", runtime_name: "smoke", runtime_kind: "manual" });
const rejected = await runtime.run(null);

if (result.status !== "succeeded" || result.contract_kind !== "runtime_result" || result.invocation_id !== "smoke-import") {
  throw new Error(`import: unexpected result ${JSON.stringify(result)}`);
}
if (rejected.status !== "rejected" || rejected.invocation_id !== "unknown") {
  throw new Error(`import: unexpected rejection ${JSON.stringify(rejected)}`);
}
// The zod schemas are the library's own: the root does not export them.
const leaked = ["RuntimeInvocationSchema", "RuntimeResultSchema", "CheckpointSchema", "ArtifactDescriptorSchema"].filter((name) => name in api);
if (leaked.length > 0) throw new Error(`import: the root exports ${leaked.join(", ")}`);
console.log(`import: ok (${result.status}, ${rejected.status})`);
