import { describe, expect, it, vi } from "vitest";
import { AsyncHttpRunner } from "../../../src/runners/async-http/runner.js";
import type { Checkpoint } from "../../../src/runners/runner.js";
import { API, asyncInvocation, asyncRunner, eventLog, useMswServer } from "../../support/async-http.js";
import { fakeClock } from "../../support/fake-clock.js";
import { scriptBackend } from "../../support/msw-backend.js";

const server = useMswServer();

const CANCELLABLE = { "http.cancel_url_template": `${API}/runs/{run_id}/cancel` };

function runningBackend() {
  return scriptBackend(server, {
    [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
    [`GET ${API}/runs/1`]: [{ json: { status: "running" } }],
    [`POST ${API}/runs/1/cancel`]: [{ status: 202 }],
  });
}

/** A fetch that never answers until its signal aborts, as a hung backend would. */
const hangingFetch = (_input: string | URL | Request, init?: RequestInit) =>
  new Promise<Response>((_resolve, reject) => {
    init?.signal?.addEventListener("abort", () => reject(init.signal?.reason as Error), { once: true });
  });

describe(`${AsyncHttpRunner.name} cancellation`, () => {
  it("ends an abandoned run at once without the cancel request, for a job another process now follows", async () => {
    const backend = runningBackend();
    const abandon = new AbortController();
    const clock = fakeClock();
    const sleep = async (ms: number) => {
      clock.sleeps.push(ms);
      abandon.abort();
    };
    const result = await asyncRunner(clock, { sleep }).run(asyncInvocation(CANCELLABLE), { abandon: abandon.signal });
    expect(result).toMatchObject({ status: "cancelled", metadata: { "http.polls": "1" } });
    expect(result.error_summary).toBe(`abandoned by the caller while polling ${API}/runs/1 (1 polls, last status 'running'); the backend job may still be running (run id 1); no cancel request was sent`);
    expect(result.metadata["http.cancel_status"]).toBeUndefined();
    expect(backend.count(`POST ${API}/runs/1/cancel`)).toBe(0);
  });

  it("sends no request when the signal is aborted before the run starts", async () => {
    const backend = runningBackend();
    const controller = new AbortController();
    controller.abort();
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(CANCELLABLE), { signal: controller.signal });
    expect(result.status).toBe("cancelled");
    expect(result.error_summary).toContain("cancelled by the caller during the kickoff");
    expect(backend.requests).toHaveLength(0);
  });

  it("ends cancelled at once when aborted during a wait, then sends the cancel request once", async () => {
    const backend = runningBackend();
    const controller = new AbortController();
    const clock = fakeClock();
    // A sleep that ignores the signal: the runner must not depend on it honouring aborts.
    const sleep = async (ms: number) => {
      clock.sleeps.push(ms);
      if (clock.sleeps.length === 1) {
        controller.abort();
        await new Promise(() => undefined);
      }
    };
    const result = await asyncRunner(clock, { sleep }).run(asyncInvocation(CANCELLABLE), { signal: controller.signal });
    expect(result).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "202", "http.polls": "1" } });
    expect(backend.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      `POST ${API}/runs`,
      `GET ${API}/runs/1`,
      `POST ${API}/runs/1/cancel`,
    ]);
  });

  it("aborts the request in flight and sends nothing more but the cancel", async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input);
      calls.push(`${init?.method ?? "GET"} ${url}`);
      if (url.endsWith("/runs")) return Response.json({ id: "1" }, { status: 202 });
      if (url.endsWith("/cancel")) return new Response(null, { status: 204 });
      queueMicrotask(() => controller.abort());
      return hangingFetch(input, init);
    };
    const result = await asyncRunner(fakeClock(), { fetch }).run(asyncInvocation(CANCELLABLE), { signal: controller.signal });
    expect(result).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "204" } });
    expect(calls).toEqual([`POST ${API}/runs`, `GET ${API}/runs/1`, `POST ${API}/runs/1/cancel`]);
  });

  it("sends the cancel request exactly once after a timeout", async () => {
    const backend = runningBackend();
    const log = eventLog();
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(CANCELLABLE, { timeout_seconds: 5 }), log);
    expect(result).toMatchObject({ status: "timed_out", metadata: { "http.cancel_status": "202" } });
    expect(backend.count(`POST ${API}/runs/1/cancel`)).toBe(1);
    expect(log.events.at(-1)).toMatchObject({ type: "cancel", httpStatus: 202 });
  });

  it("does not send a cancel request when the backend itself cancelled the run", async () => {
    const backend = scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ json: { status: "cancelled" } }],
    });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(CANCELLABLE));
    expect(result.status).toBe("cancelled");
    expect(backend.requests).toHaveLength(2);
  });

  it("records a cancel request that gets no answer within cancelTimeoutMs as an error", async () => {
    const controller = new AbortController();
    const fetch = async (input: string | URL | Request, init?: RequestInit) =>
      String(input).endsWith("/runs") ? Response.json({ id: "1" }, { status: 202 }) : hangingFetch(input, init);
    const onEvent = (event: { type: string }) => {
      if (event.type === "accepted") controller.abort();
    };
    const runner = asyncRunner(fakeClock(), { fetch, cancelTimeoutMs: 1 });
    const result = await runner.run(asyncInvocation(CANCELLABLE), { signal: controller.signal, onEvent });
    expect(result).toMatchObject({ status: "cancelled", metadata: { "http.cancel_status": "error: no answer within 1 ms" } });
  });
});

