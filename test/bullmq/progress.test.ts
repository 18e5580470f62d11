import { describe, expect, it } from "vitest";
import { hasIdempotencyKey } from "../../src/bullmq/job-data.js";
import { createProgressTracker } from "../../src/bullmq/progress.js";

describe(createProgressTracker.name, () => {
  it("counts polls, keeps the last status and leaves the checkpoint out", () => {
    const track = createProgressTracker();
    const checkpoint = { version: 1 as const, pollUrl: "https://api.test/runs/1?token=s3cret", acceptedAt: "2026-01-01T00:00:00.000Z" };
    expect(track({ type: "accepted", elapsedMs: 5, checkpoint })).toEqual({ event: { type: "accepted", elapsedMs: 5 }, polls: 0 });
    track({ type: "poll", elapsedMs: 9, attempt: 1, httpStatus: 200, status: "running" });
    expect(track({ type: "wait", elapsedMs: 9, delayMs: 2000, source: "interval" })).toEqual({
      event: { type: "wait", elapsedMs: 9, delayMs: 2000, source: "interval" },
      polls: 1,
      lastStatus: "running",
    });
    expect(track({ type: "terminal", elapsedMs: 20, status: "completed", outcome: "succeeded" })).toMatchObject({ polls: 1, lastStatus: "completed" });
  });
});

describe(hasIdempotencyKey.name, () => {
  it.each([
    [{ metadata: { "http.idempotency_key_header": "Idempotency-Key" } }, true],
    [{ metadata: { "http.idempotency_key_header": " " } }, false],
    [{ metadata: {} }, false],
    [{ metadata: null }, false],
    [null, false],
  ])("reads %j as %s", (invocation, expected) => {
    expect(hasIdempotencyKey(invocation)).toBe(expected);
  });
});

