import { describe, expect, test, vi } from "vitest";
import { encodeUrlComponent } from "../../src/http/placeholders.js";
import { UrlTemplate, expandUrlTemplate, type TemplateValues } from "../../src/http/url-template.js";

const BASE = new URL("https://api.test/v1/runs");

describe(`${expandUrlTemplate.name}: what it writes`, () => {
  test("replaces {run_id} and {lookup}, URL-encoded, and resolves the template against the base", () => {
    const url = expandUrlTemplate("status/{lookup}?run={run_id}", { runId: "a/b c", lookup: "w-1" }, BASE);
    expect(url).toBe("https://api.test/v1/status/w-1?run=a%2Fb%20c");
  });

  test("replaces {invocation_id}, URL-encoded, in the path and the query", () => {
    const url = expandUrlTemplate("/jobs/{invocation_id}?owner={invocation_id}", { runId: undefined, lookup: undefined, invocationId: "job 7/α" }, BASE);
    expect(url).toBe("https://api.test/jobs/job%207%2F%CE%B1?owner=job%207%2F%CE%B1");
  });

  test("leaves a template without placeholders as written", () => {
    expect(expandUrlTemplate("https://other.test/x?y=1", { runId: "r", lookup: "l", invocationId: "i" }, BASE)).toBe("https://other.test/x?y=1");
  });

  test("writes an absent value as an empty string, as before {invocation_id} existed", () => {
    expect(expandUrlTemplate("/runs/{run_id}/{invocation_id}", { runId: undefined, lookup: undefined }, BASE)).toBe("https://api.test/runs//");
  });

  test("does not let a value make a placeholder of its own", () => {
    const url = expandUrlTemplate("/{run_id}/{invocation_id}", { runId: "{invocation_id}", lookup: undefined, invocationId: "i-1" }, BASE);
    expect(new URL(url).pathname).toBe("/%7Binvocation_id%7D/i-1");
  });
});

/** The expansion by its definition: each value encoded in place, then the whole parsed against the base. */
function parsed(template: string, values: TemplateValues, base: URL): string {
  const expanded = template
    .replaceAll("{run_id}", () => encodeUrlComponent(values.runId ?? ""))
    .replaceAll("{lookup}", () => encodeUrlComponent(values.lookup ?? ""))
    .replaceAll("{invocation_id}", () => encodeUrlComponent(values.invocationId ?? ""));
  return new URL(expanded, base).href;
}

/** Counts the URLs parsed while `body` runs. */
function parsesDuring(body: () => void): number {
  let count = 0;
  class CountingUrl extends URL {
    constructor(input: string | URL, base?: string | URL) {
      super(input, base);
      count++;
    }
  }
  vi.stubGlobal("URL", CountingUrl);
  try {
    body();
  } finally {
    vi.unstubAllGlobals();
  }
  return count;
}

describe(UrlTemplate.name, () => {
  const templates = [
    "/runs/{run_id}",
    "runs/{run_id}/status",
    "{run_id}",
    "/a/{run_id}/{lookup}/{invocation_id}",
    "/a/{run_id}/x/{run_id}",
    "https://other.test:8443/v2/{run_id}?view=full#top",
    "/runs/.{run_id}",
    "/runs/%2{run_id}",
    "/runs/{run_id}/../x",
    "/runs/{run_id}x/{lookup}",
    "/runs?id={run_id}",
    "/runs#{run_id}",
    "/r u n s/{run_id}\\{lookup}",
    "/RUNS/./{run_id}/",
    "//host.test/{run_id}",
    "/ExecutorRuntimePlaceholder0/{run_id}",
  ];
  const values = ["7", "abc-DEF_1.2~", ".", "..", "...", "a/b", "a b", "%2e", "é", "a?b", "a#b", "", undefined, "{lookup}", "e", "E", "\\x"];
  const bases = [new URL("https://api.test/v1/runs"), new URL("http://127.0.0.1:8080/"), new URL("https://api.test/v1/runs/?q=1#f")];

  test.each(templates)("expands %j as parsing its expansion does, for every value", (template) => {
    for (const base of bases) {
      const resolvedTemplate = new UrlTemplate(template, base);
      for (const runId of values) {
        for (const lookup of ["w-1", "a b"]) {
          const given = { runId, lookup, invocationId: runId === undefined ? "job-1" : `${runId}` };
          expect(resolvedTemplate.expand(given), `${base.href} ${String(runId)} ${lookup}`).toBe(parsed(template, given, base));
        }
      }
    }
  });

  test("writes an expansion of plain segments with no parse", () => {
    const base = new URL("https://api.test/v1/runs");
    const resolvedTemplate = new UrlTemplate("status/{run_id}/{invocation_id}", base);
    let href = "";
    expect(parsesDuring(() => (href = resolvedTemplate.expand({ runId: "r-1.2", lookup: undefined, invocationId: "job_7" })))).toBe(0);
    expect(href).toBe("https://api.test/v1/status/r-1.2/job_7");
  });

  test("parses an expansion whose value is no plain segment, or a placeholder that is not one", () => {
    const base = new URL("https://api.test/v1/runs");
    expect(parsesDuring(() => new UrlTemplate("/runs/{run_id}", base).expand({ runId: "a b", lookup: undefined }))).toBe(2);
    expect(parsesDuring(() => new UrlTemplate("/runs?id={run_id}", base).expand({ runId: "7", lookup: undefined }))).toBe(2);
  });

  test("fails on a template that is no URL as parsing its expansion does", () => {
    const base = new URL("https://api.test/v1/runs");
    expect(() => new UrlTemplate("http://[bad/{run_id}", base).expand({ runId: "7", lookup: undefined })).toThrow(TypeError);
  });
});

describe(expandUrlTemplate.name, () => {
  test("resolves a template against a base once, and writes each run's status URL from it", () => {
    const base = new URL("http://127.0.0.1:8080/runs");
    expect(expandUrlTemplate("/runs/{run_id}", { runId: "r1", lookup: undefined }, base)).toBe("http://127.0.0.1:8080/runs/r1");
    expect(parsesDuring(() => expandUrlTemplate("/runs/{run_id}", { runId: "r2", lookup: undefined }, base))).toBe(0);
    expect(expandUrlTemplate("/runs/{run_id}", { runId: "r 3", lookup: undefined }, base)).toBe("http://127.0.0.1:8080/runs/r%203");
  });
});
