/**
 * The Archon routes of the fake backend (examples/fake-backend.ts), following
 * what a real Archon v0.3.10 server does with bash-only workflows, as
 * observed on a running one:
 *
 * - `POST /api/conversations` `{codebaseId?}` -> 200 `{conversationId: "web-<ms>-<6 chars>", id}`.
 * - `POST /api/workflows/:name/run` `{conversationId, message}` -> 200
 *   `{accepted: true, status: "started"}`, with no run id, no Location and no
 *   authentication; 400 `{error: "conversationId: Required"}` without a
 *   conversation. A conversation runs one dispatch at a time: a dispatch into
 *   a conversation whose run (background or interactive) is still going is
 *   answered `"queued-conversation"` and starts when that run ends. An
 *   unknown workflow or a made-up conversation is answered 200 too, and
 *   nothing runs.
 * - `GET /api/conversations/:id/messages` -> an array of `{id,
 *   conversation_id, role, content, metadata, created_at}`, `metadata` a
 *   JSON string; 404 `{error: "Conversation not found"}` for a conversation
 *   that does not exist (so a recipe whose conversation was never replaced
 *   fails at its first lookup, before it dispatches anything).
 * - A background workflow (any workflow not marked interactive) runs in a
 *   worker conversation `web-worker-<ms>-<6 chars>`. Its parent gets the user
 *   message, "Starting workflow: `<name>`" (metadata `"{}"`), 313-628 ms after
 *   the start "🚀 Dispatching workflow: **<name>** (background)" with
 *   metadata `{"workflowDispatch": {"workerConversationId", "workflowName"}}`
 *   (the worker's run is `pending` by then), and, once the run has completed
 *   or failed, a message whose metadata is `{"workflowResult":
 *   {"workflowName", "runId"}}` (its content is the fake's own).
 * - An interactive workflow runs in the conversation it was dispatched to,
 *   where it registers 90-170 ms after the start.
 * - A run is `pending` for 15-40 ms, then `running`, then `completed`,
 *   `failed` or `cancelled`; `paused` is an approval gate
 *   (`run.metadata.approval = {nodeId, message}`) that waits for a person and
 *   is not terminal. There is no `run.outcome`.
 * - A run record: `id` (32 hex characters), `conversation_id`, `codebase_id`,
 *   `workflow_name`, `user_message` (the dispatch's message, verbatim),
 *   `status`, `current_step_index` (null), `metadata` (`{"node_counts":
 *   {"completed": 2, "failed": 0, "skipped": 0, "total": 2}}` once done; a
 *   failed run's adds `error`, such as "DAG workflow 'det-fail' completed
 *   with failures: 'step2': Bash node 'step2' failed [exit 1]: boom"),
 *   `parent_conversation_id` (the parent's; an interactive run's own
 *   conversation), `started_at`, `completed_at`, `last_activity_at` (stays
 *   at the start) and `working_path`.
 * - `GET /api/workflows/runs/by-worker/:conversation` -> 200 `{run}`, the
 *   newest run registered in that conversation (a reused conversation shows
 *   its previous run until the new one registers), or 404 `{error: "No
 *   workflow run found for this worker"}`: always for the parent of a
 *   background run.
 * - `GET /api/workflows/runs/:runId` -> 200 `{run, events}` (the fake lists
 *   no events); 404 `{error: "Workflow run not found"}`.
 * - `POST /api/workflows/runs/:runId/cancel` -> 200 `{success: true, message:
 *   "Cancelled workflow: <name>"}`, and the status is `cancelled` at once
 *   (Archon lets the step in progress run on; the fake frees the
 *   conversation at once); 400 `{error: "Cannot cancel workflow in
 *   '<status>' status"}` once the run has ended; 404 `{error: "Workflow run
 *   not found"}`.
 *
 * Time comes from `now`, and every state is derived from it when asked, so a
 * test that shares a virtual clock with the runner sees exactly what a real
 * server would show at that moment, in the same order.
 */
import { randomUUID } from "node:crypto";

/** A duration in milliseconds, or a range `[min, max]` that each run draws from. */
export type Duration = number | readonly [number, number];

