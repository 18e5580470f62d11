import { describe, expect, test } from "vitest";
import { encodeUrlComponent, expandInvocationId, expandUrlTemplate } from "../../src/http/placeholders.js";

const BASE = new URL("https://api.test/v1/runs");

describe(expandUrlTemplate.name, () => {
  test("replaces {run_id} and {lookup}, URL-encoded, and resolves the template against the base", () => {
    const url = expandUrlTemplate("status/{lookup}?run={run_id}", { runId: "a/b c", lookup: "w-1" }, BASE);
    expect(url.href).toBe("https://api.test/v1/status/w-1?run=a%2Fb%20c");
  });

  test("replaces {invocation_id}, URL-encoded, in the path and the query", () => {
    const url = expandUrlTemplate("/jobs/{invocation_id}?owner={invocation_id}", { runId: undefined, lookup: undefined, invocationId: "job 7/α" }, BASE);
    expect(url.href).toBe("https://api.test/jobs/job%207%2F%CE%B1?owner=job%207%2F%CE%B1");
  });

  test("leaves a template without placeholders as written", () => {
    expect(expandUrlTemplate("https://other.test/x?y=1", { runId: "r", lookup: "l", invocationId: "i" }, BASE).href).toBe("https://other.test/x?y=1");
  });

  test("writes an absent value as an empty string, as before {invocation_id} existed", () => {
    expect(expandUrlTemplate("/runs/{run_id}/{invocation_id}", { runId: undefined, lookup: undefined }, BASE).href).toBe("https://api.test/runs//");
  });

  test("does not let a value make a placeholder of its own", () => {
    const url = expandUrlTemplate("/{run_id}/{invocation_id}", { runId: "{invocation_id}", lookup: undefined, invocationId: "i-1" }, BASE);
    expect(url.pathname).toBe("/%7Binvocation_id%7D/i-1");
  });
});

describe(expandInvocationId.name, () => {
  test("replaces every {invocation_id} with the id exactly as given", () => {
    expect(expandInvocationId("run {invocation_id} (id {invocation_id})", "a b/$&")).toBe("run a b/$& (id a b/$&)");
  });

  test("leaves the other placeholders alone", () => {
    expect(expandInvocationId("{run_id} {lookup}", "i-1")).toBe("{run_id} {lookup}");
  });
});

describe(encodeUrlComponent.name, () => {
  test("encodes as encodeURIComponent does", () => {
    expect(encodeUrlComponent("a b/c?d#e&f=é")).toBe(encodeURIComponent("a b/c?d#e&f=é"));
  });

  test("writes a lone surrogate as U+FFFD instead of throwing", () => {
    expect(encodeUrlComponent("a\uD800b\uDC00")).toBe("a%EF%BF%BDb%EF%BF%BD");
    expect(encodeUrlComponent("\uD83D\uDE00")).toBe("%F0%9F%98%80");
  });
});
