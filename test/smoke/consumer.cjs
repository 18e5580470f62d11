// Loads the packed package with `require`, as a CommonJS consumer would
// (Node >= 20.19 can require an ES module without a flag).
const { ExecutorRuntime, ManualRunner, buildResult } = require("executor-runtime");

async function main() {
  const runtime = new ExecutorRuntime().register(
    "manual",
    new ManualRunner((invocation) => buildResult(invocation, { status: "succeeded" }, { exitCode: 0 })),
  );
  const result = await runtime.run({ invocation_id: "smoke-require", runtime_name: "smoke", runtime_kind: "manual" });
  if (result.status !== "succeeded" || result.contract_kind !== "runtime_result" || result.invocation_id !== "smoke-require") {
    throw new Error(`require: unexpected result ${JSON.stringify(result)}`);
  }
  console.log(`require: ok (${result.status})`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
