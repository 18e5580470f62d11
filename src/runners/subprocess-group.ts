/**
 * A running child's process group that must not outlive this process.
 * @internal
 */
export interface GuardedGroup {
  /** The pid of the group leader, which is also the process-group id. */
  readonly pid: number;
  /** Stops the run the way a timeout would (SIGTERM, SIGKILL after the grace period). */
  readonly stop: () => void;
}

/**
 * Marks this library's SIGTERM listener, so that the listener of a second copy
 * of the library in the same process does not count as the application's.
 */
const OWN_LISTENER = Symbol.for("executor-runtime.subprocess-group");

const guarded = new Set<GuardedGroup>();

/**
 * Sends `signal` to every process of the group led by `pid`. Returns whether
 * it was delivered; a group that is already gone (ESRCH) is not an error.
 * @internal
 */
export function signalProcessGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    // ESRCH: every member has exited. EPERM: the id now belongs to someone else.
    return false;
  }
}

/**
 * Keeps `group` from outliving this process. While at least one group is
 * guarded, one shared SIGTERM listener and one `exit` listener are installed
 * (both removed when the last group is released).
 *
 * On SIGTERM, when the application has SIGTERM listeners of its own, each run
 * is stopped as if aborted and the application's listeners decide when to
 * exit. When it has none, every group is sent SIGKILL (this process is about
 * to die, so there is no grace period to wait out), the listeners are removed
 * and SIGTERM is raised again, so the process terminates exactly as it would
 * have without this library. On `exit` (a `process.exit()` while runs are
 * active), every group still guarded is sent SIGKILL.
 *
 * Returns the release function; calling it again does nothing.
 * @internal
 */
export function guardProcessGroup(group: GuardedGroup): () => void {
  guarded.add(group);
  if (guarded.size === 1) {
    // Prepended, so that an application listener registered with `once`
    // before ours is still counted when ours runs.
    process.prependListener("SIGTERM", onParentSigterm);
    process.on("exit", onParentExit);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    guarded.delete(group);
    if (guarded.size === 0) removeListeners();
  };
}

const onParentSigterm = Object.assign(
  (): void => {
    const applicationListeners = process.listeners("SIGTERM").filter((listener) => !(OWN_LISTENER in listener));
    if (applicationListeners.length > 0) {
      for (const group of [...guarded]) group.stop();
      return;
    }
    killAll();
    process.kill(process.pid, "SIGTERM");
  },
  { [OWN_LISTENER]: true },
);

const onParentExit = (): void => killAll();

function killAll(): void {
  for (const group of guarded) signalProcessGroup(group.pid, "SIGKILL");
  guarded.clear();
  removeListeners();
}

function removeListeners(): void {
  process.removeListener("SIGTERM", onParentSigterm);
  process.removeListener("exit", onParentExit);
}
