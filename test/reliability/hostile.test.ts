import type { ServerResponse } from "node:http";
import fc from "fast-check";
import { MockAgent } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RuntimeResultSchema, type RuntimeResult } from "../../src/contracts/result.js";
import { compileJsonPath } from "../../src/http/json-path.js";
import { ASYNC_HTTP_METADATA_KEYS, HTTP_METADATA_KEYS } from "../../src/http/metadata/parse.js";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { HttpRunner } from "../../src/runners/http.js";
import { ExecutorRuntime } from "../../src/runtime.js";
import { PROTOTYPE_KEYS, dottedPathArbitrary, hostileJsonArbitrary, hostileStringArbitrary } from "../support/arbitraries.js";
import { validateRxpResult } from "../support/rxp-schema.js";
import { startScriptedServer, type RecordedRequest, type ScriptedServer } from "../support/scripted-server.js";

const RUNS = 100;

/** What the backend answers in the current property run. */
interface Answers {
  kickoffStatus: number;
  kickoff: string;
  location: boolean;
  polls: string[];
}
const terminalAnswers = (): Answers => ({ kickoffStatus: 202, kickoff: '{"id":"1"}', location: false, polls: ['{"status":"completed"}'] });
let answers = terminalAnswers();
let pollsAnswered = 0;

function answer(request: RecordedRequest, response: ServerResponse): void {
  const json = { "content-type": "application/json" };
  if (request.method === "GET") {
    response.writeHead(200, json).end(answers.polls[Math.min(pollsAnswered++, answers.polls.length - 1)]);
  } else {
    response.writeHead(answers.kickoffStatus, answers.location ? { ...json, location: "/runs/1" } : json).end(answers.kickoff);
  }
}

let server: ScriptedServer;
let guard: MockAgent;
let runtime: ExecutorRuntime;
let metadataBase: Record<string, string>;

beforeAll(async () => {
  server = await startScriptedServer([], { fallback: answer });
  // Arbitrary URLs must never leave the machine: only this server is reachable.
  guard = new MockAgent();
  guard.disableNetConnect();
  guard.enableNetConnect(new URL(server.origin).host);
  // Every wait moves a virtual clock at least a second, so a run that polls forever times out after 30 virtual seconds.
  let nowMs = Date.UTC(2026, 0, 1);
  const options = { dispatcher: guard, now: () => nowMs, sleep: async (ms: number) => void (nowMs += Math.max(ms, 1000)) };
  runtime = new ExecutorRuntime({ runners: { http_async: new AsyncHttpRunner(options), http: new HttpRunner(options) } });
  metadataBase = {
    "http.url": server.url("/runs"),
    "http.poll_url_template": "/runs/{run_id}",
    "http.poll_run_id_path": "id",
    "http.poll_status_path": "status",
    "http.poll_terminal_states": "completed,failed,cancelled",
    "http.result_path": "result",
    "http.cancel_url_template": "/runs/{run_id}/cancel",
  };
});

afterAll(async () => {
  await runtime.close();
  await guard.close();
  await server.close();
});

/** Every own key and descriptor of the built-in prototypes a polluted path would reach. */
function prototypeSnapshot(): unknown {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].map((prototype) =>
    Reflect.ownKeys(prototype).map((key) => [key, Object.getOwnPropertyDescriptor(prototype, key)]),
  );
}

