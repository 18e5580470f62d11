import { describe, expect, it } from "vitest";
import { chooseProgressMode, createProgress, useColor, type ProgressMode } from "../../src/cli/progress.js";
import { LiveProgress, REDRAW_MS } from "../../src/cli/progress-live.js";
import { describeOutcome, formatDuration } from "../../src/cli/progress-text.js";
import { buildResult, type RuntimeResult } from "../../src/contracts/result.js";
import type { RunEvent } from "../../src/runners/runner.js";

const START = { invocationId: "job-1", runtimeName: "engine", runtimeKind: "http_async", target: "POST http://127.0.0.1:8080/runs" };
const IDENTITY = { invocation_id: "job-1", runtime_name: "engine", runtime_kind: "http_async" };
const noRedact = (text: string) => text;

function fakeStream(options: { isTTY?: boolean; columns?: number } = {}) {
  const chunks: string[] = [];
  return { write: (text: string) => chunks.push(text), ...options, chunks, text: () => chunks.join("") };
}

function succeeded(metadata: Record<string, string> = {}): RuntimeResult {
  return buildResult(IDENTITY, { status: "succeeded" }, { exitCode: 0, metadata });
}

/** A clock that moves only when told, and a spinner schedule that ticks only when told. */
function fakeTime() {
  let nowMs = 1_000_000;
  let tick: (() => void) | undefined;
  let stopped = false;
  return {
    now: () => nowMs,
    advance: (ms: number) => (nowMs += ms),
    /** Moves the clock to `ms` after its start. */
    at: (ms: number) => (nowMs = 1_000_000 + ms),
    schedule: (callback: () => void) => {
      tick = callback;
      return () => (stopped = true);
    },
    tick: () => tick?.(),
    stopped: () => stopped,
  };
}

function event(fields: Record<string, unknown>): RunEvent {
  return { elapsedMs: 0, ...fields } as unknown as RunEvent;
}

/** Tells `progress` of each event at its `elapsedMs`, on the clock it shares with the runner, as in the command. */
function deliver(progress: { event(event: RunEvent): void }, time: ReturnType<typeof fakeTime>, events: readonly RunEvent[]): void {
  for (const item of events) {
    time.at(item.elapsedMs);
    progress.event(item);
  }
}