/** How long Archon takes for each step of a run. */
export interface ArchonTimings {
  /** From the dispatch request to its acknowledgement (real time: the answer is held back). */
  readonly ackMs: Duration;
  /** Background: from the start (the acknowledgement, or the end of the run ahead) to the message naming the worker, whose run is registered then. */
  readonly dispatchMs: Duration;
  /** Interactive: from the start to the run's registration (by-worker of the conversation shows the run before until then). */
  readonly registerMs: Duration;
  /** From `pending` to `running`. */
  readonly pendingMs: Duration;
  /** From `running` to the run's end (`Infinity`: it never ends on its own). */
  readonly runMs: Duration;
}

/** The timings observed on a real Archon server, with a short workflow. */
export const ARCHON_TIMINGS: ArchonTimings = {
  ackMs: [4, 13],
  dispatchMs: [313, 628],
  registerMs: [90, 170],
  pendingMs: [15, 40],
  runMs: 5000,
};

/** How a run ends: a terminal status, or `paused` at an approval gate that nobody answers. */
export type ArchonEnding = "completed" | "failed" | "cancelled" | "paused";

/** A workflow the fake knows. */
export interface FakeWorkflow {
  /** Runs in the conversation it was started from instead of a worker conversation. @default false */
  readonly interactive?: boolean;
  /** How its runs end. @default the backend's `ending` */
  readonly ending?: ArchonEnding;
  /** `run.metadata.error` of a failed run. @default "DAG workflow '<name>' completed with failures: 'step2': Bash node 'step2' failed [exit 1]: boom" */
  readonly error?: string;
  /** From `running` to the end, replacing `ArchonTimings.runMs`. */
  readonly runMs?: number;
}

/** Workflows as Archon names them; `archon-interactive-prd` is the interactive one, `det-fail` a bash workflow that fails. */
export const ARCHON_WORKFLOWS: Readonly<Record<string, FakeWorkflow>> = {
  "archon-assist": {},
  "archon-fix-github-issue": {},
  "archon-interactive-prd": { interactive: true },
  "det-fail": { ending: "failed" },
};

/** Options of the fake Archon. */
export interface FakeArchonOptions {
  /** Replaces some of `ARCHON_TIMINGS`. */
  readonly timings?: Partial<ArchonTimings>;
  /** Multiplies every duration (0.1 for tests in real time). @default 1 */
  readonly timeScale?: number;
  /** Workflows added to (or replacing) `ARCHON_WORKFLOWS`. */
  readonly workflows?: Readonly<Record<string, FakeWorkflow>>;
  /** How runs end unless their workflow says. @default "completed" */
  readonly ending?: ArchonEnding;
}

/** A run as a test sees it, at the time it asks. */
export interface FakeArchonRun {
  readonly id: string;
  readonly workflowName: string;
  readonly interactive: boolean;
  /** The dispatch's message, as `run.user_message` shows it. */
  readonly userMessage: string;
  /** The conversation it runs in: the worker's, or the parent's for an interactive run. */
  readonly conversationId: string;
  readonly parentConversationId: string;
  /** Whether its dispatch was answered `queued-conversation`. */
  readonly queued: boolean;
  /** When by-worker starts answering with it (epoch ms). */
  readonly registeredAtMs: number;
  /** When it reached `completed`, `failed` or `cancelled`; undefined while it has not (a paused run has not). */
  readonly finishedAtMs: number | undefined;
  /** Its status now; undefined before it is registered. */
  readonly status: string | undefined;
}

/** An answer of the fake: HTTP status, JSON body, and how long to hold it back. */
export interface FakeAnswer {
  readonly status: number;
  readonly json: unknown;
  readonly delayMs?: number;
}

interface Conversation {
  readonly id: string;
  readonly platformId: string;
  readonly codebaseId: string | null;
  /** The messages written when a request came in; those of the runs are derived from the time. */
  readonly messages: Message[];
  /** For a worker conversation: its run, whose registration creates it. */
  readonly worker: Run | undefined;
  /** The run dispatched last from this conversation: the next dispatch waits for its end. */
  last: Run | undefined;
}

interface Message {
  readonly id: string;
  readonly role: "user" | "assistant";
  readonly content: string;
  readonly metadata: string;
  readonly createdAtMs: number;
}

interface Run {
  readonly id: string;
  readonly workflowName: string;
  readonly workflow: FakeWorkflow;
  readonly userMessage: string;
  readonly parent: Conversation;
  /** The worker conversation of a background run; undefined for an interactive one, which runs in its parent. */
  worker: Conversation | undefined;
  readonly ackAtMs: number;
  /** The run of the same conversation it waits for. */
  readonly after: Run | undefined;
  /** From the start to the run's registration (`dispatchMs` or `registerMs`). */
  readonly registerMs: number;
  readonly pendingMs: number;
  readonly runMs: number;
  /** Ids of the messages the run writes in its parent: starting, dispatching, result. */
  readonly messageIds: readonly [string, string, string];
  cancelledAtMs: number | undefined;
}

