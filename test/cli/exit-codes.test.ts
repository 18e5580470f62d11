import { describe, expect, it } from "vitest";
import { EXIT_INTERRUPTED, EXIT_USAGE, STATUS_EXIT_CODES, exitCodeOf } from "../../src/cli/exit-codes.js";
import { FINAL_STATUSES } from "../../src/contracts/vocabulary.js";

describe(exitCodeOf.name, () => {
  it("maps each final status to its documented exit code", () => {
    expect(Object.fromEntries(FINAL_STATUSES.map((status) => [status, exitCodeOf(status)]))).toEqual({
      succeeded: 0,
      failed: 1,
      rejected: 2,
      timed_out: 124,
      cancelled: 130,
    });
  });

  it("treats a status that is not final as a failure", () => {
    expect(exitCodeOf("running")).toBe(STATUS_EXIT_CODES.failed);
    expect(exitCodeOf("pending")).toBe(STATUS_EXIT_CODES.failed);
  });

  it("uses 2 for bad usage and 130 for an interrupt, as rejected and cancelled do", () => {
    expect(EXIT_USAGE).toBe(STATUS_EXIT_CODES.rejected);
    expect(EXIT_INTERRUPTED).toBe(STATUS_EXIT_CODES.cancelled);
  });
});
