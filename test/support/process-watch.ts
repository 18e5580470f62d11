import { createHook } from "node:async_hooks";

/**
 * What a test watches the process for: warnings (MaxListenersExceededWarning
 * among them), unhandled rejections and the handles it holds.
 *
 * @example
 * const watch = watchProcess();
 * // ... run the code under test ...
 * await watch.stop();
 * expect(watch.warnings).toEqual([]);
 */
export interface ProcessWatch {
  /** Warnings emitted since `watchProcess()`, as `Name: message`. */
  readonly warnings: string[];
  /** Reasons of the unhandled rejections since `watchProcess()`. */
  readonly unhandledRejections: unknown[];
  /** Stops watching, after a turn of the event loop so that pending warnings are counted. */
  stop(): Promise<void>;
}

/** Starts recording warnings and unhandled rejections. */
export function watchProcess(): ProcessWatch {
  const warnings: string[] = [];
  const unhandledRejections: unknown[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(`${warning.name}: ${warning.message}`);
  };
  const onUnhandled = (reason: unknown): void => {
    unhandledRejections.push(reason);
  };
  process.on("warning", onWarning);
  process.on("unhandledRejection", onUnhandled);
  return {
    warnings,
    unhandledRejections,
    async stop() {
      await new Promise((resolve) => setImmediate(resolve));
      process.off("warning", onWarning);
      process.off("unhandledRejection", onUnhandled);
    },
  };
}

/** How many handles of each type the process holds now (`TCPSocketWrap`, `Timeout`, ...). */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Timers created while it watches. */
export interface TimerWatch {
  /** How many of the timers created since `watchTimers()` are still pending (neither fired nor cleared). */
  pending(): number;
  /** Stops watching. */
  stop(): void;
}

/**
 * Starts counting the timers created from now on that are still pending. Unlike
 * `process.getActiveResourcesInfo()`, it does not see the timers the test
 * runner itself keeps between tests, so a test can require exactly none left.
 */
export function watchTimers(): TimerWatch {
  const pending = new Set<number>();
  const hook = createHook({
    init: (asyncId, type) => {
      if (type === "Timeout") pending.add(asyncId);
    },
    destroy: (asyncId) => {
      pending.delete(asyncId);
    },
  }).enable();
  return { pending: () => pending.size, stop: () => void hook.disable() };
}
