// The job backend of bench/overhead.mjs and bench/waiting.mjs: an undici
// Dispatcher that answers from memory, on the next turn of the event loop.
import { Dispatcher } from "undici";
import { POLLS } from "./harness.mjs";

const CONTENT_TYPE = Buffer.from("content-type");
const JSON_TYPE = Buffer.from("application/json");
const CONTENT_LENGTH = Buffer.from("content-length");
const RUNNING = Buffer.from('{"status":"running"}');
const COMPLETED = Buffer.from('{"status":"completed"}');

/** A job backend in memory: 202 with a run id, then `polls` "running" answers, then "completed". */
export class MemoryBackend extends Dispatcher {
  /** Kickoffs and polls answered so far. */
  kickoffs = 0;
  polls = 0;
  #pollsPerJob;
  #queue = [];
  #scheduled = false;
  #pollsByRun = new Map();

  constructor({ polls = POLLS } = {}) {
    super();
    this.#pollsPerJob = polls;
  }

  dispatch(options, handler) {
    this.#queue.push(options, handler);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#answer());
    }
    return true;
  }

  #answer() {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (let i = 0; i < queue.length; i += 2) {
      const [status, body] = this.#reply(queue[i]);
      const handler = queue[i + 1];
      handler.onConnect(() => {}, {});
      handler.onHeaders(status, [CONTENT_TYPE, JSON_TYPE, CONTENT_LENGTH, Buffer.from(String(body.length))], () => {}, "");
      handler.onData(body);
      handler.onComplete([]);
    }
  }

  #reply(options) {
    if (options.method === "POST") {
      const id = `r${++this.kickoffs}`;
      this.#pollsByRun.set(id, 0);
      return [202, Buffer.from(JSON.stringify({ id }))];
    }
    this.polls += 1;
    const id = options.path.slice("/runs/".length);
    const polls = this.#pollsByRun.get(id) + 1;
    if (polls <= this.#pollsPerJob) {
      this.#pollsByRun.set(id, polls);
      return [200, RUNNING];
    }
    this.#pollsByRun.delete(id);
    return [200, COMPLETED];
  }

  async close() {}
}
