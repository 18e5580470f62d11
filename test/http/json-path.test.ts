import { describe, expect, test } from "vitest";
import { compileJsonPath, readJsonPath, readJsonPathAll, type JsonPath } from "../../src/http/json-path.js";

const path = (text: string): JsonPath => {
  const compiled = compileJsonPath(text);
  if (typeof compiled === "string") throw new Error(compiled);
  return compiled;
};

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
  ])("reads %s", (text, value, expected) => {
    expect(readJsonPath(value, path(text))).toEqual(expected);
  });
});

describe(readJsonPathAll.name, () => {
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
