import { describe, expect, test } from "vitest";
import { MAX_TIMEOUT_SECONDS } from "../src/contracts/invocation.js";
import { AsyncHttpRunner, ExecutorRuntime, HttpRunner, buildResult, type Checkpoint, type RuntimeInvocation, type RuntimeResult } from "../src/index.js";
import { expectRxpValid } from "./support/rxp-schema.js";

const invocation = (kind: string, metadata: Record<string, string>) => ({
  invocation_id: "inv-1",
  runtime_name: "backend",
  runtime_kind: kind,
  metadata,
});

describe(`${ExecutorRuntime.name} with the built-in HTTP runners`, () => {
  test("still checks the result of a subclass that overrides run", async () => {
    class Custom extends AsyncHttpRunner {
      override async run(received: RuntimeInvocation): Promise<RuntimeResult> {
        return { ...buildResult(received, { status: "succeeded" }), invocation_id: "someone-else" };
      }
    }
    const result = await new ExecutorRuntime().register("http_async", new Custom()).run(invocation("http_async", {}));
    expect(result).toMatchObject({ status: "failed", invocation_id: "inv-1" });
    expect(result.error_summary).toBe("runner for 'http_async' returned a result whose invocation_id is 'someone-else', not 'inv-1'");
  });

  /** A clock that works once (the run's start) and then throws, as a broken injected clock might. */
  function clockThatBreaks(): () => number {
    let calls = 0;
    return () => {
      calls += 1;
      if (calls > 1) throw new Error("clock is broken");
      return Date.UTC(2026, 0, 1);
    };
  }
  const fetch = async () => Response.json({ status: "completed" });
  const metadata = {
    "http.url": "https://api.test/runs",
    "http.poll_status_path": "status",
    "http.poll_terminal_states": "completed",
  };

  test.each([
    ["http_async", new AsyncHttpRunner({ fetch, now: clockThatBreaks() }), metadata],
    ["http", new HttpRunner({ fetch, now: clockThatBreaks() }), { "http.url": metadata["http.url"] }],
  ])("resolves %s to a valid failed result, never a rejection, when the runner breaks while it ends the run", async (kind, runner, given) => {
    const result = await new ExecutorRuntime().register(kind, runner).run(invocation(kind, given));
    expect(result).toMatchObject({ status: "failed", invocation_id: "inv-1", runtime_kind: kind, error_summary: "runner error: clock is broken" });
    expectRxpValid(result);
  });

  test("runs an asynchronous invocation with the longest timeout to its end, its checkpoint carrying the deadline as a date", async () => {
    const answers = [Response.json({ id: "r1" }, { status: 202 }), Response.json({ status: "completed" })];
    const runner = new AsyncHttpRunner({
      fetch: async () => answers.shift() ?? Response.json({}, { status: 500 }),
      now: () => Date.UTC(2026, 0, 1),
      sleep: async () => {},
    });
    const checkpoints: Checkpoint[] = [];
    const given = { ...metadata, "http.poll_url_template": "https://api.test/runs/{run_id}", "http.poll_run_id_path": "id" };
    const result = await new ExecutorRuntime()
      .register("http_async", runner)
      .run({ ...invocation("http_async", given), timeout_seconds: MAX_TIMEOUT_SECONDS }, { onEvent: (event) => event.type === "accepted" && checkpoints.push(event.checkpoint) });
    expect(result).toMatchObject({ status: "succeeded", error_summary: null });
    expect(checkpoints.map((checkpoint) => checkpoint.deadlineAt)).toEqual([new Date(Date.UTC(2026, 0, 1) + MAX_TIMEOUT_SECONDS * 1000).toISOString()]);
  });
});
