/**
 * The Archon recipes of examples/invocations/ when invocations share a
 * conversation or run at once, each run as `executor-runtime run` runs it
 * (in-process), against the fake Archon of examples/. The invocations and the
 * fake share one virtual clock (`turnClock`), so the fake shows every moment
 * in the order a real server would while no real time passes. Each case is
 * tried 20 times; the fake draws its timings anew each time, and which
 * dispatch Archon takes first varies with them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startFakeBackend, type FakeArchonOptions, type FakeBackend } from "../../examples/fake-backend.js";
import { createArchonConversation } from "../../src/cli/demo.js";
import { runInvocationFile } from "../../src/cli/run-command.js";
import type { RuntimeResult } from "../../src/contracts/result.js";
import type { Sleep } from "../../src/index.js";
import { exampleInvocation, fakeIo, writeJson } from "../support/cli-harness.js";
import { makeTempDir } from "../support/temp-dir.js";

const TRIES = 20;
const START_MS = Date.UTC(2026, 0, 1);
/** The runner's default `cancelTimeoutMs`, which the command keeps. */
const CANCEL_TIMEOUT_MS = 5000;
/** An interactive workflow that fails, beside Archon's `archon-interactive-prd`. */
const WORKFLOWS = { "prd-fail": { interactive: true, ending: "failed" } } as const;

type Recipe = "archon-background" | "archon-interactive";

const backends: FakeBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
});

/**
 * A virtual clock that several invocations share: a wait ends once every
 * invocation that has entered is waiting and its wake-up is the earliest; the
 * clock then moves to that time, and every wait due then ends together.
 * Requests take no virtual time. `at` runs a callback at a time of the clock.
 */
function turnClock() {
  let current = START_MS;
  let entered = 0;
  const due: { atMs: number; wake: () => void; waiting: boolean }[] = [];
  const advance = (): void => {
    while (entered > 0 && due.filter((entry) => entry.waiting).length === entered) {
      const atMs = Math.min(...due.map((entry) => entry.atMs));
      current = Math.max(current, atMs);
      const now = due.filter((entry) => entry.atMs === atMs);
      for (const entry of now) due.splice(due.indexOf(entry), 1);
      for (const entry of now) entry.wake();
    }
  };
  const sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted === true) return resolve();
      const stop = (): void => {
        due.splice(due.indexOf(entry), 1);
        resolve();
      };
      const entry = {
        atMs: current + ms,
        waiting: true,
        wake: () => {
          signal?.removeEventListener("abort", stop);
          resolve();
        },
      };
      signal?.addEventListener("abort", stop, { once: true });
      due.push(entry);
      advance();
    });
  return {
    now: () => current,
    sleep,
    /** Counts an invocation in until the function it returns is called. */
    enter(): () => void {
      entered += 1;
      return () => {
        entered -= 1;
        advance();
      };
    },
    /** Calls `callback` when the clock reaches `START_MS + ms`. */
    at(ms: number, callback: () => void): void {
      due.push({ atMs: START_MS + ms, waiting: false, wake: callback });
    },
  };
}

type TurnClock = ReturnType<typeof turnClock>;
interface Archon {
  readonly fake: FakeBackend;
  readonly clock: TurnClock;
  readonly directory: string;
}

/**
 * A fresh fake Archon on a fresh shared clock, with Archon's timings but for
 * two: dispatches are acknowledged at once (their 4-13 ms are real time), and
 * workflows run 2 s unless `options` say otherwise.
 */
async function archon(options: FakeArchonOptions = {}): Promise<Archon> {
  const clock = turnClock();
  const timings = { ackMs: 0, runMs: 2000, ...options.timings };
  const fake = await startFakeBackend({ now: clock.now, archon: { ...options, workflows: WORKFLOWS, timings } });
  backends.push(fake);
  return { fake, clock, directory: await makeTempDir() };
}

/** Runs `recipe` through the command as invocation `id` in `conversationId`, dispatching `workflow` when given. */
async function runRecipe(
  { fake, clock, directory }: Archon,
  recipe: Recipe,
  id: string,
  conversationId: string,
  options: { workflow?: string; signal?: AbortSignal } = {},
): Promise<{ id: string; exitCode: number; result: RuntimeResult }> {
  const leave = clock.enter();
  try {
    const metadata = options.workflow === undefined ? {} : { "http.url": fake.url(`/api/workflows/${options.workflow}/run`) };
    const path = await writeJson(directory, `${id}.json`, exampleInvocation(recipe, fake.origin, { fields: { invocation_id: id }, metadata, conversationId }));
    const { io, stdout } = fakeIo();
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const exitCode = await runInvocationFile(path, io, { now: clock.now, sleep: clock.sleep, ...signal });
    return { id, exitCode, result: JSON.parse(stdout()) as RuntimeResult };
  } finally {
    leave();
  }
}

