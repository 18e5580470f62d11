import { describe, expect, it } from "vitest";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { loopbackBackend, loopbackInvocation } from "../support/async-http.js";
import { watchProcess } from "../support/process-watch.js";

const POLLS = 5_000;

describe("Node's fetch as the fetch option", () => {
  it("polls 5,000 times answered 202 with Retry-After: 0, with no MaxListenersExceededWarning", async () => {
    let polls = 0;
    const server = await loopbackBackend([{ status: 202, json: { id: "1" } }], {
      fallback: (_request, response) => {
        polls += 1;
        const done = polls === POLLS;
        response.writeHead(done ? 200 : 202, { "retry-after": "0", "content-type": "application/json" });
        response.end(JSON.stringify({ status: done ? "completed" : "running" }));
      },
    });
    const watch = watchProcess();
    const runner = new AsyncHttpRunner({ fetch: globalThis.fetch });
    const result = await runner.run(loopbackInvocation(server.origin, {}, { timeout_seconds: 600 }));
    await runner.close();
    await watch.stop();
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.polls": String(POLLS) } });
    expect(watch.warnings).toEqual([]);
  });
});
