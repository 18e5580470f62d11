import { describe, expect, test } from "vitest";
import { encodeUrlComponent, expandInvocationId } from "../../src/http/placeholders.js";

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
