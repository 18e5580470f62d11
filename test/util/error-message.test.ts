import { describe, expect, test } from "vitest";
import { errorMessage } from "../../src/util/error-message.js";

describe(errorMessage.name, () => {
  test("uses an Error's message", () => {
    expect(errorMessage(new Error("connection refused"))).toBe("connection refused");
  });

  test("falls back to the Error's name when its message is empty", () => {
    expect(errorMessage(new TypeError())).toBe("TypeError");
  });

  test("uses a thrown string as it is", () => {
    expect(errorMessage("plain")).toBe("plain");
  });

  test("serializes other thrown values as JSON", () => {
    expect(errorMessage({ code: 503 })).toBe('{"code":503}');
  });

  test("survives values JSON cannot serialize", () => {
    const circular: Record<string, unknown> = {};
    circular["self"] = circular;
    expect([errorMessage(circular), errorMessage(undefined), errorMessage(10n)]).toEqual(["[object Object]", "undefined", "10"]);
  });
});
