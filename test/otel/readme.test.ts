import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EVENT_ATTRIBUTES, METRICS, REQUEST_ATTRIBUTES, RUN_ATTRIBUTES, RUN_EVENTS } from "../../src/otel/index.js";

/** README's "Observability" section, up to the next top-level heading. */
function observabilitySection(): string {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("\n## Observability\n");
  return readme.slice(start, readme.indexOf("\n## ", start + 1));
}

describe("README's Observability section", () => {
  it("names every span attribute, event and metric the instrumentation records", () => {
    const section = observabilitySection();
    const names = [RUN_ATTRIBUTES, REQUEST_ATTRIBUTES, RUN_EVENTS, EVENT_ATTRIBUTES, METRICS].flatMap((group) => Object.values(group));
    expect(names.filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
  });
});
