import type { RunEvent } from "./runner.js";

type WithoutElapsed<T> = T extends RunEvent ? Omit<T, "elapsedMs"> : never;

/** Sends one event; call it as `emit?.({...})` so no object is built when nobody listens (PERFORMANCE.md, "No event without a listener"). */
export type Emit = (event: WithoutElapsed<RunEvent>) => void;

/**
 * Wraps a listener so that it stamps `elapsedMs` and can never break the run:
 * a listener that throws is reported once as a process warning. Returns
 * undefined when there is no listener.
 */
export function createEmitter(
  listener: ((event: RunEvent) => void) | undefined,
  now: () => number,
  startedAtMs: number,
): Emit | undefined {
  if (listener === undefined) return undefined;
  let warned = false;
  return (event) => {
    const stamped = event as RunEvent;
    stamped.elapsedMs = now() - startedAtMs;
    try {
      listener(stamped);
    } catch (error) {
      if (!warned) {
        warned = true;
        process.emitWarning(`onEvent listener threw: ${error instanceof Error ? error.message : String(error)}`, {
          code: "EXECUTOR_RUNTIME_LISTENER",
        });
      }
    }
  };
}