/** The fake's run that invocation `id` dispatched: the one whose user_message carries its mark. */
function runOf(fake: FakeBackend, id: string) {
  const runs = fake.archonRuns().filter((run) => run.userMessage.endsWith(`(invocation ${id})`));
  expect(runs).toHaveLength(1);
  return runs[0]!;
}

/** The invocation ended on its own run, with `status`, the outcome that run had. */
function expectOwnRun(fake: FakeBackend, { id, result }: { id: string; result: RuntimeResult }, status: "succeeded" | "failed"): void {
  const own = runOf(fake, id);
  const lookup = own.interactive ? own.id : own.conversationId;
  expect(result).toMatchObject({ invocation_id: id, status, metadata: { "http.run_id": own.id, "http.lookup": lookup } });
  expect(own.status).toBe(status === "succeeded" ? "completed" : "failed");
  if (status === "failed") expect(result.metadata["http.result"]).toBe(JSON.stringify(failureOf(own.workflowName)));
}

/** Archon's error for a failed run of the fake's two-step bash workflows. */
function failureOf(workflow: string): string {
  return `DAG workflow '${workflow}' completed with failures: 'step2': Bash node 'step2' failed [exit 1]: boom`;
}

/** The paths of the cancel requests the fake received. */
function cancels(fake: FakeBackend): string[] {
  return fake.requests.filter((request) => request.path.endsWith("/cancel")).map((request) => request.path);
}

/** Two invocation ids, one a prefix of the other: an owner value of the bare id would find both runs' messages its own. */
const ids = (attempt: number): [string, string] => [`job-${attempt}`, `job-${attempt}0`];

describe("Archon recipes, invocations that share a conversation or run at once", () => {
  it(`ends two background runs of different workflows, dispatched into one conversation at once, one failing, each on its own run (${TRIES} tries)`, async () => {
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      const backend = await archon();
      const parent = await createArchonConversation(backend.fake.origin);
      const [ok, failing] = ids(attempt);
      const results = await Promise.all([
        runRecipe(backend, "archon-background", ok, parent),
        runRecipe(backend, "archon-background", failing, parent, { workflow: "det-fail" }),
      ]);
      expectOwnRun(backend.fake, results[0], "succeeded");
      expectOwnRun(backend.fake, results[1], "failed");
      expect(results.map((result) => result.exitCode)).toEqual([0, 1]);
      // Archon ran one dispatch at a time: the other was answered queued-conversation.
      expect(backend.fake.archonRuns().map((run) => run.queued).sort()).toEqual([false, true]);
    }
  });

  it(`ends two background runs of the same workflow, dispatched into one conversation at once, each on its own run (${TRIES} tries)`, async () => {
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      const backend = await archon();
      const parent = await createArchonConversation(backend.fake.origin);
      const [first, second] = ids(attempt);
      const results = await Promise.all([runRecipe(backend, "archon-background", first, parent), runRecipe(backend, "archon-background", second, parent)]);
      for (const result of results) expectOwnRun(backend.fake, result, "succeeded");
      expect(new Set(results.map((result) => result.result.metadata["http.run_id"])).size).toBe(2);
    }
  });

  it(`ends two interactive runs, dispatched into one conversation at once, one failing, each on its own run (${TRIES} tries)`, async () => {
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      const backend = await archon();
      const parent = await createArchonConversation(backend.fake.origin);
      const [ok, failing] = ids(attempt);
      const results = await Promise.all([
        runRecipe(backend, "archon-interactive", ok, parent),
        runRecipe(backend, "archon-interactive", failing, parent, { workflow: "prd-fail" }),
      ]);
      expectOwnRun(backend.fake, results[0], "succeeded");
      expectOwnRun(backend.fake, results[1], "failed");
      expect(backend.fake.archonRuns().map((run) => run.queued).sort()).toEqual([false, true]);
    }
  });

  it(`ends an interactive run in a reused conversation on its own run, not on the previous run that by-worker still shows (${TRIES} tries)`, async () => {
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      const backend = await archon();
      const parent = await createArchonConversation(backend.fake.origin);
      const [previous, next] = ids(attempt);
      expectOwnRun(backend.fake, await runRecipe(backend, "archon-interactive", previous, parent, { workflow: "prd-fail" }), "failed");
      const dispatchedAtMs = backend.clock.now();
      expectOwnRun(backend.fake, await runRecipe(backend, "archon-interactive", next, parent), "succeeded");
      // The new run registered after the dispatch: until then by-worker showed the previous one.
      expect(runOf(backend.fake, next).registeredAtMs).toBeGreaterThan(dispatchedAtMs);
    }
  });
});

