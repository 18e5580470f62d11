/** setTimeout's largest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** Something the queue fires once its time has come. */
export interface Timed {
  /** When it is due, in `performance.now()` milliseconds; set by the queue. */
  dueAt: number;
  /** Its place in the queue, -1 when it is not queued; kept by the queue. */
  queueIndex: number;
  /** Called once when it is due, after it left the queue. */
  fire(): void;
}

/**
 * The timers of every run on one Node timer: a binary heap by due time, and
 * a single `setTimeout` armed for the earliest. A Node `Timeout` and the
 * arguments array of `setTimeout(fn, ms, arg)` cost about 180 bytes; a run
 * that waits with a deadline would hold two (PERFORMANCE.md, "One timer for
 * every run"). The timer is cleared when the queue empties, so an idle
 * process exits.
 */
class TimerQueue {
  readonly #heap: Timed[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires; Infinity when none is armed. */
  #armedFor = Infinity;

  /** How many are queued. */
  get size(): number {
    return this.#heap.length;
  }

  /** Queues `entry` to fire in `delayMs` (at least 0); an entry already queued moves. */
  add(entry: Timed, delayMs: number): void {
    if (entry.queueIndex !== -1) this.remove(entry);
    entry.dueAt = performance.now() + Math.max(0, delayMs);
    entry.queueIndex = this.#heap.length;
    this.#heap.push(entry);
    this.#up(entry.queueIndex);
    this.#arm();
  }

  /** Takes `entry` out of the queue; nothing when it is not queued. */
  remove(entry: Timed): void {
    const index = entry.queueIndex;
    if (index === -1) return;
    const heap = this.#heap;
    const last = heap.pop()!;
    entry.queueIndex = -1;
    if (last !== entry) {
      heap[index] = last;
      last.queueIndex = index;
      this.#down(index);
      this.#up(index);
    }
    if (heap.length === 0) this.#disarm();
  }

  /** Fires every entry that is due, then arms the timer for the next: what the timer calls. */
  fireDue(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = performance.now();
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.dueAt <= now) {
      const entry = heap[0]!;
      this.remove(entry);
      try {
        entry.fire();
      } catch (error) {
        // The others still fire, and the error is not swallowed.
        process.nextTick(() => {
          throw error;
        });
      }
    }
    this.#arm();
  }

  #arm(): void {
    const next = this.#heap[0];
    if (next === undefined || next.dueAt >= this.#armedFor) return;
    this.#disarm();
    this.#armedFor = next.dueAt;
    const delay = Math.min(Math.max(0, Math.ceil(next.dueAt - performance.now())), MAX_TIMER_MS);
    this.#timer = setTimeout(fireDue, delay, this);
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  #up(index: number): void {
    const heap = this.#heap;
    const entry = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.dueAt <= entry.dueAt) break;
      heap[index] = parent;
      parent.queueIndex = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.queueIndex = index;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const entry = heap[index]!;
    const length = heap.length;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      if (child + 1 < length && heap[child + 1]!.dueAt < heap[child]!.dueAt) child += 1;
      const smaller = heap[child]!;
      if (smaller.dueAt >= entry.dueAt) break;
      heap[index] = smaller;
      smaller.queueIndex = index;
      index = child;
    }
    heap[index] = entry;
    entry.queueIndex = index;
  }
}

/** The timer's callback: a function of the module, so arming the timer creates no closure. */
function fireDue(queue: TimerQueue): void {
  queue.fireDue();
}

/** The one timer queue of the process. */
export const timerQueue = new TimerQueue();
