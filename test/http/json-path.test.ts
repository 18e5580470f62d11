import { describe, expect, test } from "vitest";
import { compileJsonPath, readJsonPath, readJsonPathAll, type JsonPath } from "../../src/http/json-path.js";

const path = (text: string): JsonPath => {
  const compiled = compileJsonPath(text);
  if (typeof compiled === "string") throw new Error(compiled);
  return compiled;
};

describe(compileJsonPath.name, () => {
  test("reads a bracketed index as a segment and keeps the path as written", () => {
    expect(path("a.b[0].c")).toEqual({ text: "a.b[0].c", segments: ["a", "b", "0", "c"], each: false });
  });

  test("reads [*] as *, and says that the path takes each element of an array", () => {
    expect(path("a[*].b")).toEqual({ text: "a[*].b", segments: ["a", "*", "b"], each: true });
    expect(path("a.*.b").each).toBe(true);
    expect(path("a.b.0").each).toBe(false);
  });

  test("reads brackets one after another, and one that starts the path", () => {
    expect(path("grid[1][*]").segments).toEqual(["grid", "1", "*"]);
    expect(path("[0].id").segments).toEqual(["0", "id"]);
  });

  test.each([
    ["a[", "a '[' is not closed"],
    ["a[0", "a '[' is not closed"],
    ["a[x]", "a bracket holds an array index or *, such as [0] or [*], not '[x]'"],
    ["a[]", "a bracket holds an array index or *, such as [0] or [*], not '[]'"],
    ["a[-1]", "a bracket holds an array index or *, such as [0] or [*], not '[-1]'"],
    ["a[01]", "a bracket holds an array index or *, such as [0] or [*], not '[01]'"],
    ["a]", "a ']' has no '[' before it"],
    ["a[0]]", "a ']' has no '[' before it"],
    ["a[0]b", "a ']' must be followed by '.', '[' or the end of the path"],
    ["a.[0]", "it has an empty segment"],
    ["a..b", "it has an empty segment"],
  ])("rejects %s, saying why", (text, why) => {
    expect(compileJsonPath(text)).toBe(`must be a dotted path such as run.status, got '${text}' (${why})`);
  });
});

describe(readJsonPath.name, () => {
  test.each([
    ["run.status", { run: { status: "running" } }, "running"],
    ["items.1.id", { items: [{ id: "a" }, { id: "b" }] }, "b"],
    ["items.x", { items: [1] }, undefined],
    ["__proto__", {}, undefined],
    ["constructor", {}, undefined],
    ["a.b", { a: null }, undefined],
    ["runs.*.id", { runs: [{}, { id: 7 }, { id: 8 }] }, 7],
    ["meta.dispatch.worker", { meta: '{"dispatch": {"worker": "w-1"}}' }, "w-1"],
    ["meta.dispatch", { meta: "not json" }, undefined],
    ["items[1].id", { items: [{ id: "a" }, { id: "b" }] }, "b"],
    ["runs[*].id", { runs: [{}, { id: 7 }] }, 7],
  ])("reads %s", (text, value, expected) => {
    expect(readJsonPath(value, path(text))).toEqual(expected);
  });

  test("reads a Slurm job's state at jobs[0].job_state, as at jobs.0.job_state", () => {
    const body = { jobs: [{ job_id: 42, job_state: "RUNNING" }] };
    expect(readJsonPath(body, path("jobs[0].job_state"))).toBe("RUNNING");
    expect(readJsonPath(body, path("jobs.0.job_state"))).toBe("RUNNING");
  });
});

describe(readJsonPathAll.name, () => {
  test("reads every task's state of an array job at jobs[*].job_state", () => {
    const body = { jobs: [{ job_state: "COMPLETED" }, { job_state: "RUNNING" }, { job_state: "FAILED" }] };
    expect(readJsonPathAll(body, path("jobs[*].job_state"))).toEqual(["COMPLETED", "RUNNING", "FAILED"]);
  });

  test("takes each element of an array at '*', in document order", () => {
    const body = { workflow_runs: [{ id: 3 }, { id: 2 }, { name: "no id" }, { id: 1 }] };
    expect(readJsonPathAll(body, path("workflow_runs.*.id"))).toEqual([3, 2, 1]);
  });

  test("reads through a field that is a JSON string, as message metadata often is", () => {
    const messages = [
      { id: 1, metadata: "{}" },
      { id: 2, metadata: JSON.stringify({ workflowDispatch: { workerConversationId: "web-worker-1" } }) },
      { id: 3, metadata: null },
      { id: 4, metadata: JSON.stringify({ workflowDispatch: { workerConversationId: "web-worker-2" } }) },
    ];
    expect(readJsonPathAll(messages, path("*.metadata.workflowDispatch.workerConversationId"))).toEqual(["web-worker-1", "web-worker-2"]);
  });

  test("finds nothing where the path leads nowhere", () => {
    expect(readJsonPathAll({ a: 1 }, path("*.b"))).toEqual([]);
    expect(readJsonPathAll([[1, 2], [3]], path("*.*"))).toEqual([1, 2, 3]);
  });
});
