import { AsyncLocalStorage } from "node:async_hooks";
import diagnosticsChannel from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import type { RequestMessage, RunMessage } from "../../src/diagnostics/channels.js";
import { ExecutorRuntime } from "../../src/runtime.js";
import { API, asyncInvocation, asyncRunner, useMswServer } from "../support/async-http.js";
import { fakeClock } from "../support/fake-clock.js";
import { scriptBackend } from "../support/msw-backend.js";

const server = useMswServer();
const runChannel = diagnosticsChannel.tracingChannel<object, RunMessage>("executor-runtime:run");
const requestChannel = diagnosticsChannel.tracingChannel<object, RequestMessage>("executor-runtime:request");

type Handlers<M extends object> = Partial<diagnosticsChannel.TracingChannelSubscribers<M>>;
const unsubscribes: (() => void)[] = [];

/** Subscribes `handlers` to a channel until the test ends. */
function subscribe<M extends object>(channel: diagnosticsChannel.TracingChannel<object, M>, handlers: Handlers<M>): void {
  const all = handlers as diagnosticsChannel.TracingChannelSubscribers<M>;
  channel.subscribe(all);
  unsubscribes.push(() => channel.unsubscribe(all));
}

afterEach(() => {
  for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
});

function backend() {
  return scriptBackend(server, {
    [`POST ${API}/runs`]: [{ status: 202, json: { id: "1" } }],
    [`GET ${API}/runs/1`]: [{ json: { status: "running" } }, { json: { status: "completed" } }],
  });
}

describe("the executor-runtime:run channel", () => {
  it("publishes each run's identity at the start and its result at the end", async () => {
    backend();
    const seen: string[] = [];
    subscribe(runChannel, {
      start: (message) => seen.push(`start ${message.invocationId} ${message.runtimeKind} resumed=${message.resumed}`),
      asyncEnd: (message) => seen.push(`end ${message.result?.status} ${message.result?.metadata["http.polls"]}`),
    });
    const runtime = new ExecutorRuntime().register("http_async", asyncRunner(fakeClock()));
    await runtime.run(asyncInvocation());
    expect(seen).toEqual(["start inv-1 http_async resumed=false", "end succeeded 2"]);
  });

  it("publishes a run the runtime rejects, with the identity it could read", async () => {
    const ends: RunMessage[] = [];
    subscribe(runChannel, { asyncEnd: (message) => ends.push(message) });
    await new ExecutorRuntime().run({ invocation_id: "x-1", runtime_kind: "nowhere", runtime_name: "n" });
    const unreadable: unknown = null;
    await new ExecutorRuntime().run(unreadable);
    expect(ends.map((message) => [message.invocationId, message.runtimeKind, message.result?.status])).toEqual([
      ["x-1", "nowhere", "rejected"],
      ["unknown", "unknown", "rejected"],
    ]);
  });

  it("hands the run's events to a subscriber's onEvent, beside the caller's, and sends its requests inside the subscriber's bind", async () => {
    backend();
    const store = new AsyncLocalStorage<string>();
    const events: string[] = [];
    const callerEvents: string[] = [];
    const contexts: (string | undefined)[] = [];
    subscribe(runChannel, {
      start: (message) => {
        message.onEvent = (event) => events.push(event.type);
        message.bind = (body) => store.run(`run ${message.invocationId}`, body);
      },
    });
    subscribe(requestChannel, { start: () => contexts.push(store.getStore()) });
    const runtime = new ExecutorRuntime().register("http_async", asyncRunner(fakeClock()));
    await runtime.run(asyncInvocation({}, { timeout_seconds: 60 }), { onEvent: (event) => callerEvents.push(event.type) });
    expect(callerEvents).toEqual(["kickoff", "accepted", "poll", "wait", "poll", "terminal"]);
    expect(events).toEqual(callerEvents);
    expect(contexts).toEqual(["run inv-1", "run inv-1", "run inv-1"]);
  });

  it("carries on unbound when a subscriber's bind throws before the run starts", async () => {
    backend();
    subscribe(runChannel, {
      start: (message) => {
        message.bind = () => {
          throw new Error("tracer broke");
        };
      },
    });
    const result = await new ExecutorRuntime().register("http_async", asyncRunner(fakeClock())).run(asyncInvocation());
    expect(result.status).toBe("succeeded");
  });
});

describe("the executor-runtime:request channel", () => {
  it("publishes each request with its phase, redacted URL and HTTP status, and lets a subscriber add a header", async () => {
    const recorded = backend();
    const requests: string[] = [];
    subscribe(requestChannel, {
      start: (message) => {
        message.addHeader("traceparent", "00-abc-def-01");
        message.addHeader("Authorization", "not this one");
      },
      asyncEnd: (message) => requests.push(`${message.phase} ${message.attempt} ${message.method} ${message.url} ${message.statusCode}`),
    });
    const invocation = asyncInvocation({ "http.url": `${API}/runs?api_key=s3cret`, "http.headers": '{"Authorization": "Bearer t0ken-1"}' });
    await asyncRunner(fakeClock()).run(invocation);
    expect(requests).toEqual([
      `kickoff 1 POST ${API}/runs?api_key=[REDACTED] 202`,
      `poll 1 GET ${API}/runs/1 200`,
      `poll 2 GET ${API}/runs/1 200`,
    ]);
    expect(recorded.requests.map((request) => [request.headers.traceparent, request.headers.authorization])).toEqual([
      ["00-abc-def-01", "Bearer t0ken-1"],
      ["00-abc-def-01", "Bearer t0ken-1"],
      ["00-abc-def-01", "Bearer t0ken-1"],
    ]);
  });

  it("publishes a request that got no answer on error, with what went wrong", async () => {
    const failures: string[] = [];
    subscribe(requestChannel, { error: (message) => failures.push(`${message.phase} ${message.error?.kind}: ${message.error?.message}`) });
    const fetch = async () => {
      throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    };
    const result = await asyncRunner(fakeClock(), { fetch }).run(asyncInvocation());
    expect(result.status).toBe("failed");
    expect(failures).toEqual(["kickoff network: connection refused (ECONNREFUSED)"]);
  });
});
