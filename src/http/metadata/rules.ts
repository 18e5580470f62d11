import { LOOKUP_PLACEHOLDER, RUN_ID_PLACEHOLDER } from "../placeholders.js";
import { isJsonObject, jsonKind, quote } from "./codecs.js";
import type { RuleContext } from "./cross-key.js";
import { httpUrlProblem, invocationIdPlaceProblem, withSampleInvocationId } from "./template-codecs.js";
import { DEFAULT_SUCCESS_STATES, type AsyncMetadata, type RequestMetadata } from "./keys.js";
import { checkLookup } from "./lookup-rules.js";
import { checkKickoffRetries, checkProtocol } from "./protocol-rules.js";

/** `http.body` against `http.method` and `http.body_format`. */
export function checkBody(metadata: RequestMetadata, rule: RuleContext): void {
  const body = metadata["http.body"];
  if (!rule.valid("http.body") || body === undefined) return;
  const method = metadata["http.method"];
  if (rule.valid("http.method") && (method === "GET" || method === "HEAD")) {
    rule.report("http.body", `must not be set when http.method is ${method}, which sends no body`);
  }
  if (rule.valid("http.body_format") && metadata["http.body_format"] === "form") {
    const problem = formProblem(body.value);
    if (problem !== undefined) rule.report("http.body", problem);
  }
}

/** Why a JSON value cannot be sent as a form, or undefined. */
function formProblem(value: unknown): string | undefined {
  const expected = "must be a JSON object of string, number or boolean values when http.body_format is form";
  if (!isJsonObject(value)) return `${expected}, got ${jsonKind(value)}`;
  for (const [name, item] of Object.entries(value)) {
    if (!isFormValue(item)) return `${expected}, but ${quote(name)} is ${jsonKind(item)}`;
  }
  return undefined;
}

function isFormValue(value: unknown): value is string | number | boolean {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean";
}

const TEMPLATE_KEYS = ["http.poll_url_template", "http.cancel_url_template", "http.run_lookup_url"] as const;

/** Templates: `{run_id}` needs a run id path, and each must resolve against `http.url` to a URL we may request. */
function checkTemplates(metadata: AsyncMetadata, rule: RuleContext): void {
  // A run resolves its templates against its own http.url, its invocation id filled in.
  const base = rule.valid("http.url") ? new URL(withSampleInvocationId(metadata["http.url"])) : undefined;
  const usingRunId: string[] = [];
  for (const key of TEMPLATE_KEYS) {
    const template = metadata[key];
    if (!rule.valid(key) || template === undefined) continue;
    if (template.includes(RUN_ID_PLACEHOLDER)) usingRunId.push(key);
    const problem = templateProblem(template, base);
    if (problem !== undefined) rule.report(key, problem);
  }
  if (usingRunId.length > 0 && rule.valid("http.poll_run_id_path") && metadata["http.poll_run_id_path"] === undefined) {
    const verb = usingRunId.length === 1 ? "uses" : "use";
    rule.report("http.poll_run_id_path", `is required when ${usingRunId.join(" and ")} ${verb} ${RUN_ID_PLACEHOLDER}`);
  }
}

/**
 * Expands the placeholders with samples and resolves the template; without a valid base only absolute templates are
 * checked. `{invocation_id}` may not choose the origin.
 */
function templateProblem(template: string, base: URL | undefined): string | undefined {
  const withRun = template.replaceAll(RUN_ID_PLACEHOLDER, "run-1").replaceAll(LOOKUP_PLACEHOLDER, "found-1");
  let url: URL;
  try {
    url = new URL(withSampleInvocationId(withRun), base);
  } catch {
    return base === undefined ? undefined : "must be a URL or a path relative to http.url, got text that is not one";
  }
  const problem = httpUrlProblem(url);
  if (problem !== undefined) return `must resolve to ${problem}`;
  const placeProblem = invocationIdPlaceProblem(withRun, base);
  return placeProblem === undefined ? undefined : `must ${placeProblem}`;
}

/** Settings that need another to mean anything: the owner value and the exit code format their paths, cancelling on failure a cancel URL. */
function checkCompanions(metadata: AsyncMetadata, rule: RuleContext): void {
  const exitCodeKeysValid = rule.valid("http.exit_code_path") && rule.valid("http.exit_code_format");
  if (exitCodeKeysValid && metadata["http.exit_code_format"] !== undefined && metadata["http.exit_code_path"] === undefined) {
    rule.report("http.exit_code_format", "is only read with http.exit_code_path: set http.exit_code_path to the dotted path of the job's exit code");
  }
  const ownerKeysValid = rule.valid("http.run_owner_path") && rule.valid("http.run_owner_value");
  if (ownerKeysValid && metadata["http.run_owner_value"] !== undefined && metadata["http.run_owner_path"] === undefined) {
    rule.report("http.run_owner_value", "is only read with http.run_owner_path: set http.run_owner_path to the dotted path of the value that must contain it");
  }
  const cancelKeysValid = rule.valid("http.cancel_on_failure") && rule.valid("http.cancel_url_template");
  if (cancelKeysValid && metadata["http.cancel_on_failure"] && metadata["http.cancel_url_template"] === undefined) {
    rule.report("http.cancel_on_failure", "is true, but there is no cancel request to send: set http.cancel_url_template");
  }
}

