import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeBackend } from "../../examples/fake-backend.js";
import archonStyle from "../../examples/invocations/archon-style.json" with { type: "json" };
import classic202 from "../../examples/invocations/classic-202.json" with { type: "json" };
import { EXIT_INTERRUPTED, STATUS_EXIT_CODES } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { chooseProgressMode } from "./progress.js";
import { runInvocationFile, type RunCommandOptions } from "./run-command.js";

/** One flow of the demo: an example invocation and what its backend does. */
interface DemoFlow {
  readonly file: string;
  readonly title: string;
  readonly story: string;
  readonly invocation: { readonly metadata: Readonly<Record<string, string>> };
}

const FLOWS: readonly DemoFlow[] = [
  {
    file: "archon-style.json",
    title: "A workflow engine",
    story: 'kickoff answers 200 "started" with no run id; the status URL is 404 until the run registers, then "running", then "completed"',
    invocation: archonStyle,
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
  const backend = await startFakeBackend();
  const directory = await mkdtemp(join(tmpdir(), "executor-runtime-demo-"));
  const exitCodes: number[] = [];
  try {
    say(`Fake backend listening on ${backend.origin} (it stops when the demo ends).`);
    for (const [index, flow] of FLOWS.entries()) {
      if (options.signal?.aborted === true) break;
      say("");
      say(`[${index + 1}/${FLOWS.length}] ${flow.title}: ${flow.story}.`);
      say(`      executor-runtime run examples/invocations/${flow.file}, with http.url pointed at the fake backend`);
      const path = join(directory, flow.file);
      await writeFile(path, `${JSON.stringify(withOrigin(flow.invocation, backend.origin), null, 2)}\n`);
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

/** The invocation with the origin of `http.url` replaced; its path and query stay. */
export function withOrigin<T extends DemoFlow["invocation"]>(invocation: T, origin: string): T {
  const url = new URL(invocation.metadata["http.url"] ?? "/");
  const moved = new URL(`${url.pathname}${url.search}`, origin).href;
  return { ...invocation, metadata: { ...invocation.metadata, "http.url": moved } };
}