describe(LiveProgress.name, () => {
  it("redraws one line in place with spinner, phase, poll count, last status and elapsed time", () => {
    const stream = fakeStream({ isTTY: true });
    const time = fakeTime();
    const progress = new LiveProgress(stream, { redact: noRedact, now: time.now, schedule: time.schedule });
    progress.start(START);
    time.advance(500);
    progress.event(event({ type: "poll", attempt: 3, httpStatus: 200, status: "running" }));
    expect(stream.chunks[0]).toBe("run job-1 (http_async, engine): POST http://127.0.0.1:8080/runs\n");
    expect(stream.chunks.at(-1)).toBe("\r\x1b[2K⠋ polling · poll 3 · running · 0.50s");
  });

  it("counts down a wait and names a Retry-After", () => {
    const stream = fakeStream({ isTTY: true });
    const time = fakeTime();
    const progress = new LiveProgress(stream, { redact: noRedact, now: time.now, schedule: time.schedule });
    progress.start(START);
    progress.event(event({ type: "poll", attempt: 1, httpStatus: 429 }));
    progress.event(event({ type: "retry", attempt: 1, error: "HTTP 429" }));
    progress.event(event({ type: "wait", delayMs: 1000, source: "retry-after" }));
    time.advance(400);
    expect(progress.line()).toBe("⠋ waiting (Retry-After): next poll in 0.60s · poll 1 · HTTP 429 (retrying) · 0.40s");
    time.advance(600);
    expect(progress.line()).toBe("⠋ polling · poll 1 · HTTP 429 (retrying) · 1.00s");
  });

  it("shows a pending answer by its HTTP code", () => {
    const time = fakeTime();
    const progress = new LiveProgress(fakeStream({ isTTY: true }), { redact: noRedact, now: time.now, schedule: time.schedule });
    progress.start(START);
    progress.event(event({ type: "poll", attempt: 2, httpStatus: 404 }));
    progress.event(event({ type: "pending", attempt: 2, httpStatus: 404 }));
    expect(progress.line()).toBe("⠋ polling · poll 2 · HTTP 404 (pending) · 0.00s");
  });

  it(`redraws for events at most once per ${REDRAW_MS} ms, and on every spinner tick`, () => {
    const stream = fakeStream({ isTTY: true });
    const time = fakeTime();
    const progress = new LiveProgress(stream, { redact: noRedact, now: time.now, schedule: time.schedule });
    progress.start(START);
    const drawsAfterStart = stream.chunks.length;
    progress.event(event({ type: "kickoff", httpStatus: 202 }));
    progress.event(event({ type: "accepted", checkpoint: { version: 1, pollUrl: "http://x/", acceptedAt: "" } }));
    expect(stream.chunks.length).toBe(drawsAfterStart);
    time.advance(REDRAW_MS);
    time.tick();
    expect(stream.chunks.at(-1)).toBe("\r\x1b[2K⠙ accepted · HTTP 202 · 0.08s");
  });

  it("ends with one outcome line and stops the spinner", () => {
    const stream = fakeStream({ isTTY: true });
    const time = fakeTime();
    const progress = new LiveProgress(stream, { redact: noRedact, now: time.now, schedule: time.schedule });
    progress.start(START);
    time.advance(1420);
    progress.finish(succeeded({ "http.polls": "6", "http.last_status": "completed", "http.status_code": "200" }));
    expect(stream.chunks.at(-1)).toBe('\r\x1b[2K✔ succeeded in 1.42s (6 polls, last status "completed", HTTP 200)\n');
    expect(time.stopped()).toBe(true);
  });

  it("cuts the line to the terminal width, so a redraw never wraps", () => {
    const stream = fakeStream({ isTTY: true, columns: 20 });
    const time = fakeTime();
    const progress = new LiveProgress(stream, { redact: noRedact, now: time.now, schedule: time.schedule });
    progress.start(START);
    expect(stream.chunks.at(-1)).toBe("\r\x1b[2K⠋ kickoff · 0.00s");
    time.advance(REDRAW_MS);
    progress.event(event({ type: "poll", attempt: 12, httpStatus: 200, status: "waiting-for-approval" }));
    expect(stream.chunks.at(-1)).toBe("\r\x1b[2K⠋ polling · poll 1…");
  });

  it("prints the interrupt note on a line of its own and shows the run as cancelling", () => {
    const stream = fakeStream({ isTTY: true });
    const time = fakeTime();
    const progress = new LiveProgress(stream, { redact: noRedact, now: time.now, schedule: time.schedule });
    progress.start(START);
    progress.event(event({ type: "wait", delayMs: 5000, source: "interval" }));
    progress.interrupt("received SIGINT: cancelling the run");
    expect(stream.text()).toContain("\r\x1b[2Kreceived SIGINT: cancelling the run\n");
    expect(progress.line()).toBe("⠋ cancelling · 0.00s");
  });

  it("colors the outcome mark when asked", () => {
    const stream = fakeStream({ isTTY: true });
    const time = fakeTime();
    const progress = new LiveProgress(stream, { redact: noRedact, now: time.now, schedule: time.schedule, color: true });
    progress.start(START);
    progress.finish(buildResult(IDENTITY, { status: "failed", summary: "boom" }));
    expect(stream.chunks.at(-1)).toBe("\r\x1b[2K\x1b[31m✖\x1b[39m failed in 0.00s: boom\n");
  });
});

