import { describe, expect, test } from "vitest";
import { closestName, didYouMean } from "../../src/contracts/suggest.js";

const FIELDS = ["timeout_seconds", "metadata", "environment", "invocation_id"];

describe(closestName.name, () => {
  test("finds the field a one-letter typo meant", () => {
    expect(closestName("timeout_second", FIELDS)).toBe("timeout_seconds");
  });

  test("ignores case when comparing names", () => {
    expect(closestName("MetaData", FIELDS)).toBe("metadata");
  });

  test("returns undefined when nothing is close", () => {
    expect(closestName("colour", FIELDS)).toBeUndefined();
  });

  test("allows fewer edits for short names", () => {
    expect(closestName("ab", ["xy"])).toBeUndefined();
    expect(closestName("ab", ["ax"])).toBe("ax");
  });

  test("never allows more than three edits, however long the name", () => {
    expect(closestName("invocation_identifier", ["invocation_id"])).toBeUndefined();
  });
});

describe(didYouMean.name, () => {
  test("formats the hint with the candidate in quotes", () => {
    expect(didYouMean("enviroment", FIELDS)).toBe(" (did you mean 'environment'?)");
  });

  test("returns an empty string when nothing is close", () => {
    expect(didYouMean("zzz", FIELDS)).toBe("");
  });
});