const NOT_FOUND_RUN = { error: "No workflow run found for this worker" };
const NOT_FOUND_WORKFLOW_RUN = { error: "Workflow run not found" };
const TERMINAL = new Set(["completed", "failed", "cancelled"]);
const WORKING_PATH = "/home/archon/.archon/workspaces";

/** Archon's state and its answers, as functions of the time. */
export class FakeArchon {
  readonly #timings: ArchonTimings;
  readonly #workflows: Readonly<Record<string, FakeWorkflow>>;
  readonly #ending: ArchonEnding;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #conversations = new Map<string, Conversation>();
  readonly #runs: Run[] = [];

  constructor(options: FakeArchonOptions, now: () => number, random: () => number) {
    const scale = options.timeScale ?? 1;
    const timings = { ...ARCHON_TIMINGS, ...options.timings };
    const scaled = (value: Duration): Duration => (typeof value === "number" ? value * scale : [value[0] * scale, value[1] * scale]);
    this.#timings = Object.fromEntries(Object.entries(timings).map(([key, value]) => [key, scaled(value)])) as unknown as ArchonTimings;
    this.#workflows = { ...ARCHON_WORKFLOWS, ...options.workflows };
    this.#ending = options.ending ?? "completed";
    this.#now = now;
    this.#random = random;
  }