describe(createProgress.name, () => {
  const events: RunEvent[] = [
    event({ type: "kickoff", httpStatus: 202, elapsedMs: 12 }),
    event({ type: "accepted", elapsedMs: 12, checkpoint: { version: 1, pollUrl: "http://h/runs/1?token=abc", runId: "1", acceptedAt: "" } }),
    event({ type: "wait", delayMs: 200, source: "interval", elapsedMs: 12 }),
    event({ type: "poll", attempt: 1, httpStatus: 200, status: "completed", elapsedMs: 230 }),
    event({ type: "terminal", status: "completed", outcome: "succeeded", elapsedMs: 230 }),
  ];
  const redact = (text: string) => text.replace("abc", "[REDACTED]");

  function replay(mode: ProgressMode) {
    const stream = fakeStream();
    const time = fakeTime();
    const progress = createProgress(mode, stream, { redact, now: time.now });
    progress.start(START);
    deliver(progress, time, events);
    time.at(231);
    progress.finish(succeeded({ "http.polls": "1" }), 0);
    return stream.text();
  }

  it("writes one plain line per event, with the elapsed time", () => {
    expect(replay("lines")).toBe(
      [
        "run job-1 (http_async, engine): POST http://127.0.0.1:8080/runs",
        "[  0.01s] kickoff answered HTTP 202",
        "[  0.01s] accepted, run id 1; status URL http://h/runs/1?token=[REDACTED]",
        "[  0.01s] waiting 0.20s",
        '[  0.23s] poll 1 answered HTTP 200, status "completed"',
        '[  0.23s] backend status "completed" is terminal: succeeded',
        "[  0.23s] succeeded in 0.23s (1 poll)",
        "",
      ].join("\n"),
    );
  });

  it("writes one JSON object per event, without the checkpoint's secret poll URL", () => {
    const lines = replay("json").trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line.type)).toEqual(["start", "kickoff", "accepted", "wait", "poll", "terminal", "result"]);
    expect(lines[2]).toEqual({ time: expect.any(String), invocationId: "job-1", type: "accepted", elapsedMs: 12, runId: "1", pollUrl: "http://h/runs/1?token=[REDACTED]" });
    expect(lines[6]).toEqual({
      time: expect.any(String),
      invocationId: "job-1",
      type: "result",
      elapsedMs: 231,
      status: "succeeded",
      failureKind: null,
      backendJob: null,
      exitCode: 0,
      commandExitCode: 0,
      errorSummary: null,
    });
  });

  /** The `result` object the JSON progress writes for `result` and the command's `exitCode`. */
  function resultObject(result: RuntimeResult, exitCode: number): Record<string, unknown> {
    const stream = fakeStream();
    createProgress("json", stream, { redact, now: fakeTime().now }).finish(result, exitCode);
    return JSON.parse(stream.text()) as Record<string, unknown>;
  }

  it("gives the result's failure kind and what became of the backend job in the JSON result", () => {
    const result = buildResult(IDENTITY, { status: "timed_out", summary: "timed out after 3 s" }, {
      metadata: { failure_kind: "deadline", "http.backend_job": "may_still_run" },
    });
    expect(resultObject(result, 124)).toMatchObject({
      status: "timed_out",
      failureKind: "deadline",
      backendJob: "may_still_run",
      exitCode: null,
      commandExitCode: 124,
      errorSummary: "timed out after 3 s",
    });
  });

  it("tells the result's own exit code from the command's in the JSON result", () => {
    const failed = buildResult({ ...IDENTITY, runtime_kind: "subprocess" }, { status: "failed", summary: "exited with code 3" }, { exitCode: 3 });
    expect(resultObject(failed, 1)).toMatchObject({ status: "failed", exitCode: 3, commandExitCode: 1, backendJob: null });
  });

  it("names the result's invocation in the JSON result when the run never started", () => {
    const rejected = buildResult({ invocation_id: "x", runtime_name: "unknown", runtime_kind: "unknown" }, { status: "rejected", summary: "invalid invocation" });
    expect(resultObject(rejected, 2)).toMatchObject({ invocationId: "x", type: "result", status: "rejected" });
  });

  it("writes nothing when quiet", () => {
    expect(replay("quiet")).toBe("");
  });
});

