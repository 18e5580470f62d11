import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { ExecutorRuntime, ManualRunner } from "../src/index.js";
import { manualInvocation, succeededResult } from "./support/invocations.js";
import { expectRxpValid } from "./support/rxp-schema.js";
import { makeTempDir } from "./support/temp-dir.js";

const runtime = (): ExecutorRuntime => new ExecutorRuntime().register("manual", new ManualRunner((invocation) => succeededResult(invocation)));

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, "utf8"));
}

describe(`${ExecutorRuntime.name} output_result_path`, () => {
  test("writes the result it resolves to as JSON", async () => {
    const path = join(await makeTempDir(), "result.json");
    const result = await runtime().run(manualInvocation({ output_result_path: path }));
    expect(await readJson(path)).toEqual(result);
    expectRxpValid(await readJson(path));
  });

  test("creates missing parent directories", async () => {
    const path = join(await makeTempDir(), "runs", "2026", "inv-1", "result.json");
    await runtime().run(manualInvocation({ output_result_path: path }));
    expect(await readJson(path)).toMatchObject({ invocation_id: "inv-1", status: "succeeded" });
  });

  test("leaves only the result file behind, no temporary file", async () => {
    const directory = await makeTempDir();
    await runtime().run(manualInvocation({ output_result_path: join(directory, "result.json") }));
    expect(await readdir(directory)).toEqual(["result.json"]);
  });

  test("replaces a result file written by an earlier run", async () => {
    const path = join(await makeTempDir(), "result.json");
    await writeFile(path, "stale");
    await runtime().run(manualInvocation({ output_result_path: path }));
    expect(await readJson(path)).toMatchObject({ status: "succeeded" });
  });

  test("writes rejected results too", async () => {
    const path = join(await makeTempDir(), "result.json");
    const result = await runtime().run(manualInvocation({ output_result_path: path, timeout_seconds: 0 }));
    expect(result.status).toBe("rejected");
    expect(await readJson(path)).toEqual(result);
  });

  test("writes the rejection of an unknown kind", async () => {
    const path = join(await makeTempDir(), "result.json");
    await runtime().run(manualInvocation({ output_result_path: path, runtime_kind: "container" }));
    expect(await readJson(path)).toMatchObject({ status: "rejected", runtime_kind: "container" });
  });

  test("reports a write failure in the summary instead of throwing", async () => {
    const blocker = join(await makeTempDir(), "not-a-directory");
    await writeFile(blocker, "");
    const path = join(blocker, "result.json");
    const result = await runtime().run(manualInvocation({ output_result_path: path }));
    expect(result.status).toBe("succeeded");
    expect(result.error_summary).toContain(`result could not be written to ${path}: `);
    expectRxpValid(result);
  });

  test("appends a write failure to the summary the result already had", async () => {
    const blocker = join(await makeTempDir(), "file");
    await writeFile(blocker, "");
    const result = await runtime().run(manualInvocation({ output_result_path: join(blocker, "r.json"), runtime_kind: "http" }));
    expect(result.error_summary).toMatch(/^no runner registered for runtime_kind 'http' .*; result could not be written to /);
  });
});
