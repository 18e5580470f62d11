/**
 * The Archon routes of the fake backend (examples/fake-backend.ts), following
 * what the real Archon server does, as observed on a running one:
 *
 * - `POST /api/conversations` `{codebaseId?}` -> 200 `{conversationId: "web-<ms>-<6 chars>", id}`.
 * - `POST /api/workflows/:name/run` `{conversationId, message}` -> 200
 *   `{accepted: true, status: "started"}` (`"queued-conversation"` when an
 *   interactive run of that conversation is still going), with no run id, no
 *   Location and no authentication; 400 `{error: "conversationId: Required"}`
 *   without a conversation. An unknown workflow or a made-up conversation is
 *   answered 200 too, and nothing runs.
 * - A background workflow (any workflow not marked interactive) runs in a
 *   worker conversation `web-worker-<ms>-<6 chars>`, created some time after
 *   the acknowledgement; a message of the parent names it shortly after:
 *   `GET /api/conversations/:id/messages` is an array of `{id,
 *   conversation_id, role, content, metadata, created_at}` whose `metadata`
 *   is a JSON string, `{"workflowDispatch": {"workerConversationId", "workflowName"}}`.
 * - `GET /api/workflows/runs/by-worker/:conversation` -> 200 `{run: {id,
 *   status, metadata, ...}}`, the newest run that runs in that conversation,
 *   or 404 `{error: "No workflow run found for this worker"}`: always for the
 *   parent of a background run, for a while after the acknowledgement for an
 *   interactive one. Statuses: `pending`, `running`, then `completed`,
 *   `failed` (with `run.metadata.error`, no `run.result`) or `cancelled`;
 *   `paused` is an approval gate (`run.metadata.approval = {nodeId,
 *   message}`) that waits for a person and is not terminal.
 * - `POST /api/workflows/runs/:runId/cancel` -> 200 `{success: true, message:
 *   "Cancelled workflow: <name>"}`; 400 `{error: "Cannot cancel workflow in
 *   '<status>' status"}` once the run has finished; 404 `{error: "Workflow run
 *   not found"}`.
 * - With `outcomes` (Archon 0.9), a run also carries `outcome`: `succeeded`
 *   or `failed` once it has ended, else null; a `completed` run can have
 *   outcome `failed`.
 *
 * Time comes from `now`, and every state is derived from it when asked, so a
 * test that shares a virtual clock with the runner sees exactly what a real
 * server would show at that moment.
 */
import { randomUUID } from "node:crypto";

/** A duration in milliseconds, or a range `[min, max]` that each run draws from. */
export type Duration = number | readonly [number, number];

/** How long Archon takes for each step of a run. */
export interface ArchonTimings {
  /** From the dispatch request to its acknowledgement. */
  readonly ackMs: Duration;
  /** Background: from the acknowledgement to the worker conversation and its `pending` run. */
  readonly workerMs: Duration;
  /** Background: from the worker's creation to the parent's message that names it. */
  readonly dispatchMessageMs: Duration;
  /** Interactive: from the acknowledgement to the run in the parent (by-worker of the parent answers 404 until then). */
  readonly registerMs: Duration;
  /** From `pending` to `running`. */
  readonly pendingMs: Duration;
  /** From `running` to the run's end (`Infinity`: it never ends on its own). */
  readonly runMs: Duration;
}

/** The timings observed on a real Archon server, with a short workflow. */
export const ARCHON_TIMINGS: ArchonTimings = {
  ackMs: [4, 13],
  workerMs: [140, 200],
  dispatchMessageMs: 50,
  registerMs: [90, 170],
  pendingMs: 3,
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
  /** `run.metadata.error` of a failed run. @default "Node 'implement' failed: the model returned no answer" */
  readonly error?: string;
  /** With `outcomes`, the outcome of a `completed` run. @default "succeeded" */
  readonly outcome?: "succeeded" | "failed";
  /** From `running` to the end, replacing `ArchonTimings.runMs`. */
  readonly runMs?: number;
}

/** Workflows as Archon names them; `archon-interactive-prd` is the interactive one. */
export const ARCHON_WORKFLOWS: Readonly<Record<string, FakeWorkflow>> = {
  "archon-assist": {},
  "archon-fix-github-issue": {},
  "archon-interactive-prd": { interactive: true },
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
  /** Runs carry `outcome` beside `status`, as Archon 0.9's do. @default false */
  readonly outcomes?: boolean;
}