/** An invocation record whose metadata keys are own properties, `__proto__` included (as JSON.parse makes them). */
function invocationWith(kind: string, metadata: Record<string, string>, extra: readonly [string, string][] = []): unknown {
  const map: Record<string, string> = {};
  for (const [key, value] of [...Object.entries(metadata), ...extra]) {
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return { invocation_id: "inv-hostile", runtime_name: "backend", runtime_kind: kind, timeout_seconds: 30, metadata: map };
}

/** Runs one invocation with `next` as the backend's answers, and checks what must hold whatever the input. */
async function runChecked(input: unknown, next: Answers = terminalAnswers()): Promise<RuntimeResult> {
  answers = next;
  pollsAnswered = 0;
  const before = prototypeSnapshot();
  const result = await runtime.run(input);
  expect(RuntimeResultSchema.safeParse(result).error?.issues).toBeUndefined();
  expect(validateRxpResult(result).errors).toEqual([]);
  expect(result.invocation_id).toBe("inv-hostile");
  expect(prototypeSnapshot()).toEqual(before);
  expect(({} as Record<string, unknown>).status).toBeUndefined();
  return result;
}

/** Values that some key accepts, so that hostile values are also tried beside otherwise valid metadata. */
const plausibleArbitrary = fc.constantFrom("0", "0.5", "2", "1e3", "GET", "delete", "form", "completed", "completed,failed", "/runs/{run_id}", "id", "404,429", '{"A":"b"}');
const overrideArbitrary = (keys: readonly string[]) =>
  fc.tuple(
    fc.subarray([...keys], { minLength: 1, maxLength: 2 }),
    fc.array(fc.oneof({ arbitrary: hostileStringArbitrary, weight: 1 }, { arbitrary: plausibleArbitrary, weight: 2 }), { minLength: 3, maxLength: 3 }),
  );
/** Mostly none; sometimes keys outside the schema, prototype names and near-miss `http.*` keys among them. */
const extraKeyArbitrary = fc.oneof(
  { arbitrary: fc.constant<[string, string][]>([]), weight: 3 },
  fc.array(
    fc.tuple(fc.oneof(fc.constantFrom("__proto__", "http.__proto__", "constructor", "http.", "HTTP.URL", "http.url "), fc.string()), hostileStringArbitrary),
    { minLength: 1, maxLength: 2 },
  ),
);
const kindAndOverrideArbitrary = fc.oneof(
  fc.tuple(fc.constant("http_async"), overrideArbitrary(ASYNC_HTTP_METADATA_KEYS)),
  fc.tuple(fc.constant("http"), overrideArbitrary(HTTP_METADATA_KEYS)),
);

describe("hostile input", () => {
  it("resolves to a valid result for arbitrary strings in any http.* key, and pollutes no prototype", async () => {
    await fc.assert(
      fc.asyncProperty(kindAndOverrideArbitrary, extraKeyArbitrary, async ([kind, [keys, values]], extra) => {
        const metadata: Record<string, string> = kind === "http" ? { "http.url": server.url("/runs") } : { ...metadataBase };
        keys.forEach((key, index) => (metadata[key] = values[index]!));
        const result = await runChecked(invocationWith(kind, metadata, extra));
        expect(["succeeded", "failed", "timed_out", "rejected"]).toContain(result.status);
      }),
      { numRuns: RUNS },
    );
  });

  it("resolves to a valid result for arbitrary kickoff and poll bodies, and pollutes no prototype", async () => {
    // Raw text, any JSON value, or a body shaped like an answer whose fields may be anything.
    const shaped = fc.record(
      {
        id: fc.oneof(fc.constant("1"), hostileJsonArbitrary),
        status: fc.oneof(fc.constantFrom("completed", "failed", "cancelled", "running"), hostileJsonArbitrary),
        result: hostileJsonArbitrary,
      },
      { requiredKeys: [] },
    );
    const bodyArbitrary = fc.oneof(fc.string(), fc.oneof(hostileJsonArbitrary, shaped).map((value) => JSON.stringify(value) ?? ""));
    const answersArbitrary = fc.record({
      kickoffStatus: fc.constantFrom(200, 201, 202, 204, 400, 404, 500),
      kickoff: bodyArbitrary,
      location: fc.boolean(),
      polls: fc.array(bodyArbitrary, { minLength: 1, maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(answersArbitrary, async (next) => {
        // With a Location header, poll there and read run ids from poll bodies; else the kickoff body must carry the id.
        const metadata = { ...metadataBase };
        if (next.location) delete metadata["http.poll_url_template"];
        const result = await runChecked(invocationWith("http_async", metadata), next);
        expect(["succeeded", "failed", "cancelled", "timed_out"]).toContain(result.status);
      }),
      { numRuns: RUNS },
    );
  });

  it("resolves to a valid result for arbitrary dotted paths, rejecting exactly those that do not compile (an empty segment, a malformed bracket)", async () => {
    const pathKeys = ["http.poll_status_path", "http.poll_run_id_path", "http.result_path"] as const;
    const reachable = fc.constantFrom(
      '{"__proto__":{"status":"completed"},"constructor":{"prototype":{"id":"1"}},"status":"completed","result":[1]}',
      '{"id":"1","status":{"__proto__":"completed"},"result":{"constructor":{}}}',
    );
    await fc.assert(
      fc.asyncProperty(fc.tuple(dottedPathArbitrary, dottedPathArbitrary, dottedPathArbitrary), reachable, async (paths, body) => {
        const metadata = { ...metadataBase };
        pathKeys.forEach((key, index) => (metadata[key] = paths[index] ?? ""));
        const result = await runChecked(invocationWith("http_async", metadata), { ...terminalAnswers(), kickoff: body, polls: [body] });
        const badKeys = pathKeys.filter((key) => typeof compileJsonPath(metadata[key]!) === "string");
        expect(result.status === "rejected").toBe(badKeys.length > 0);
        for (const key of badKeys) expect(result.error_summary).toContain(key);
      }),
      { numRuns: RUNS },
    );
  });

  it("reads own properties only: in a body with no own keys, no path finds a status or a result", async () => {
    // Each of these is what some path would find through a prototype ({}.constructor.name, [].length, ...).
    const inherited = "Object,Array,Function,0,function,[object Object]";
    const emptyBody = fc.constantFrom("{}", "[]", '{"a":{}}', '{"a":[]}');
    // Short paths over the names a prototype has, so that `constructor.name`, `a.length` and the like come up often.
    const inheritedPath = fc.array(fc.constantFrom(...PROTOTYPE_KEYS, "name", "a"), { minLength: 1, maxLength: 3 }).map((names) => names.join("."));
    const pathArbitrary = fc.oneof(inheritedPath, dottedPathArbitrary);
    await fc.assert(
      fc.asyncProperty(fc.tuple(pathArbitrary, pathArbitrary), emptyBody, async ([statusPath, resultPath], body) => {
        const metadata: Record<string, string> = {
          ...metadataBase,
          "http.poll_status_path": statusPath,
          "http.result_path": resultPath,
          "http.poll_terminal_states": `completed,${inherited}`,
          "http.poll_success_states": `completed,${inherited}`,
        };
        const result = await runChecked(invocationWith("http_async", metadata), { ...terminalAnswers(), kickoff: body, polls: [body] });
        expect(result.status).not.toBe("succeeded");
        expect(result.metadata).not.toHaveProperty(["http.result"]);
      }),
      { numRuns: RUNS },
    );
  });
});
