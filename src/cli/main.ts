#!/usr/bin/env node
// The `executor-runtime` command: wires the process (argv, streams, signals,
// exit code) to runCli.
import { runCli } from "./cli.js";
import { abortOnSignals } from "./interrupts.js";
import { processIo } from "./io.js";

const io = processIo();
const controller = new AbortController();
const removeSignalHandlers = abortOnSignals(controller, io.stderr);
// A reader that goes away (`| head`) must not turn into an unhandled error.
process.stdout.on("error", () => undefined);
try {
  process.exitCode = await runCli(process.argv.slice(2), io, controller.signal);
} catch (error) {
  io.stderr.write(`executor-runtime: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
} finally {
  removeSignalHandlers();
}