function quoteAll(states: readonly string[]): string {
  return states.map(quote).join(", ");
}

/**
 * Success, cancelled and timed-out states against the terminal ones, and
 * against each other. With `http.poll_outcome_path`, a terminal run's outcome
 * decides, so these states are outcome words, not terminal states: the success
 * states must be given, since no default fits every backend's words.
 */
function checkStates(metadata: AsyncMetadata, rule: RuleContext): void {
  const given = metadata["http.poll_terminal_states"];
  if (metadata["http.poll_outcome_path"] !== undefined) {
    if (rule.valid("http.poll_success_states") && metadata["http.poll_success_states"] === undefined) {
      rule.report(
        "http.poll_success_states",
        "is required with http.poll_outcome_path: set it to the outcomes that mean success (and the states that do when a run has no outcome)",
      );
    }
    const outcomes = rule.valid("http.poll_success_states") ? metadata["http.poll_success_states"] : undefined;
    checkTimedOutStates(metadata, rule, () => [], outcomes);
    return;
  }
  if (!rule.valid("http.poll_terminal_states") || given === undefined) return;
  const terminal = new Set(given);
  const notTerminal = (states: readonly string[]) => states.filter((state) => !terminal.has(state));
  const success = checkSuccessStates(metadata, rule, notTerminal);
  checkTimedOutStates(metadata, rule, notTerminal, success);
  const cancelled = metadata["http.poll_cancelled_states"];
  if (!rule.valid("http.poll_cancelled_states") || cancelled === undefined) return;
  if (notTerminal(cancelled).length > 0) {
    rule.report("http.poll_cancelled_states", `must list only states of http.poll_terminal_states, got ${quoteAll(notTerminal(cancelled))}`);
  }
  const shared = cancelled.filter((state) => success?.includes(state));
  if (shared.length > 0) {
    rule.report("http.poll_cancelled_states", `must not share states with http.poll_success_states, got ${quoteAll(shared)}`);
  }
}

/**
 * The timed-out states: terminal states (`notTerminal` finds none outside them with an outcome path), and neither
 * success states (`success`, when they are right) nor given cancelled states (the default ones leave them out).
 */
function checkTimedOutStates(
  metadata: AsyncMetadata,
  rule: RuleContext,
  notTerminal: (states: readonly string[]) => string[],
  success: readonly string[] | undefined,
): void {
  const timedOut = metadata["http.poll_timed_out_states"];
  if (!rule.valid("http.poll_timed_out_states") || timedOut === undefined) return;
  const key = "http.poll_timed_out_states";
  if (notTerminal(timedOut).length > 0) {
    rule.report(key, `must list only states of http.poll_terminal_states, got ${quoteAll(notTerminal(timedOut))}`);
  }
  const cancelled = rule.valid("http.poll_cancelled_states") ? metadata["http.poll_cancelled_states"] : undefined;
  for (const [other, states] of [["http.poll_success_states", success], ["http.poll_cancelled_states", cancelled]] as const) {
    const shared = timedOut.filter((state) => states?.includes(state));
    if (shared.length > 0) rule.report(key, `must not share states with ${other}, got ${quoteAll(shared)}`);
  }
}

/** Checks the success states (given, or the default) and returns them, or undefined when they are wrong. */
function checkSuccessStates(
  metadata: AsyncMetadata,
  rule: RuleContext,
  notTerminal: (states: readonly string[]) => string[],
): readonly string[] | undefined {
  if (!rule.valid("http.poll_success_states")) return undefined;
  const given = metadata["http.poll_success_states"];
  const outside = notTerminal(given ?? DEFAULT_SUCCESS_STATES);
  if (outside.length === 0) return given ?? DEFAULT_SUCCESS_STATES;
  if (given === undefined) {
    // Otherwise every terminal state would silently mean failure.
    const why = `http.poll_terminal_states does not include ${quoteAll(outside)} (the default)`;
    rule.report("http.poll_success_states", `is required because ${why}; set it to the terminal states that mean success`);
  } else {
    rule.report("http.poll_success_states", `must list only states of http.poll_terminal_states, got ${quoteAll(outside)}`);
  }
  return undefined;
}

/** The cross-key rules of AsyncHttpRunner's metadata: body, protocol, kickoff retries, templates, companion keys, states, interval cap. */
export function checkAsync(metadata: AsyncMetadata, rule: RuleContext): void {
  checkBody(metadata, rule);
  checkProtocol(metadata, rule);
  checkKickoffRetries(metadata, rule);
  checkTemplates(metadata, rule);
  checkCompanions(metadata, rule);
  if (metadata["http.poll_protocol"] !== "lro") {
    checkLookup(metadata, rule);
    checkStates(metadata, rule);
  }
  const interval = metadata["http.poll_interval_seconds"];
  const cap = metadata["http.poll_max_interval_seconds"];
  if (rule.valid("http.poll_interval_seconds") && rule.valid("http.poll_max_interval_seconds") && cap !== undefined && cap < interval) {
    rule.report("http.poll_max_interval_seconds", `must be at least http.poll_interval_seconds (${interval}), got '${cap}'`);
  }
}
