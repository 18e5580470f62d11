import { describe, expect, test } from "vitest";
import { CheckpointSchema } from "../../src/contracts/checkpoint.js";

const checkpoint = { version: 1, pollUrl: "https://jobs.example/runs/42", acceptedAt: "2026-01-01T00:00:00.000Z" };

describe("CheckpointSchema", () => {
  test("accepts a minimal checkpoint", () => {
    expect(CheckpointSchema.parse(checkpoint)).toEqual(checkpoint);
  });

  test("accepts a run id and a deadline", () => {
    const full = { ...checkpoint, runId: "42", deadlineAt: "2026-01-01T00:05:00+00:00" };
    expect(CheckpointSchema.parse(full)).toEqual(full);
  });

  test("rejects a poll URL that is not http or https", () => {
    const parsed = CheckpointSchema.safeParse({ ...checkpoint, pollUrl: "file:///etc/passwd" });
    expect(parsed.error?.issues[0]).toMatchObject({ path: ["pollUrl"], message: "must be an http(s) URL" });
  });

  test("rejects any version but 1", () => {
    expect(CheckpointSchema.safeParse({ ...checkpoint, version: 2 }).success).toBe(false);
  });

  test("rejects fields that could carry secrets, such as headers", () => {
    expect(CheckpointSchema.safeParse({ ...checkpoint, headers: { authorization: "x" } }).success).toBe(false);
  });

  test("rejects an acceptedAt that is not an ISO 8601 timestamp", () => {
    expect(CheckpointSchema.safeParse({ ...checkpoint, acceptedAt: "yesterday" }).success).toBe(false);
  });

  test("survives a JSON round trip unchanged", () => {
    const full = { ...checkpoint, runId: "42", deadlineAt: "2026-01-01T00:05:00.000Z" };
    expect(CheckpointSchema.parse(JSON.parse(JSON.stringify(full)))).toEqual(full);
  });
});