describe("progress of a kickoff sent again", () => {
  it("names the retries of the kickoff as kickoff attempts, not polls", () => {
    const stream = fakeStream();
    const progress = createProgress("lines", stream, { redact: noRedact, now: fakeTime().now });
    progress.start(START);
    progress.event(event({ type: "retry", attempt: 1, error: "connection reset" }));
    progress.event(event({ type: "kickoff", httpStatus: 503 }));
    progress.event(event({ type: "retry", attempt: 2, error: "HTTP 503" }));
    progress.event(event({ type: "kickoff", httpStatus: 202 }));
    progress.event(event({ type: "pending", attempt: 1, httpStatus: 404 }));
    expect(stream.text().split("\n").slice(1, -1).map((line) => line.slice(10))).toEqual([
      "kickoff attempt 1 failed, will retry: connection reset",
      "kickoff answered HTTP 503",
      "kickoff attempt 2 failed, will retry: HTTP 503",
      "kickoff answered HTTP 202",
      "poll 1: HTTP 404 means not ready yet (http.poll_pending_codes)",
    ]);
  });

  it("counts down to the next kickoff attempt on the live line", () => {
    const time = fakeTime();
    const progress = new LiveProgress(fakeStream({ isTTY: true }), { redact: noRedact, now: time.now, schedule: time.schedule });
    progress.start(START);
    progress.event(event({ type: "kickoff", httpStatus: 503 }));
    progress.event(event({ type: "retry", attempt: 1, error: "HTTP 503" }));
    progress.event(event({ type: "wait", delayMs: 1000, source: "interval" }));
    time.advance(400);
    expect(progress.line()).toBe("⠋ waiting: next kickoff attempt in 0.60s · HTTP 503 (retrying) · 0.40s");
    time.advance(600);
    expect(progress.line()).toBe("⠋ kickoff · HTTP 503 (retrying) · 1.00s");
  });
});

