import { EXIT_INTERRUPTED } from "./exit-codes.js";

/**
 * Turns the first SIGINT or SIGTERM into an abort of `controller` (its reason
 * is the signal's name), so the run ends `cancelled` and sends the backend's
 * cancel request; the second one exits at once with 130. Returns the function
 * that removes the handlers.
 */
export function abortOnSignals(controller: AbortController, stderr: { write(text: string): unknown }): () => void {
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      controller.abort(signal);
      return;
    }
    // Ends a live status line, so the shell prompt starts on a line of its own.
    stderr.write(`\nreceived ${signal} again: exiting without waiting for the run to end\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
}
