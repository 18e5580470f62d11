import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeBackend } from "../../examples/fake-backend.js";
import archonBackground from "../../examples/invocations/archon-background.json" with { type: "json" };
import classic202 from "../../examples/invocations/classic-202.json" with { type: "json" };
import { EXIT_INTERRUPTED, STATUS_EXIT_CODES } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { chooseProgressMode } from "./progress.js";
import { runInvocationFile, type RunCommandOptions } from "./run-command.js";

/** An example invocation: its metadata is what the demo changes. */
type ExampleInvocation = { readonly metadata: Readonly<Record<string, string>> };

/** One flow of the demo: an example invocation and what its backend does. */
interface DemoFlow {
  readonly file: string;
  readonly title: string;
  readonly story: string;
  readonly invocation: ExampleInvocation;
  /** What a user does on the backend before running the example; says what it did. */
  readonly prepare?: (invocation: ExampleInvocation, origin: string) => Promise<{ invocation: ExampleInvocation; note: string }>;
}

const FLOWS: readonly DemoFlow[] = [
  {
    file: "archon-background.json",
    title: "Archon, a background workflow",
    story:
      'the dispatch answers 200 "started" and names no run; the run lives in a worker conversation that a message of the ' +
      'parent conversation names, so the runner looks it up there (http.run_lookup_url), takes it once the run\'s user_message ' +
      'carries the invocation\'s id (http.run_owner_path), then polls it by worker until "completed"',
    invocation: archonBackground,
    prepare: async (invocation, origin) => {
      const conversationId = await createArchonConversation(origin);
      return {
        invocation: withConversation(invocation, conversationId),
        note: `created conversation ${conversationId} (POST /api/conversations) and put its id in the copy`,
      };
    },
  },
  {
    file: "classic-202.json",
    title: "A classic job API",
    story: 'kickoff answers 202 with a Location header; the first poll gets 429 with Retry-After, then "running", then "succeeded"',
    invocation: classic202,
  },
];

/** Options of `executor-runtime demo`: those of `run` that make sense for it. */
export type DemoOptions = Omit<RunCommandOptions, "allowSubprocess">;

/**
 * `executor-runtime demo`: starts the fake backend of examples/, runs both
 * example invocations through `runInvocationFile` (exactly what
 * `executor-runtime run` does) with `http.url` pointed at it, and stops it.
 * Resolves to 0 when both flows succeeded.
 */
export async function runDemo(io: CliIo, options: DemoOptions = {}): Promise<number> {
  const narrate = ["live", "lines"].includes(chooseProgressMode({ quiet: options.quiet ?? false, jsonEvents: options.jsonEvents ?? false }, io.stderr, io.env));
  const say = (text: string): void => {
    if (narrate) io.stderr.write(`${text}\n`);
  };
  // Archon's observed timings, with a workflow that takes 1.5 s.
  const backend = await startFakeBackend({ archon: { timings: { runMs: 1500 } } });
  const directory = await mkdtemp(join(tmpdir(), "executor-runtime-demo-"));
  const exitCodes: number[] = [];
  try {
    say(`Fake backend listening on ${backend.origin}: Archon's routes, with a real server's timings, and a classic job API (it stops when the demo ends).`);
    for (const [index, flow] of FLOWS.entries()) {
      if (options.signal?.aborted === true) break;
      say("");
      say(`[${index + 1}/${FLOWS.length}] ${flow.title}: ${flow.story}.`);
      let invocation = withOrigin(flow.invocation, backend.origin);
      if (flow.prepare !== undefined) {
        const prepared = await flow.prepare(invocation, backend.origin);
        invocation = prepared.invocation;
        say(`      ${prepared.note}`);
      }
      say(`      executor-runtime run examples/invocations/${flow.file}, with http.url pointed at the fake backend`);
      const path = join(directory, flow.file);
      await writeFile(path, `${JSON.stringify(invocation, null, 2)}\n`);
      exitCodes.push(await runInvocationFile(path, io, options));
    }
  } finally {
    await backend.close();
    await rm(directory, { recursive: true, force: true });
  }
  say("");
  if (options.signal?.aborted === true) {
    say("Demo interrupted; the fake backend is stopped.");
    return EXIT_INTERRUPTED;
  }
  const succeeded = exitCodes.filter((code) => code === STATUS_EXIT_CODES.succeeded).length;
  if (succeeded === FLOWS.length) {
    say("Both flows reached succeeded; the fake backend is stopped.");
    say("Next: point a copy of examples/invocations/*.json at your backend, then");
    say("      executor-runtime validate my-job.json && executor-runtime run my-job.json");
    return 0;
  }
  say(`${FLOWS.length - succeeded} of ${FLOWS.length} flows did not succeed; see the results above.`);
  return 1;
}

/** Starts an Archon conversation on the server at `origin`, as `POST /api/conversations` does; resolves to its id. */
export async function createArchonConversation(origin: string): Promise<string> {
  const response = await fetch(new URL("/api/conversations", origin), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  const body = (await response.json()) as { conversationId?: unknown };
  if (!response.ok || typeof body.conversationId !== "string") throw new Error(`POST /api/conversations answered HTTP ${response.status}`);
  return body.conversationId;
}

/**
 * An Archon example with its conversation replaced: the `conversationId` of
 * its `http.body` becomes `conversationId` wherever the metadata names it
 * (the body, the lookup URL, the poll template).
 */
export function withConversation<T extends ExampleInvocation>(invocation: T, conversationId: string): T {
  const body = JSON.parse(invocation.metadata["http.body"] ?? "{}") as { conversationId?: unknown };
  const example = body.conversationId;
  if (typeof example !== "string" || example.length === 0) return invocation;
  const metadata = Object.fromEntries(Object.entries(invocation.metadata).map(([key, value]) => [key, value.replaceAll(example, conversationId)]));
  return { ...invocation, metadata };
}

/** The invocation with the origin of `http.url` replaced; its path and query stay. */
export function withOrigin<T extends ExampleInvocation>(invocation: T, origin: string): T {
  const url = new URL(invocation.metadata["http.url"] ?? "/");
  const moved = new URL(`${url.pathname}${url.search}`, origin).href;
  return { ...invocation, metadata: { ...invocation.metadata, "http.url": moved } };
}