describe("progress of a run found by lookup", () => {
  const LOOKUP_START = { ...START, lookup: "GET http://h/api/conversations/web-1/messages?token=abc" };
  const redact = (text: string) => text.replace("abc", "[REDACTED]");
  const events: RunEvent[] = [
    event({ type: "kickoff", httpStatus: 200, elapsedMs: 10 }),
    event({ type: "wait", delayMs: 1000, source: "interval", elapsedMs: 10 }),
    event({ type: "pending", attempt: 2, httpStatus: 404, elapsedMs: 1010 }),
    event({ type: "wait", delayMs: 1000, source: "interval", elapsedMs: 1010 }),
    event({ type: "accepted", elapsedMs: 2010, checkpoint: { version: 1, pollUrl: "http://h/by-worker/web-worker-1", lookup: "web-worker-1", acceptedAt: "" } }),
    event({ type: "pending", attempt: 1, httpStatus: 404, elapsedMs: 2020 }),
  ];

  it("says where the run is looked up, names lookups as such, and what the lookup found", () => {
    const stream = fakeStream();
    const time = fakeTime();
    const progress = createProgress("lines", stream, { redact, now: time.now });
    progress.start(LOOKUP_START);
    deliver(progress, time, events);
    expect(stream.text().split("\n").slice(1, -1)).toEqual([
      "[  0.01s] kickoff answered HTTP 200, naming no run: looking it up at GET http://h/api/conversations/web-1/messages?token=[REDACTED]",
      "[  0.01s] waiting 1.00s",
      "[  1.01s] lookup 2: HTTP 404 means not ready yet (http.poll_pending_codes)",
      "[  1.01s] waiting 1.00s",
      "[  2.01s] accepted, run found by lookup: web-worker-1; status URL http://h/by-worker/web-worker-1",
      "[  2.02s] poll 1: HTTP 404 means not ready yet (http.poll_pending_codes)",
    ]);
  });

  it("gives the lookup's find in the JSON accepted event", () => {
    const stream = fakeStream();
    const progress = createProgress("json", stream, { redact, now: fakeTime().now });
    progress.start(LOOKUP_START);
    for (const item of events) progress.event(item);
    const accepted = stream.text().split("\n").map((line) => (line === "" ? {} : (JSON.parse(line) as Record<string, unknown>))).find((line) => line.type === "accepted");
    expect(accepted).toMatchObject({ lookup: "web-worker-1", pollUrl: "http://h/by-worker/web-worker-1" });
  });

  it("shows the live line looking up the run, counting down to the next lookup", () => {
    const time = fakeTime();
    const progress = new LiveProgress(fakeStream({ isTTY: true }), { redact, now: time.now, schedule: time.schedule });
    progress.start(LOOKUP_START);
    progress.event(events[0]!);
    expect(progress.line()).toBe("⠋ looking up the run · HTTP 200 · 0.00s");
    progress.event(events[1]!);
    time.advance(400);
    expect(progress.line()).toBe("⠋ waiting: next lookup in 0.60s · HTTP 200 · 0.40s");
    progress.event(events[4]!);
    progress.event(event({ type: "wait", delayMs: 1000, source: "interval" }));
    expect(progress.line()).toBe("⠋ waiting: next poll in 1.00s · HTTP 200 · 0.40s");
  });

  it("does not speak of a lookup after a kickoff that failed", () => {
    const stream = fakeStream();
    const progress = createProgress("lines", stream, { redact, now: fakeTime().now });
    progress.start(LOOKUP_START);
    progress.event(event({ type: "kickoff", httpStatus: 500 }));
    expect(stream.text()).toContain("] kickoff answered HTTP 500\n");
  });

  it("names the lookup before the kickoff a lookup, its pending answers and retries too", () => {
    const stream = fakeStream();
    const time = fakeTime();
    const progress = createProgress("lines", stream, { redact, now: time.now });
    progress.start(LOOKUP_START);
    deliver(progress, time, [
      event({ type: "retry", attempt: 1, error: "HTTP 503", elapsedMs: 0 }),
      event({ type: "wait", delayMs: 1000, source: "interval", elapsedMs: 0 }),
      event({ type: "pending", attempt: 2, httpStatus: 404, elapsedMs: 1000 }),
      event({ type: "kickoff", httpStatus: 200, elapsedMs: 1010 }),
    ]);
    expect(stream.text().split("\n").slice(1, -1)).toEqual([
      "[  0.00s] lookup 1 failed, will retry: HTTP 503",
      "[  0.00s] waiting 1.00s",
      "[  1.00s] lookup 2: HTTP 404 means not ready yet (http.poll_pending_codes)",
      "[  1.01s] kickoff answered HTTP 200, naming no run: looking it up at GET http://h/api/conversations/web-1/messages?token=[REDACTED]",
    ]);
  });

  it("names a kickoff sent again after the lookup before it a kickoff", () => {
    const stream = fakeStream();
    const progress = createProgress("lines", stream, { redact, now: fakeTime().now });
    progress.start(LOOKUP_START);
    progress.event(event({ type: "pending", attempt: 1, httpStatus: 404 }));
    progress.event(event({ type: "kickoff", httpStatus: 503 }));
    progress.event(event({ type: "retry", attempt: 1, error: "HTTP 503" }));
    progress.event(event({ type: "kickoff", httpStatus: 200 }));
    progress.event(event({ type: "pending", attempt: 2, httpStatus: 404 }));
    expect(stream.text().split("\n").slice(1, -1).map((line) => line.slice(10))).toEqual([
      "lookup 1: HTTP 404 means not ready yet (http.poll_pending_codes)",
      "kickoff answered HTTP 503",
      "kickoff attempt 1 failed, will retry: HTTP 503",
      "kickoff answered HTTP 200, naming no run: looking it up at GET http://h/api/conversations/web-1/messages?token=[REDACTED]",
      "lookup 2: HTTP 404 means not ready yet (http.poll_pending_codes)",
    ]);
  });

  it("counts the lookups in the outcome line", () => {
    const result = succeeded({ "http.lookups": "3", "http.polls": "2", "http.last_status": "completed", "http.status_code": "200" });
    expect(describeOutcome(result, 2040, noRedact)).toBe('succeeded in 2.04s (3 lookups, 2 polls, last status "completed", HTTP 200)');
  });
});

