/**
 * The autorest project's global setup: starts the AutoRest test server (the
 * devDependency `@microsoft.azure/autorest.testserver`, installed by `npm ci`)
 * on a free port of 127.0.0.1, hands its origin to the tests as
 * `inject("autorestTestServer")`, and stops it when the tests are done. Its
 * coverage reports go to a temporary directory, removed with it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The AutoRest test server's origin, such as `http://127.0.0.1:40277`. */
    autorestTestServer: string;
  }
}

const PACKAGE = "@microsoft.azure/autorest.testserver";
const LOOPBACK = fileURLToPath(new URL("./autorest-loopback.mjs", import.meta.url));
/** How much of the server's output a failure to start quotes. */
const TAIL_CHARS = 2000;

/** The running server: its origin, and how to stop it. */
export interface AutorestTestServer {
  readonly origin: string;
  stop(): Promise<void>;
}

/**
 * Starts the test server's own command (`autorest-testserver run`) on port 0
 * of 127.0.0.1 and resolves once it says which port it took; rejects, quoting
 * its output, when it exits first.
 */
export async function startAutorestTestServer(): Promise<AutorestTestServer> {
  const cli = await testServerCli();
  const coverageDirectory = await mkdtemp(join(tmpdir(), "autorest-testserver-"));
  const child = spawn(process.execPath, ["--import", LOOPBACK, cli, "run", "--port", "0", "--coverageDirectory", coverageDirectory], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      // The server logs every route and every request: the pipes are read to
      // the end so that it never blocks on a full one.
      const read = (chunk: Buffer) => {
        output = (output + chunk.toString("utf8")).slice(-TAIL_CHARS);
        const started = /Started server on port (\d+)/.exec(output);
        if (started?.[1] !== undefined) resolve(Number(started[1]));
      };
      child.stdout?.on("data", read);
      child.stderr?.on("data", read);
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        reject(new Error(`the AutoRest test server (${cli}) exited (${signal ?? `code ${code}`}) before it listened:\n${output}`));
      });
    });
    return { origin: `http://127.0.0.1:${port}`, stop: () => stop(child, exited, coverageDirectory) };
  } catch (error) {
    await stop(child, exited, coverageDirectory);
    throw error;
  }
}

/** The path of the package's `autorest-testserver` command. */
async function testServerCli(): Promise<string> {
  const manifestPath = createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`);
  const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as { bin?: Record<string, string> };
  const bin = manifest.bin?.["autorest-testserver"];
  if (bin === undefined) throw new Error(`${PACKAGE} names no autorest-testserver command in ${manifestPath}`);
  return join(dirname(manifestPath), bin);
}

async function stop(child: ChildProcess, exited: Promise<void>, coverageDirectory: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    await exited;
  }
  await rm(coverageDirectory, { recursive: true, force: true });
}

/** Vitest global setup of the autorest project. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startAutorestTestServer();
  project.provide("autorestTestServer", server.origin);
  return () => server.stop();
}