/** A run as a test sees it, at the time it asks. */
export interface FakeArchonRun {
  readonly id: string;
  readonly workflowName: string;
  readonly interactive: boolean;
  /** The conversation it runs in: the worker's, or the parent's for an interactive run. */
  readonly conversationId: string;
  readonly parentConversationId: string;
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
  readonly createdAtMs: number;
  readonly messages: Message[];
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
  readonly home: Conversation;
  readonly ackAtMs: number;
  /** Time from the acknowledgement to the run's registration (when nothing is ahead of it). */
  readonly registerMs: number;
  readonly pendingMs: number;
  readonly runMs: number;
  /** The interactive run of the same conversation it waits for. */
  readonly after: Run | undefined;
  cancelledAtMs: number | undefined;
}

const NOT_FOUND_RUN = { error: "No workflow run found for this worker" };
const TERMINAL = new Set(["completed", "failed", "cancelled"]);

/** Archon's state and its answers, as functions of the time. */
export class FakeArchon {
  readonly #timings: ArchonTimings;
  readonly #workflows: Readonly<Record<string, FakeWorkflow>>;
  readonly #ending: ArchonEnding;
  readonly #outcomes: boolean;
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
    this.#outcomes = options.outcomes ?? false;
    this.#now = now;
    this.#random = random;
  }

  /** Every run dispatched so far, in dispatch order, as it is now. */
  runs(): FakeArchonRun[] {
    const now = this.#now();
    return this.#runs.map((run) => ({
      id: run.id,
      workflowName: run.workflowName,
      interactive: run.workflow.interactive === true,
      conversationId: run.home.platformId,
      parentConversationId: run.parent.platformId,
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
      const conversation = this.#createConversation(`web-${now}-${this.#suffix()}`, now);
      return { status: 200, json: { conversationId: conversation.platformId, id: conversation.id } };
    }
    if (method === "GET" && (match = /^\/api\/conversations\/([^/]+)\/messages$/.exec(path))) {
      const conversation = this.#conversations.get(decodeURIComponent(match[1]!));
      const shown = conversation?.messages.filter((message) => message.createdAtMs <= now) ?? [];
      const messages = shown.sort((a, b) => a.createdAtMs - b.createdAtMs);
      return { status: 200, json: messages.map((message) => messageJson(message, conversation!)) };
    }
    if (method === "POST" && (match = /^\/api\/workflows\/([^/]+)\/run$/.exec(path))) {
      return this.#dispatch(decodeURIComponent(match[1]!), body, now);
    }
    if (method === "GET" && (match = /^\/api\/workflows\/runs\/by-worker\/([^/]+)$/.exec(path))) {
      const run = this.#newestRunIn(decodeURIComponent(match[1]!), now);
      return run === undefined ? { status: 404, json: NOT_FOUND_RUN } : { status: 200, json: { run: this.#runJson(run, now) } };
    }
    if (method === "POST" && (match = /^\/api\/workflows\/runs\/([^/]+)\/cancel$/.exec(path))) {
      return this.#cancel(decodeURIComponent(match[1]!), now);
    }
    return undefined;
  }

  #dispatch(workflowName: string, body: string, now: number): FakeAnswer {
    const fields = readObject(body);
    const conversationId = fields?.conversationId;
    if (typeof conversationId !== "string" || conversationId.length === 0) {
      return { status: 400, json: { error: "conversationId: Required" }, delayMs: this.#draw(this.#timings.ackMs) };
    }
    const message = typeof fields?.message === "string" ? fields.message : "";
    const ack = (status: string): FakeAnswer => ({ status: 200, json: { accepted: true, status }, delayMs: this.#draw(this.#timings.ackMs) });
    const parent = this.#conversations.get(conversationId);
    // Archon acknowledges a made-up conversation too; the error is only a chat message, and nothing runs.
    if (parent === undefined) return ack("started");
    parent.messages.push(newMessage("user", message, "{}", now));
    const workflow = this.#workflows[workflowName];
    if (workflow === undefined) {
      parent.messages.push(newMessage("assistant", `Workflow not found: ${workflowName}`, "{}", now));
      return ack("started");
    }
    const interactive = workflow.interactive === true;
    const before = interactive ? this.#newestRunIn(parent.platformId, Infinity) : undefined;
    const after = before !== undefined && this.#finishedAt(before) > now ? before : undefined;
    const registerMs = this.#draw(interactive ? this.#timings.registerMs : this.#timings.workerMs);
    let home = parent;
    if (!interactive) {
      home = this.#createConversation(`web-worker-${now + registerMs}-${this.#suffix()}`, now + registerMs);
      const dispatch = JSON.stringify({ workflowDispatch: { workerConversationId: home.platformId, workflowName } });
      const at = now + registerMs + this.#draw(this.#timings.dispatchMessageMs);
      parent.messages.push(newMessage("assistant", `Dispatched ${workflowName} to a background worker`, dispatch, at));
    }
    this.#runs.push({
      id: randomUUID(),
      workflowName,
      workflow,
      userMessage: message,
      parent,
      home,
      ackAtMs: now,
      registerMs,
      pendingMs: this.#draw(this.#timings.pendingMs),
      runMs: workflow.runMs ?? this.#draw(this.#timings.runMs),
      after,
      cancelledAtMs: undefined,
    });
    return ack(after === undefined ? "started" : "queued-conversation");
  }

  #cancel(runId: string, now: number): FakeAnswer {
    const run = this.#runs.find((candidate) => candidate.id === runId);
    const status = run === undefined ? undefined : this.#statusAt(run, now);
    if (run === undefined || status === undefined) return { status: 404, json: { error: "Workflow run not found" } };
    if (TERMINAL.has(status)) return { status: 400, json: { error: `Cannot cancel workflow in '${status}' status` } };
    run.cancelledAtMs = now;
    return { status: 200, json: { success: true, message: `Cancelled workflow: ${run.workflowName}` } };
  }

  /** The run that by-worker shows for a conversation: the newest one registered there by `now`. */
  #newestRunIn(platformId: string, now: number): Run | undefined {
    let newest: Run | undefined;
    for (const run of this.#runs) {
      if (run.home.platformId !== platformId || this.#registeredAt(run) > now) continue;
      if (newest === undefined || this.#registeredAt(run) >= this.#registeredAt(newest)) newest = run;
    }
    return newest;
  }

  #registeredAt(run: Run): number {
    const own = run.ackAtMs + run.registerMs;
    return run.after === undefined ? own : Math.max(own, this.#finishedAt(run.after));
  }

  #endsAt(run: Run): number {
    return this.#registeredAt(run) + run.pendingMs + run.runMs;
  }

  /** When the run reached a terminal status; Infinity while it is going or paused. */
  #finishedAt(run: Run): number {
    const ending = run.workflow.ending ?? this.#ending;
    const ended = ending === "paused" ? Infinity : this.#endsAt(run);
    return Math.min(ended, run.cancelledAtMs ?? Infinity);
  }

  #statusAt(run: Run, now: number): string | undefined {
    const registeredAt = this.#registeredAt(run);
    if (now < registeredAt) return undefined;
    if (run.cancelledAtMs !== undefined && now >= run.cancelledAtMs) return "cancelled";
    if (now < registeredAt + run.pendingMs) return "pending";
    if (now < this.#endsAt(run)) return "running";
    return run.workflow.ending ?? this.#ending;
  }

  #runJson(run: Run, now: number) {
    const status = this.#statusAt(run, now)!;
    const finishedAt = this.#finishedAt(run);
    const metadata =
      status === "failed"
        ? { error: run.workflow.error ?? "Node 'implement' failed: the model returned no answer" }
        : status === "paused"
          ? { approval: { nodeId: "review-plan", message: "Approve the plan before implementation?" } }
          : {};
    return {
      id: run.id,
      workflow_name: run.workflowName,
      conversation_id: run.home.id,
      parent_conversation_id: run.home === run.parent ? null : run.parent.id,
      codebase_id: null,
      status,
      ...(this.#outcomes ? { outcome: outcomeOf(run, status) } : {}),
      user_message: run.userMessage,
      metadata,
      started_at: sqlTime(this.#registeredAt(run)),
      completed_at: finishedAt <= now ? sqlTime(finishedAt) : null,
      last_activity_at: sqlTime(Math.min(now, finishedAt)),
    };
  }

  #createConversation(platformId: string, createdAtMs: number): Conversation {
    const conversation = { id: randomUUID(), platformId, createdAtMs, messages: [] };
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

/** Archon 0.9's `outcome`: how an ended run went; null while it goes, and for a cancelled run. */
function outcomeOf(run: Run, status: string): "succeeded" | "failed" | null {
  if (status === "completed") return run.workflow.outcome ?? "succeeded";
  return status === "failed" ? "failed" : null;
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