describe("Archon recipes, Ctrl-C", () => {
  it.each<Recipe>(["archon-background", "archon-interactive"])(
    `%s: Ctrl-C on the invocation queued behind another's run never cancels that run, which ends on its own (${TRIES} tries)`,
    async (recipe) => {
      for (let attempt = 1; attempt <= TRIES; attempt++) {
        // Runs of 10 s: the stopped invocation's own run cannot start within its cancel budget.
        const backend = await archon({ timings: { runMs: 10_000 } });
        const parent = await createArchonConversation(backend.fake.origin);
        const controllers = new Map(ids(attempt).map((id) => [id, new AbortController()]));
        // At 1.5 s the first run is going and the other dispatch waits behind it: Ctrl-C on the waiting one.
        let queuedId = "";
        backend.clock.at(1500, () => {
          queuedId = [...controllers.keys()].find((id) => runOf(backend.fake, id).queued)!;
          controllers.get(queuedId)!.abort("SIGINT");
        });
        const results = await Promise.all([...controllers].map(([id, { signal }]) => runRecipe(backend, recipe, id, parent, { signal })));
        const stopped = results.find((result) => result.id === queuedId)!;
        const other = results.find((result) => result.id !== queuedId)!;
        expect(stopped).toMatchObject({ exitCode: 130, result: { status: "cancelled", metadata: { "failure_kind": "cancelled", "http.backend_job": "may_still_run" } } });
        expect(stopped.result.metadata).not.toHaveProperty("http.run_id");
        expectOwnRun(backend.fake, other, "succeeded");
        expect(cancels(backend.fake)).toEqual([]);
        // As the result says, the stopped invocation's run may still run: Archon starts it once the other has ended.
        expect(runOf(backend.fake, queuedId).status).not.toBe("cancelled");
      }
    },
  );

  it.each<Recipe>(["archon-background", "archon-interactive"])(
    `%s: Ctrl-C on the invocation whose run is going cancels that run only; the one queued behind it then runs to its own end (${TRIES} tries)`,
    async (recipe) => {
      for (let attempt = 1; attempt <= TRIES; attempt++) {
        const backend = await archon();
        const parent = await createArchonConversation(backend.fake.origin);
        const controllers = new Map(ids(attempt).map((id) => [id, new AbortController()]));
        let runningId = "";
        backend.clock.at(1500, () => {
          runningId = [...controllers.keys()].find((id) => !runOf(backend.fake, id).queued)!;
          controllers.get(runningId)!.abort("SIGINT");
        });
        const results = await Promise.all([...controllers].map(([id, { signal }]) => runRecipe(backend, recipe, id, parent, { signal })));
        const stopped = results.find((result) => result.id === runningId)!;
        const own = runOf(backend.fake, runningId);
        expect(stopped).toMatchObject({ exitCode: 130, result: { status: "cancelled", metadata: { "http.run_id": own.id, "http.backend_job": "cancelled", "http.cancel_status": "200" } } });
        expect(own.status).toBe("cancelled");
        expect(cancels(backend.fake)).toEqual([`/api/workflows/runs/${own.id}/cancel`]);
        expectOwnRun(backend.fake, results.find((result) => result.id !== runningId)!, "succeeded");
      }
    },
  );

  it.each<[Recipe, number]>([
    ["archon-background", 200],
    ["archon-interactive", 50],
  ])(`%s: Ctrl-C before the run is found cancels the run once it appears, within cancelTimeoutMs (${TRIES} tries)`, async (recipe, stopAtMs) => {
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      const backend = await archon();
      const parent = await createArchonConversation(backend.fake.origin);
      const controller = new AbortController();
      // Before the dispatch message (313-628 ms) or the interactive run's registration (90-170 ms).
      backend.clock.at(stopAtMs, () => controller.abort("SIGINT"));
      const [id] = ids(attempt);
      const stopped = await runRecipe(backend, recipe, id, parent, { signal: controller.signal });
      const own = runOf(backend.fake, id);
      expect(stopped).toMatchObject({
        exitCode: 130,
        result: { status: "cancelled", metadata: { "failure_kind": "cancelled", "http.run_id": own.id, "http.backend_job": "cancelled", "http.cancel_status": "200" } },
      });
      expect(stopped.result.error_summary).toMatch(/^cancelled by the caller while looking up the run at /);
      expect(cancels(backend.fake)).toEqual([`/api/workflows/runs/${own.id}/cancel`]);
      expect(own.status).toBe("cancelled");
      expect(own.finishedAtMs! - (START_MS + stopAtMs)).toBeLessThanOrEqual(CANCEL_TIMEOUT_MS);
    }
  });
});
