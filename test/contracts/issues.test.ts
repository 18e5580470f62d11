import { describe, expect, test } from "vitest";
import { z } from "zod";
import { describeValue, formatPath, issuesFromZod, summarizeIssues } from "../../src/contracts/issues.js";

describe(formatPath.name, () => {
  test("joins identifier segments with dots", () => {
    expect(formatPath(["metadata", "owner"])).toBe("metadata.owner");
  });

  test("indexes arrays with brackets", () => {
    expect(formatPath(["command", 2])).toBe("command[2]");
  });

  test("quotes keys that are not identifiers", () => {
    expect(formatPath(["metadata", "http.url"])).toBe('metadata["http.url"]');
  });

  test("formats the value itself as an empty path", () => {
    expect(formatPath([])).toBe("");
  });
});

describe(describeValue.name, () => {
  test.each([
    [null, "null"],
    [undefined, "nothing"],
    [[1], "an array"],
    [{}, "an object"],
    ["10", 'the string "10"'],
    ["x".repeat(41), "a string"],
    [1.5, "number 1.5"],
    [true, "boolean true"],
    [10n, "a bigint"],
  ])("describes %o as %s", (value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });
});

describe(issuesFromZod.name, () => {
  const Schema = z.strictObject({ name: z.string(), count: z.number().int({ error: "must be whole" }) });

  function issuesOf(input: unknown) {
    const parsed = Schema.safeParse(input, { reportInput: true });
    return parsed.success ? [] : issuesFromZod(parsed.error, Object.keys(Schema.shape));
  }

  test("reports a missing field as required", () => {
    expect(issuesOf({ count: 1 })).toEqual([{ path: "name", message: "is required" }]);
  });

  test("says which type was expected and what was received", () => {
    expect(issuesOf({ name: 5, count: 1 })).toEqual([{ path: "name", message: "must be a string, got number 5" }]);
  });

  test("keeps a schema's own error message", () => {
    expect(issuesOf({ name: "a", count: 1.5 })).toEqual([{ path: "count", message: "must be whole" }]);
  });

  test("reports each unknown key with a did-you-mean hint", () => {
    expect(issuesOf({ name: "a", count: 1, cont: 2, zzz: 3 })).toEqual([
      { path: "cont", message: "is not a known field (did you mean 'count'?)" },
      { path: "zzz", message: "is not a known field" },
    ]);
  });
});

describe(summarizeIssues.name, () => {
  test("flattens issues into one sentence after the subject", () => {
    const summary = summarizeIssues("invalid invocation", [
      { path: "", message: "an invocation must be a JSON object, got null" },
      { path: "metadata.owner", message: "must be a string" },
    ]);
    expect(summary).toBe("invalid invocation: an invocation must be a JSON object, got null; metadata.owner must be a string");
  });
});