describe(`${AsyncHttpRunner.name} cancel on failure`, () => {
  it("gives the cancel request of a run that fails with no deadline cancelTimeoutMs, not a timer of Infinity, which fires at once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      let cancelSignal: AbortSignal | undefined;
      const fetch = async (input: string | URL | Request, init?: RequestInit) => {
        const url = String(input);
        if (url.endsWith("/runs")) return Response.json({ id: "1" }, { status: 202 });
        // An answer with no status: the run gives up on its job, and cancels it (http.cancel_on_failure).
        if (url.endsWith("/runs/1")) return Response.json({ id: "1" });
        cancelSignal = init?.signal ?? undefined;
        return hangingFetch(input, init);
      };
      const runner = asyncRunner(fakeClock(), { fetch, cancelTimeoutMs: 50 });
      const pending = runner.run(asyncInvocation({ ...CANCELLABLE, "http.cancel_on_failure": "true" }));
      await vi.advanceTimersByTimeAsync(1);
      expect([cancelSignal === undefined, cancelSignal?.aborted]).toEqual([false, false]);
      await vi.advanceTimersByTimeAsync(49);
      const result = await pending;
      expect(result).toMatchObject({ status: "failed", metadata: { "failure_kind": "malformed_answer", "http.cancel_status": "error: no answer within 50 ms" } });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe(`${AsyncHttpRunner.name} resume`, () => {
  async function acceptedCheckpoint(timeoutSeconds: number | null): Promise<Checkpoint> {
    scriptBackend(server, {
      [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
      [`GET ${API}/runs/1`]: [{ json: { status: "running" } }],
    });
    const controller = new AbortController();
    let checkpoint: Checkpoint | undefined;
    const onEvent = (event: { type: string; checkpoint?: Checkpoint }) => {
      if (event.type === "accepted") {
        checkpoint = event.checkpoint;
        controller.abort();
      }
    };
    await asyncRunner(fakeClock()).run(asyncInvocation({}, { timeout_seconds: timeoutSeconds }), { signal: controller.signal, onEvent });
    server.resetHandlers();
    return checkpoint!;
  }

  it("continues from a checkpoint without a second kickoff", async () => {
    const checkpoint = await acceptedCheckpoint(null);
    const backend = scriptBackend(server, { [`GET ${API}/runs/1`]: [{ json: { status: "completed" } }] });
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(), { resume: checkpoint });
    expect(result).toMatchObject({ status: "succeeded", metadata: { "http.run_id": "1", "http.polls": "1" } });
    expect(backend.requests.map((request) => request.method)).toEqual(["GET"]);
  });

  it("keeps the original deadline when resumed", async () => {
    const checkpoint = await acceptedCheckpoint(30);
    expect(checkpoint.deadlineAt).toBe(new Date(Date.UTC(2026, 0, 1) + 30_000).toISOString());
    scriptBackend(server, { [`GET ${API}/runs/1`]: [{ json: { status: "running" } }] });
    const clock = fakeClock();
    clock.advance(20_000);
    const result = await asyncRunner(clock).run(asyncInvocation({}, { timeout_seconds: 30 }), { resume: checkpoint });
    expect(result.status).toBe("timed_out");
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1) + 30_000);
  });

  it("rejects a malformed checkpoint without sending a request", async () => {
    const backend = scriptBackend(server, {});
    const resume = { version: 2, pollUrl: "ftp://x" } as unknown as Checkpoint;
    const result = await asyncRunner(fakeClock()).run(asyncInvocation(), { resume });
    expect(result.status).toBe("rejected");
    expect(result.error_summary).toContain("invalid resume checkpoint");
    expect(backend.requests).toHaveLength(0);
  });
});