describe("statuses that are HTTP codes", () => {
  /** The plain lines `events` give, without their times. */
  function linesOf(events: readonly RunEvent[]): string[] {
    const stream = fakeStream();
    const progress = createProgress("lines", stream, { redact: noRedact, now: fakeTime().now });
    progress.start(START);
    for (const item of events) progress.event(item);
    return stream.text().split("\n").slice(1, -1).map((line) => line.slice(10));
  }

  it("says a Location monitor's code as an HTTP answer, in the poll and terminal lines", () => {
    expect(linesOf([
      event({ type: "poll", attempt: 1, httpStatus: 202, status: "202" }),
      event({ type: "poll", attempt: 2, httpStatus: 200, status: "200" }),
      event({ type: "terminal", status: "200", outcome: "succeeded" }),
    ])).toEqual(["poll 1 answered HTTP 202", "poll 2 answered HTTP 200", "backend answered HTTP 200: succeeded"]);
  });

  it("says the code of a kickoff that is the final answer as an HTTP answer", () => {
    expect(linesOf([event({ type: "kickoff", httpStatus: 204 }), event({ type: "terminal", status: "204", outcome: "succeeded" })])).toEqual([
      "kickoff answered HTTP 204",
      "backend answered HTTP 204: succeeded",
    ]);
  });

  it.each([
    ["a number other than the answer's code", "500", "failed"],
    ["more than three digits", "2000", "succeeded"],
    ["a word", "completed", "succeeded"],
  ])("keeps a backend's own status as a status when it is %s", (_, status, outcome) => {
    const lines = linesOf([event({ type: "poll", attempt: 1, httpStatus: 200, status }), event({ type: "terminal", status, outcome })]);
    expect(lines).toEqual([`poll 1 answered HTTP 200, status "${status}"`, `backend status "${status}" is terminal: ${outcome}`]);
  });

  it("shows the code as HTTP on the live line", () => {
    const time = fakeTime();
    const progress = new LiveProgress(fakeStream({ isTTY: true }), { redact: noRedact, now: time.now, schedule: time.schedule });
    progress.start(START);
    progress.event(event({ type: "poll", attempt: 1, httpStatus: 202, status: "202" }));
    expect(progress.line()).toBe("⠋ polling · poll 1 · HTTP 202 · 0.00s");
    progress.event(event({ type: "poll", attempt: 2, httpStatus: 200, status: "200" }));
    progress.event(event({ type: "terminal", status: "200", outcome: "succeeded" }));
    expect(progress.line()).toBe("⠋ finishing · poll 2 · HTTP 200 · 0.00s");
  });

  it("leaves the last status out of the outcome line when it is the HTTP code", () => {
    const result = succeeded({ "http.polls": "2", "http.last_status": "200", "http.status_code": "200" });
    expect(describeOutcome(result, 1000, noRedact)).toBe("succeeded in 1.00s (2 polls, HTTP 200)");
  });
});

describe("elapsed times in progress output", () => {
  /** The elapsed time of each line after the first: `3.01s` of `[  3.01s] ...`, or a JSON object's `elapsedMs`. */
  function printedTimes(mode: "lines" | "json", text: string): (string | number)[] {
    const lines = text.trimEnd().split("\n").slice(1);
    if (mode === "json") return lines.map((line) => (JSON.parse(line) as { elapsedMs: number }).elapsedMs);
    return lines.map((line) => /^\[ *(\S+)\]/.exec(line)?.[1] ?? line);
  }

  it("prints an event after the interrupt at the interrupt's time or later, though the runner stamps events from its own later start", () => {
    const cases = { lines: ["3.01s", "3.01s"], json: [3010, 3010] } as const;
    for (const mode of ["lines", "json"] as const) {
      const stream = fakeStream();
      const time = fakeTime();
      const progress = createProgress(mode, stream, { redact: noRedact, now: time.now });
      progress.start(START);
      time.at(3010);
      progress.interrupt("received SIGINT: cancelling the run");
      // The runner started 10 ms after the command: it stamps this instant 3000.
      progress.event(event({ type: "cancel", httpStatus: 202, elapsedMs: 3000 }));
      expect(printedTimes(mode, stream.text())).toEqual(cases[mode]);
    }
  });

  it("never prints an earlier time than the line before, when the wall clock steps back", () => {
    const cases = { lines: ["0.50s", "0.50s", "0.50s"], json: [500, 500, 500] } as const;
    for (const mode of ["lines", "json"] as const) {
      const stream = fakeStream();
      const time = fakeTime();
      const progress = createProgress(mode, stream, { redact: noRedact, now: time.now });
      progress.start(START);
      time.at(500);
      progress.event(event({ type: "poll", attempt: 1, httpStatus: 200, status: "running", elapsedMs: 500 }));
      time.at(300);
      progress.event(event({ type: "wait", delayMs: 1000, source: "interval", elapsedMs: 300 }));
      progress.finish(succeeded(), 0);
      expect(printedTimes(mode, stream.text())).toEqual(cases[mode]);
    }
  });

  it("never shows an earlier time on the live line when the wall clock steps back", () => {
    const time = fakeTime();
    const progress = new LiveProgress(fakeStream({ isTTY: true }), { redact: noRedact, now: time.now, schedule: time.schedule });
    progress.start(START);
    time.at(500);
    expect(progress.line()).toBe("⠋ kickoff · 0.50s");
    time.at(300);
    expect(progress.line()).toBe("⠋ kickoff · 0.50s");
  });
});

