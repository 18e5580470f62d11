/** setTimeout's largest delay; a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** The smallest room the queue keeps for due times. */
const MIN_CAPACITY = 64;

/** Something the queue fires once its time has come. */
export interface Timed {
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
 * every run"). The due times sit beside the heap, in a Float64Array, not in
 * the entries: a fractional number in an object is a heap number of its own
 * (PERFORMANCE.md, "Due times beside the heap"). The timer is cleared when
 * the queue empties, so an idle process exits.
 */
class TimerQueue {
  readonly #heap: Timed[] = [];
  /** The due time of `#heap[i]` at `#due[i]`, in `performance.now()` milliseconds. */
  #due = new Float64Array(MIN_CAPACITY);
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
    const index = this.#heap.length;
    if (index === this.#due.length) this.#resize(2 * index);
    this.#heap.push(entry);
    this.#up(index, entry, performance.now() + Math.max(0, delayMs));
    this.#arm();
  }

  /** Takes `entry` out of the queue; nothing when it is not queued. */
  remove(entry: Timed): void {
    const index = entry.queueIndex;
    if (index === -1) return;
    const heap = this.#heap;
    const last = heap.pop()!;
    const lastIndex = heap.length;
    entry.queueIndex = -1;
    if (last !== entry) {
      const lastDue = this.#due[lastIndex]!;
      this.#down(index, last, lastDue);
      if (last.queueIndex === index) this.#up(index, last, lastDue);
    }
    if (lastIndex === 0) this.#disarm();
    if (this.#due.length > MIN_CAPACITY && lastIndex * 4 <= this.#due.length) this.#resize(this.#due.length / 2);
  }

  /** Fires every entry that is due, then arms the timer for the next: what the timer calls. */
  fireDue(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = performance.now();
    const heap = this.#heap;
    while (heap.length > 0 && this.#due[0]! <= now) {
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
    if (this.#heap.length === 0) return;
    const dueAt = this.#due[0]!;
    if (dueAt >= this.#armedFor) return;
    this.#disarm();
    this.#armedFor = dueAt;
    const delay = Math.min(Math.max(0, Math.ceil(dueAt - performance.now())), MAX_TIMER_MS);
    this.#timer = setTimeout(fireDue, delay, this);
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  /** Moves the room for due times to `capacity` entries (never below MIN_CAPACITY). */
  #resize(capacity: number): void {
    const due = new Float64Array(Math.max(MIN_CAPACITY, capacity));
    due.set(this.#due.subarray(0, this.#heap.length));
    this.#due = due;
  }

  /** Places `entry`, due at `dueAt`, at `index` or above it, moving later entries down. */
  #up(index: number, entry: Timed, dueAt: number): void {
    const heap = this.#heap;
    const due = this.#due;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parentDue = due[parentIndex]!;
      if (parentDue <= dueAt) break;
      const parent = heap[parentIndex]!;
      heap[index] = parent;
      due[index] = parentDue;
      parent.queueIndex = index;
      index = parentIndex;
    }
    heap[index] = entry;
    due[index] = dueAt;
    entry.queueIndex = index;
  }

  /** Places `entry`, due at `dueAt`, at `index` or below it, moving earlier entries up. */
  #down(index: number, entry: Timed, dueAt: number): void {
    const heap = this.#heap;
    const due = this.#due;
    const length = heap.length;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      if (child + 1 < length && due[child + 1]! < due[child]!) child += 1;
      const childDue = due[child]!;
      if (childDue >= dueAt) break;
      const smaller = heap[child]!;
      heap[index] = smaller;
      due[index] = childDue;
      smaller.queueIndex = index;
      index = child;
    }
    heap[index] = entry;
    due[index] = dueAt;
    entry.queueIndex = index;
  }
}

/** The timer's callback: a function of the module, so arming the timer creates no closure. */
function fireDue(queue: TimerQueue): void {
  queue.fireDue();
}

/** The one timer queue of the process. */
export const timerQueue = new TimerQueue();