  /** Every run dispatched so far, in dispatch order, as it is now. */
  runs(): FakeArchonRun[] {
    const now = this.#now();
    return this.#runs.map((run) => ({
      id: run.id,
      workflowName: run.workflowName,
      interactive: run.worker === undefined,
      userMessage: run.userMessage,
      conversationId: homeOf(run).platformId,
      parentConversationId: run.parent.platformId,
      queued: run.after !== undefined,
      registeredAtMs: this.#registeredAt(run),
      finishedAtMs: Number.isFinite(this.#finishedAt(run)) ? this.#finishedAt(run) : undefined,
      status: this.#statusAt(run, now),
    }));
  }

  /** The answer to a request on an Archon route; undefined when `path` is not one. */
  answer(method: string, path: string, body: string): FakeAnswer | undefined {
    const now = this.#now();
    let match: RegExpExecArray | null;
    if (method === "POST" && path === "/api/conversations") {
      const codebaseId = readObject(body)?.codebaseId;
      const conversation = this.#createConversation(`web-${now}-${this.#suffix()}`, typeof codebaseId === "string" ? codebaseId : null);
      return { status: 200, json: { conversationId: conversation.platformId, id: conversation.id } };
    }
    if (method === "GET" && (match = /^\/api\/conversations\/([^/]+)\/messages$/.exec(path))) {
      const conversation = this.#conversations.get(decodeURIComponent(match[1]!));
      if (conversation === undefined || (conversation.worker !== undefined && this.#registeredAt(conversation.worker) > now)) {
        return { status: 404, json: { error: "Conversation not found" } };
      }
      return { status: 200, json: this.#messagesOf(conversation, now) };
    }
    if (method === "POST" && (match = /^\/api\/workflows\/([^/]+)\/run$/.exec(path))) {
      return this.#dispatch(decodeURIComponent(match[1]!), body, now);
    }
    if (method === "GET" && (match = /^\/api\/workflows\/runs\/by-worker\/([^/]+)$/.exec(path))) {
      const run = this.#newestRunIn(decodeURIComponent(match[1]!), now);
      return run === undefined ? { status: 404, json: NOT_FOUND_RUN } : { status: 200, json: { run: this.#runJson(run, now) } };
    }
    if (method === "GET" && (match = /^\/api\/workflows\/runs\/([^/]+)$/.exec(path))) {
      const run = this.#registeredRun(decodeURIComponent(match[1]!), now);
      return run === undefined ? { status: 404, json: NOT_FOUND_WORKFLOW_RUN } : { status: 200, json: { run: this.#runJson(run, now), events: [] } };
    }
    if (method === "POST" && (match = /^\/api\/workflows\/runs\/([^/]+)\/cancel$/.exec(path))) {
      return this.#cancel(decodeURIComponent(match[1]!), now);
    }
    return undefined;
  }

  #dispatch(workflowName: string, body: string, now: number): FakeAnswer {
    const fields = readObject(body);
    const conversationId = fields?.conversationId;
    const ack = (status: string, code = 200): FakeAnswer => ({
      status: code,
      json: code === 200 ? { accepted: true, status } : { error: status },
      delayMs: this.#draw(this.#timings.ackMs),
    });
    if (typeof conversationId !== "string" || conversationId.length === 0) return ack("conversationId: Required", 400);
    const message = typeof fields?.message === "string" ? fields.message : "";
    const parent = this.#conversations.get(conversationId);
    // Archon acknowledges a made-up conversation too; nothing runs.
    if (parent === undefined) return ack("started");
    parent.messages.push(newMessage("user", message, "{}", now));
    const workflow = this.#workflows[workflowName];
    if (workflow === undefined) {
      parent.messages.push(newMessage("assistant", `Workflow not found: ${workflowName}`, "{}", now));
      return ack("started");
    }
    const interactive = workflow.interactive === true;
    const previous = parent.last;
    const run: Run = {
      id: randomUUID().replaceAll("-", ""),
      workflowName,
      workflow,
      userMessage: message,
      parent,
      worker: undefined,
      ackAtMs: now,
      after: previous !== undefined && this.#finishedAt(previous) > now ? previous : undefined,
      registerMs: this.#draw(interactive ? this.#timings.registerMs : this.#timings.dispatchMs),
      pendingMs: this.#draw(this.#timings.pendingMs),
      runMs: workflow.runMs ?? this.#draw(this.#timings.runMs),
      messageIds: [randomUUID(), randomUUID(), randomUUID()],
      cancelledAtMs: undefined,
    };
    // The worker is named by when it is created, as far as it is known now (a run ahead may still be cancelled).
    if (!interactive) run.worker = this.#createConversation(`web-worker-${this.#registeredAt(run)}-${this.#suffix()}`, parent.codebaseId, run);
    parent.last = run;
    this.#runs.push(run);
    return ack(run.after === undefined ? "started" : "queued-conversation");
  }

  #cancel(runId: string, now: number): FakeAnswer {
    const run = this.#registeredRun(runId, now);
    if (run === undefined) return { status: 404, json: NOT_FOUND_WORKFLOW_RUN };
    const status = this.#statusAt(run, now)!;
    if (TERMINAL.has(status)) return { status: 400, json: { error: `Cannot cancel workflow in '${status}' status` } };
    run.cancelledAtMs = now;
    return { status: 200, json: { success: true, message: `Cancelled workflow: ${run.workflowName}` } };
  }

  /** The messages of a conversation shown at `now`: those written on requests, and those its runs have written by then. */
  #messagesOf(conversation: Conversation, now: number) {
    const messages = [...conversation.messages];
    for (const run of this.#runs) {
      if (run.parent !== conversation || run.worker === undefined) continue;
      const [starting, dispatching, result] = run.messageIds;
      const name = run.workflowName;
      messages.push({ id: starting, role: "assistant", content: `Starting workflow: \`${name}\``, metadata: "{}", createdAtMs: this.#startAt(run) });
      const dispatch = { workflowDispatch: { workerConversationId: run.worker.platformId, workflowName: name } };
      const content = `🚀 Dispatching workflow: **${name}** (background)`;
      messages.push({ id: dispatching, role: "assistant", content, metadata: JSON.stringify(dispatch), createdAtMs: this.#registeredAt(run) });
      const ending = this.#endingOf(run);
      if (run.cancelledAtMs === undefined && (ending === "completed" || ending === "failed")) {
        const metadata = JSON.stringify({ workflowResult: { workflowName: name, runId: run.id } });
        messages.push({ id: result, role: "assistant", content: `Workflow ${name} ${ending}.`, metadata, createdAtMs: this.#endsAt(run) });
      }
    }
    const shown = messages.filter((message) => message.createdAtMs <= now);
    // A stable sort: messages written at one time keep the order they were written in.
    return shown.sort((a, b) => a.createdAtMs - b.createdAtMs).map((message) => messageJson(message, conversation));
  }

  /** The run that by-worker shows for a conversation: the newest one registered there by `now`. */
  #newestRunIn(platformId: string, now: number): Run | undefined {
    let newest: Run | undefined;
    for (const run of this.#runs) {
      if (homeOf(run).platformId !== platformId || this.#registeredAt(run) > now) continue;
      if (newest === undefined || this.#registeredAt(run) >= this.#registeredAt(newest)) newest = run;
    }
    return newest;
  }

  /** The run with that id, once it is registered. */
  #registeredRun(runId: string, now: number): Run | undefined {
    const run = this.#runs.find((candidate) => candidate.id === runId);
    return run === undefined || this.#registeredAt(run) > now ? undefined : run;
  }

  /** When the conversation takes the dispatch up: at once, or when the run ahead of it ends. */
  #startAt(run: Run): number {
    return run.after === undefined ? run.ackAtMs : Math.max(run.ackAtMs, this.#finishedAt(run.after));
  }

  #registeredAt(run: Run): number {
    return this.#startAt(run) + run.registerMs;
  }

  #endsAt(run: Run): number {
    return this.#registeredAt(run) + run.pendingMs + run.runMs;
  }

  #endingOf(run: Run): ArchonEnding {
    return run.workflow.ending ?? this.#ending;
  }

  /** When the run reached a terminal status; Infinity while it is going or paused. */
  #finishedAt(run: Run): number {
    const ended = this.#endingOf(run) === "paused" ? Infinity : this.#endsAt(run);
    return Math.min(ended, run.cancelledAtMs ?? Infinity);
  }

  #statusAt(run: Run, now: number): string | undefined {
    const registeredAt = this.#registeredAt(run);
    if (now < registeredAt) return undefined;
    if (run.cancelledAtMs !== undefined && now >= run.cancelledAtMs) return "cancelled";
    if (now < registeredAt + run.pendingMs) return "pending";
    if (now < this.#endsAt(run)) return "running";
    return this.#endingOf(run);
  }

  #runJson(run: Run, now: number) {
    const status = this.#statusAt(run, now)!;
    const finishedAt = this.#finishedAt(run);
    const startedAt = sqlTime(this.#registeredAt(run));
    return {
      id: run.id,
      conversation_id: homeOf(run).id,
      codebase_id: run.parent.codebaseId,
      workflow_name: run.workflowName,
      user_message: run.userMessage,
      status,
      current_step_index: null,
      metadata: this.#metadataOf(run, status),
      parent_conversation_id: run.parent.id,
      started_at: startedAt,
      completed_at: finishedAt <= now ? sqlTime(finishedAt) : null,
      last_activity_at: startedAt,
      working_path: WORKING_PATH,
    };
  }

  #metadataOf(run: Run, status: string): Record<string, unknown> {
    switch (status) {
      case "completed":
        return { node_counts: { completed: 2, failed: 0, skipped: 0, total: 2 } };
      case "failed": {
        const error = run.workflow.error ?? `DAG workflow '${run.workflowName}' completed with failures: 'step2': Bash node 'step2' failed [exit 1]: boom`;
        return { node_counts: { completed: 1, failed: 1, skipped: 0, total: 2 }, error };
      }
      case "paused":
        return { approval: { nodeId: "review-plan", message: "Approve the plan before implementation?" } };
      default:
        return {};
    }
  }

  #createConversation(platformId: string, codebaseId: string | null, worker?: Run): Conversation {
    const conversation = { id: randomUUID(), platformId, codebaseId, messages: [], worker, last: undefined };
    this.#conversations.set(platformId, conversation);
    return conversation;
  }

  /** Six characters of base 36, as in Archon's conversation ids. */
  #suffix(): string {
    let text = "";
    for (let index = 0; index < 6; index++) text += Math.floor(this.#random() * 36).toString(36);
    return text;
  }

  #draw(duration: Duration): number {
    if (typeof duration === "number") return duration;
    return Math.round(duration[0] + this.#random() * (duration[1] - duration[0]));
  }
}

/** The conversation a run runs in: its worker's, or its parent for an interactive run. */
function homeOf(run: Run): Conversation {
  return run.worker ?? run.parent;
}

function newMessage(role: Message["role"], content: string, metadata: string, createdAtMs: number): Message {
  return { id: randomUUID(), role, content, metadata, createdAtMs };
}

function messageJson(message: Message, conversation: Conversation) {
  const { createdAtMs, ...fields } = message;
  return { ...fields, conversation_id: conversation.id, created_at: sqlTime(createdAtMs) };
}

/** Archon's timestamps: `2026-11-29 15:09:32` (UTC). */
function sqlTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

function readObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
