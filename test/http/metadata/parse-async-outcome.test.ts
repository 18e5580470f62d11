import { describe, expect, test } from "vitest";
import { formatPath } from "../../../src/contracts/issues.js";
import type { AsyncHttpCommonConfig, AsyncHttpConfig, StatusProtocolConfig } from "../../../src/http/metadata/config.js";
import { parseAsyncHttpMetadata } from "../../../src/http/metadata/parse.js";

// The keys that shape what a result says: the error quoted, the job's exit code, the timed-out states, the poll errors tolerated.

const STATUS: Readonly<Record<string, string>> = {
  "http.url": "https://slurm.test/slurm/v0.0.38/job/submit",
  "http.poll_status_path": "jobs[0].job_state",
  "http.poll_terminal_states": "completed,failed,cancelled,timeout,deadline",
};

const LRO: Readonly<Record<string, string>> = { "http.url": "https://api.test/vms/1", "http.method": "PUT", "http.poll_protocol": "lro" };

const at = (key: string) => formatPath(["metadata", key]);

function issuesOf(metadata: Record<string, string>) {
  const parsed = parseAsyncHttpMetadata(metadata);
  return parsed.ok ? [] : parsed.issues;
}

function configOf(metadata: Record<string, string>): AsyncHttpConfig {
  const parsed = parseAsyncHttpMetadata(metadata);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
}

function statusConfigOf(metadata: Record<string, string>): AsyncHttpCommonConfig & StatusProtocolConfig {
  const config = configOf(metadata);
  if (config.pollProtocol !== "status") throw new Error("expected protocol status");
  return config;
}

describe(parseAsyncHttpMetadata.name, () => {
  test.each([
    ["status", STATUS],
    ["lro", LRO],
  ])("reads the error path and the exit code path with protocol %s", (_, metadata) => {
    const config = configOf({ ...metadata, "http.error_path": "errors[0].error", "http.exit_code_path": "jobs.0.exit_code" });
    expect(config.errorPath).toEqual({ text: "errors[0].error", segments: ["errors", "0", "error"], each: false });
    expect([config.exitCodePath?.text, config.exitCodeFormat]).toEqual(["jobs.0.exit_code", "plain"]);
  });

  test("reads an exit code written as a POSIX wait status", () => {
    expect(configOf({ ...STATUS, "http.exit_code_path": "jobs.0.exit_code", "http.exit_code_format": "wait_status" }).exitCodeFormat).toBe("wait_status");
  });

  test("rejects an exit code format other than plain and wait_status", () => {
    expect(issuesOf({ ...STATUS, "http.exit_code_path": "exit_code", "http.exit_code_format": "signal" })).toEqual([
      { path: at("http.exit_code_format"), message: "must be 'plain' or 'wait_status', got 'signal'" },
    ]);
  });

  test("rejects an exit code format without an exit code path, naming both keys", () => {
    expect(issuesOf({ ...STATUS, "http.exit_code_format": "wait_status" })).toEqual([
      {
        path: at("http.exit_code_format"),
        message: "is only read with http.exit_code_path: set http.exit_code_path to the dotted path of the job's exit code",
      },
    ]);
  });

  test("reads the timed-out states trimmed and lower-cased", () => {
    expect(statusConfigOf({ ...STATUS, "http.poll_timed_out_states": "TIMEOUT, Deadline" }).pollTimedOutStates).toEqual(new Set(["timeout", "deadline"]));
  });

  test("has no timed-out states unless they are given", () => {
    expect(statusConfigOf(STATUS).pollTimedOutStates).toEqual(new Set());
  });

  test("rejects timed-out states that are not terminal states, naming them", () => {
    expect(issuesOf({ ...STATUS, "http.poll_timed_out_states": "timeout,expired,node_fail" })).toEqual([
      { path: at("http.poll_timed_out_states"), message: "must list only states of http.poll_terminal_states, got 'expired', 'node_fail'" },
    ]);
  });

  test("rejects timed-out states that are also success or cancelled states, naming them", () => {
    const metadata = { ...STATUS, "http.poll_cancelled_states": "cancelled,deadline", "http.poll_timed_out_states": "completed,deadline,timeout" };
    expect(issuesOf(metadata)).toEqual([
      { path: at("http.poll_timed_out_states"), message: "must not share states with http.poll_success_states, got 'completed'" },
      { path: at("http.poll_timed_out_states"), message: "must not share states with http.poll_cancelled_states, got 'deadline'" },
    ]);
  });

  test("leaves timed-out states out of the default cancelled states", () => {
    expect(statusConfigOf({ ...STATUS, "http.poll_timed_out_states": "cancelled" }).pollCancelledStates).toEqual(new Set());
  });

  test("with an outcome path, takes the timed-out states as outcome words, like the success and cancelled states", () => {
    const metadata = {
      ...STATUS,
      "http.poll_status_path": "status",
      "http.poll_terminal_states": "completed",
      "http.poll_outcome_path": "conclusion",
      "http.poll_success_states": "success",
      "http.poll_timed_out_states": "timed_out",
    };
    expect(statusConfigOf(metadata).pollTimedOutStates).toEqual(new Set(["timed_out"]));
    expect(issuesOf({ ...metadata, "http.poll_timed_out_states": "success" })).toEqual([
      { path: at("http.poll_timed_out_states"), message: "must not share states with http.poll_success_states, got 'success'" },
    ]);
  });

  test("rejects timed-out states with protocol lro, whose states are fixed", () => {
    expect(issuesOf({ ...LRO, "http.poll_timed_out_states": "timeout" })).toEqual([
      {
        path: at("http.poll_timed_out_states"),
        message: "must not be set with http.poll_protocol lro: the states are Succeeded, Failed and Canceled",
      },
    ]);
  });

  test.each([
    ["status", STATUS, 0],
    ["lro", LRO, 3],
  ])("tolerates by default, with protocol %s, %i poll errors in a row", (_, metadata, expected) => {
    expect(configOf(metadata).pollMaxConsecutiveErrors).toBe(expected);
  });

  test("tolerates the number of poll errors in a row that is set, 0 with protocol lro included", () => {
    expect(configOf({ ...LRO, "http.poll_max_consecutive_errors": "0" }).pollMaxConsecutiveErrors).toBe(0);
    expect(configOf({ ...STATUS, "http.poll_max_consecutive_errors": "5" }).pollMaxConsecutiveErrors).toBe(5);
  });
});