describe(chooseProgressMode.name, () => {
  it("picks the live line for a terminal and plain lines otherwise", () => {
    const flags = { quiet: false, jsonEvents: false };
    expect(chooseProgressMode(flags, { write() {}, isTTY: true }, {})).toBe("live");
    expect(chooseProgressMode(flags, { write() {}, isTTY: false }, {})).toBe("lines");
    expect(chooseProgressMode(flags, { write() {}, isTTY: true }, { TERM: "dumb" })).toBe("lines");
  });

  it("lets the flags win over the stream", () => {
    expect(chooseProgressMode({ quiet: true, jsonEvents: false }, { write() {}, isTTY: true }, {})).toBe("quiet");
    expect(chooseProgressMode({ quiet: false, jsonEvents: true }, { write() {}, isTTY: true }, {})).toBe("json");
  });

  it("uses color only on a terminal without NO_COLOR", () => {
    expect(useColor({ write() {}, isTTY: true }, {})).toBe(true);
    expect(useColor({ write() {}, isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(useColor({ write() {}, isTTY: false }, {})).toBe(false);
  });
});

describe(describeOutcome.name, () => {
  it("names the cancel request and the summary of a cancelled run", () => {
    const result = buildResult(IDENTITY, { status: "cancelled", summary: "cancelled by the caller while polling" }, {
      metadata: { "http.polls": "3", "http.last_status": "running", "http.cancel_status": "200" },
    });
    expect(describeOutcome(result, 900, noRedact)).toBe(
      'cancelled in 0.90s (3 polls, last status "running", cancel request HTTP 200): cancelled by the caller while polling',
    );
  });

  it.each([
    ["may_still_run", "backend job may_still_run"],
    ["cancel_failed", "backend job cancel_failed"],
    ["cancelled", "backend job cancelled"],
  ])("says last what became of a backend job that ended %s", (job, fact) => {
    const result = buildResult(IDENTITY, { status: "timed_out", summary: "timed out" }, {
      metadata: { failure_kind: "deadline", "http.polls": "12", "http.status_code": "200", "http.backend_job": job },
    });
    expect(describeOutcome(result, 30_000, noRedact)).toBe(`timed_out in 30.0s (failure_kind deadline, 12 polls, HTTP 200, ${fact}): timed out`);
  });

  it.each(["finished", "not_started"])("leaves a backend job that ended %s unsaid, the status saying it", (job) => {
    const result = buildResult(IDENTITY, { status: "failed", summary: "refused" }, {
      metadata: { failure_kind: "kickoff_refused", "http.status_code": "400", "http.backend_job": job },
    });
    expect(describeOutcome(result, 100, noRedact)).toBe("failed in 0.10s (failure_kind kickoff_refused, HTTP 400): refused");
  });

  it("names no failure kind for a run that succeeded", () => {
    const result = succeeded({ "http.polls": "1", "http.status_code": "200", "http.backend_job": "finished" });
    expect(describeOutcome(result, 100, noRedact)).toBe("succeeded in 0.10s (1 poll, HTTP 200)");
  });

  it("formats durations for people", () => {
    expect([formatDuration(42), formatDuration(12_340), formatDuration(125_000)]).toEqual(["0.04s", "12.3s", "2m05s"]);
  });
});
