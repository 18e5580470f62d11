import { describe, expect, expectTypeOf, test } from "vitest";
import {
  FINAL_STATUSES,
  RUNTIME_KINDS,
  RUNTIME_STATUSES,
  RXP_SCHEMA_VERSION,
  isRuntimeKind,
  type FinalStatus,
  type RuntimeKind,
  type RuntimeStatus,
} from "../../src/contracts/vocabulary.js";

describe("vocabulary", () => {
  test("speaks RxP version 0.1", () => {
    expect(RXP_SCHEMA_VERSION).toBe("0.1");
  });

  test("lists exactly RxP's six runtime kinds", () => {
    expect(RUNTIME_KINDS).toEqual(["subprocess", "http", "http_async", "container", "manual", "unknown"]);
  });

  test("lists exactly RxP's seven result statuses", () => {
    expect(RUNTIME_STATUSES).toEqual(["pending", "running", "succeeded", "failed", "timed_out", "cancelled", "rejected"]);
  });

  test("final statuses are every status except pending and running", () => {
    expect(FINAL_STATUSES).toEqual(RUNTIME_STATUSES.filter((status) => status !== "pending" && status !== "running"));
  });

  test("isRuntimeKind accepts each kind of the vocabulary", () => {
    expect(RUNTIME_KINDS.every((kind) => isRuntimeKind(kind))).toBe(true);
  });

  test("isRuntimeKind refuses other strings and non-strings", () => {
    expect([isRuntimeKind("HTTP"), isRuntimeKind("lambda"), isRuntimeKind(""), isRuntimeKind(1), isRuntimeKind(null)]).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  test("isRuntimeKind narrows unknown values to RuntimeKind", () => {
    const value: unknown = "http";
    if (isRuntimeKind(value)) expectTypeOf(value).toEqualTypeOf<RuntimeKind>();
  });

  test("the kind and status types are literal unions, not string", () => {
    expectTypeOf<RuntimeKind>().toEqualTypeOf<"subprocess" | "http" | "http_async" | "container" | "manual" | "unknown">();
    expectTypeOf<FinalStatus>().toEqualTypeOf<"succeeded" | "failed" | "timed_out" | "cancelled" | "rejected">();
    expectTypeOf<FinalStatus>().toExtend<RuntimeStatus>();
  });
});
