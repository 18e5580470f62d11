import { parseInvocation } from "../contracts/invocation.js";
import type { ValidationIssue } from "../contracts/issues.js";
import { createRedactor } from "../http/redact.js";
import type { AsyncHttpConfig, HttpRequestConfig } from "../http/metadata/config.js";
import { configForInvocation, invocationIdProblem } from "../http/metadata/for-invocation.js";
import { parseAsyncHttpMetadata, parseHttpMetadata } from "../http/metadata/parse.js";
import { asyncHttpMetadataWarnings } from "../http/metadata/warnings.js";
import { secretsOf } from "../runners/request-headers.js";
import { EXIT_USAGE } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { formatDuration } from "./progress-text.js";
import { readInvocationInput, STDIN_PATH } from "./read-input.js";
import { CLI_KINDS } from "./run-command.js";
import type { SecretFlag } from "./secret-flags.js";
import { INVOCATION_ID_PLACEHOLDER, LOOKUP_PLACEHOLDER, RUN_ID_PLACEHOLDER, encodeUrlComponent, expandInvocationId } from "../http/placeholders.js";

/** The outcome of checking an invocation: what would run and what may not be meant, or every problem found. */
export type InvocationCheck =
  | { readonly ok: true; readonly kind: string; readonly details: readonly string[]; readonly warnings: readonly ValidationIssue[] }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** Options of `executor-runtime validate`. */
export interface ValidateCommandOptions {
  /**
   * The command's `--secret` flags: the secrets `{secret:NAME}` in
   * `http.headers` may use. A secret the invocation uses and no flag gives,
   * and a flag the invocation does not use, are warnings.
   * @default []
   */
  readonly secrets?: readonly SecretFlag[];
}

/**
 * The core of `executor-runtime validate`: checks the invocation at `path`
 * and its runner's metadata without sending anything. Prints what would run
 * on stdout (the secrets it needs included; and each warning on stderr as
 * `warning: <key>: <message>`) and resolves to 0, or prints every problem on
 * stderr as `<key>: <message>` and resolves to 2.
 */
export async function validateInvocationFile(path: string, io: CliIo, options: ValidateCommandOptions = {}): Promise<number> {
  const reading = await readInvocationInput(path, io);
  if (!reading.ok) {
    io.stderr.write(`executor-runtime: ${reading.message}\n`);
    return EXIT_USAGE;
  }
  const name = path === STDIN_PATH ? "standard input" : path;
  const check = checkInvocation(reading.value, options.secrets ?? []);
  if (!check.ok) {
    for (const issue of check.issues) io.stderr.write(`${issue.path === "" ? "(invocation)" : issue.path}: ${issue.message}\n`);
    const count = check.issues.length === 1 ? "1 problem" : `${check.issues.length} problems`;
    io.stderr.write(`${name}: ${count}; nothing was sent\n`);
    return EXIT_USAGE;
  }
  io.stdout.write(`${name}: a valid ${check.kind} invocation; nothing was sent\n`);
  for (const line of check.details) io.stdout.write(`  ${line}\n`);
  for (const warning of check.warnings) io.stderr.write(`warning: ${warning.path}: ${warning.message}\n`);
  return 0;
}

/**
 * Checks an invocation and the metadata of its kind, collecting every
 * problem: the metadata is checked even when other fields are wrong.
 * `secrets` are the `--secret` flags, checked against the secrets
 * `http.headers` uses.
 */
export function checkInvocation(input: unknown, secrets: readonly SecretFlag[] = []): InvocationCheck {
  const parsed = parseInvocation(input);
  const issues: ValidationIssue[] = parsed.ok ? [] : [...parsed.issues];
  const fields = typeof input === "object" && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  const kind = parsed.ok ? parsed.invocation.runtime_kind : fields.runtime_kind;
  const metadata = parsed.ok ? parsed.invocation.metadata : stringMap(fields.metadata ?? {});
  if (typeof kind !== "string" || kind === "") return { ok: false, issues };
  const invocationId = parsed.ok ? parsed.invocation.invocation_id : undefined;

  let details: string[] = [];
  let warnings: ValidationIssue[] = [];
  let used: readonly string[] = [];
  if (kind === "http_async" && metadata !== undefined) {
    const checked = parseAsyncHttpMetadata(metadata);
    if (checked.ok) {
      details = describeAsync(runConfig(checked.config, invocationId, issues), invocationId);
      warnings = asyncHttpMetadataWarnings(metadata, checked.config);
      used = secretsOf(checked.config);
    } else issues.push(...checked.issues);
  } else if (kind === "http" && metadata !== undefined) {
    const checked = parseHttpMetadata(metadata);
    if (checked.ok) {
      details = [`request   ${describeRequest(runConfig(checked.config, invocationId, issues))}`];
      used = secretsOf(checked.config);
    } else issues.push(...checked.issues);
  } else if (kind === "subprocess") {
    const command = parsed.ok ? parsed.invocation.command : fields.command;
    if (!Array.isArray(command) || command.length === 0) {
      if (parsed.ok || command === undefined) issues.push({ path: "command", message: "must name the program to run and its arguments" });
    } else if (command[0] === "") {
      issues.push({ path: "command[0]", message: "must name the program to run" });
    } else {
      details = [`command   ${command.join(" ")}`, "runs only with --allow-subprocess"];
    }
    if (parsed.ok && parsed.invocation.working_directory === null) {
      issues.push({ path: "working_directory", message: "is required to run a command" });
    }
  } else if (!(CLI_KINDS as readonly string[]).includes(kind)) {
    issues.push({ path: "runtime_kind", message: `is ${JSON.stringify(kind)}, which executor-runtime cannot run (it runs ${CLI_KINDS.join(", ")})` });
  }
  if (issues.length > 0) return { ok: false, issues };
  if (used.length > 0) details.push(describeSecrets(used, secrets));
  if (parsed.ok && parsed.invocation.timeout_seconds !== null) details.push(`timeout   ${parsed.invocation.timeout_seconds}s`);
  return { ok: true, kind, details, warnings: [...warnings, ...secretWarnings(used, secrets)] };
}

/** The secrets `http.headers` uses, each with where its value comes from. */
function describeSecrets(used: readonly string[], flags: readonly SecretFlag[]): string {
  const sources = used.map((name) => {
    const flag = flags.find((candidate) => candidate.name === name);
    return `${name} (${flag === undefined ? "not given with --secret" : `environment variable ${flag.envVar}`})`;
  });
  return `secrets   ${sources.join(", ")}; resolved when each request is built`;
}

/** A secret `http.headers` uses that no `--secret` gives; a `--secret` it does not use. */
function secretWarnings(used: readonly string[], flags: readonly SecretFlag[]): ValidationIssue[] {
  const given = new Set(flags.map((flag) => flag.name));
  const missing = used.filter((name) => !given.has(name)).map((name) => ({
    path: 'metadata["http.headers"]',
    message: `uses {secret:${name}}, which no --secret gives: executor-runtime run rejects the invocation without --secret ${name} (a runner, without ${name} in its secrets option)`,
  }));
  const unused = flags.filter((flag) => !used.includes(flag.name)).map((flag) => ({
    path: `--secret ${flag.name}`,
    message: `http.headers uses no {secret:${flag.name}}`,
  }));
  return [...missing, ...unused];
}

/**
 * The config of this invocation's run, its id filled in; the config as parsed when the id is not known, or cannot
 * fill it (an issue on `invocation_id` then says why).
 */
function runConfig<C extends HttpRequestConfig>(config: C, invocationId: string | undefined, issues: ValidationIssue[]): C {
  if (invocationId === undefined) return config;
  const problem = invocationIdProblem(config, invocationId);
  if (problem === undefined) return configForInvocation(config, invocationId);
  issues.push({ path: "invocation_id", message: problem });
  return config;
}

function describeRequest(config: HttpRequestConfig): string {
  const redact = createRedactor(Object.values(config.headers));
  const headers = Object.keys(config.headers);
  const extras = [
    ...(config.body === undefined ? [] : [`${config.bodyFormat === "json" ? "JSON" : "form"} body`]),
    ...(headers.length === 0 ? [] : [`headers: ${headers.join(", ")}`]),
  ];
  return `${config.method} ${redact(config.urlTemplate ?? config.url.href)}${extras.length === 0 ? "" : ` (${extras.join("; ")})`}`;
}

function describeAsync(config: AsyncHttpConfig, invocationId: string | undefined): string[] {
  const redact = createRedactor(Object.values(config.headers));
  const interval = formatDuration(config.pollIntervalSeconds * 1000);
  const wait = config.pollBackoff === 1 ? interval : `${interval}, x${config.pollBackoff} each time`;
  const cap = config.pollMaxIntervalSeconds === undefined ? "" : `, at most ${formatDuration(config.pollMaxIntervalSeconds * 1000)}`;
  const first = config.pollInitialDelaySeconds === 0 ? "first poll at once" : `first poll after ${formatDuration(config.pollInitialDelaySeconds * 1000)}`;
  const retries = config.kickoffMaxRetries === 0 ? "never sent twice" : `retried up to ${config.kickoffMaxRetries} times on a network error, 5xx or 429`;
  const lines = [`kickoff   ${describeRequest(config)}; ${retries}`, ...describeLookup(config, redact), ...describeProtocol(config, redact, invocationId)];
  if (config.pollRunIdPath !== undefined) lines.push(`          run id at ${config.pollRunIdPath.text}`);
  lines.push(
    `polling   ${first}, then every ${wait}${cap}; pending codes: ${list(config.pollPendingCodes)}; errors tolerated in a row: ${config.pollMaxConsecutiveErrors}`,
  );
  if (config.runOwnerPath !== undefined) {
    const owner = invocationId === undefined ? config.runOwnerValue : expandInvocationId(config.runOwnerValue, invocationId);
    lines.push(`owner     a poll answer is this run's only when its value at ${config.runOwnerPath.text} contains ${JSON.stringify(redact(owner))}`);
  }
  lines.push(...describeCancel(config, redact, invocationId));
  if (config.resultPath !== undefined) lines.push(`result    ${config.resultPath.text} -> metadata http.result`);
  if (config.errorPath !== undefined) {
    lines.push(`error     ${config.errorPath.text} of a failed answer -> quoted in the summary, and metadata http.error`);
  }
  if (config.exitCodePath !== undefined) {
    const format = config.exitCodeFormat === "wait_status" ? " (a POSIX wait status: 768 is exit 3, a signal n is 128+n)" : "";
    lines.push(`exit code ${config.exitCodePath.text} of the terminal answer${format} -> the result's exit_code`);
  }
  return lines;
}

/** The cancel request, and when it is sent. */
function describeCancel(config: AsyncHttpConfig, redact: (text: string) => string, invocationId: string | undefined): string[] {
  if (config.cancelUrlTemplate === undefined) return [];
  const when = "sent when a run the backend accepted ends timed_out or cancelled";
  const onFailure = ", or when the runner gives up on it (poll error budget spent, an answer it cannot read, the run's identity lost)";
  return [`cancel    ${config.cancelMethod} ${redact(resolveTemplate(config.cancelUrlTemplate, config.url, invocationId))}`, `          ${when}${config.cancelOnFailure ? onFailure : ""}`];
}

/** Where the status is read, and how, for each protocol. */
function describeProtocol(config: AsyncHttpConfig, redact: (text: string) => string, invocationId: string | undefined): string[] {
  if (config.pollProtocol === "lro") {
    const final =
      config.finalStateVia === undefined
        ? `the final result read at ${config.method === "PUT" || config.method === "PATCH" ? "the request URL" : "the kickoff's Location, when it has one"}`
        : `the final result read as http.final_state_via ${config.finalStateVia} says`;
    return [
      "status    protocol lro: the kickoff's Operation-Location, Azure-AsyncOperation or Location header, else the resource itself",
      `          Succeeded, Failed, Canceled (any case); ${final}`,
    ];
  }
  const statusAt = config.pollStatusPath.each
    ? `status at ${config.pollStatusPath.text} (protocol status), every value: terminal when all are, and the worst outcome decides`
    : `status at ${config.pollStatusPath.text} (protocol status)`;
  const timedOut = config.pollTimedOutStates.size === 0 ? "" : `; timed out: ${list(config.pollTimedOutStates)}`;
  const where = config.pollUrlTemplate === undefined ? "the kickoff's Operation-Location or Location header" : `GET ${redact(resolveTemplate(config.pollUrlTemplate, config.url, invocationId))}`;
  if (config.pollOutcomePath !== undefined) {
    return [
      `status    ${where}`,
      `          ${statusAt}; terminal: ${list(config.pollTerminalStates)}`,
      `          once terminal, the outcome at ${config.pollOutcomePath.text} decides: success: ${list(config.pollSuccessStates)}; cancelled: ${list(config.pollCancelledStates)}${timedOut}; any other: failure (any case)`,
    ];
  }
  const failure = [...config.pollTerminalStates].filter(
    (state) => !config.pollSuccessStates.has(state) && !config.pollCancelledStates.has(state) && !config.pollTimedOutStates.has(state),
  );
  return [
    `status    ${where}`,
    `          ${statusAt}`,
    `          success: ${list(config.pollSuccessStates)}; failure: ${failure.length === 0 ? "(none)" : failure.join(", ")}; cancelled: ${list(config.pollCancelledStates)}${timedOut} (any case)`,
  ];
}

/** How a run whose acknowledgement names no run is found (`http.run_lookup_url`). */
function describeLookup(config: AsyncHttpConfig, redact: (text: string) => string): string[] {
  if (config.pollProtocol !== "status" || config.runLookupUrl === undefined || config.runLookupPath === undefined) return [];
  return [
    `lookup    GET ${redact(config.runLookupUrl.href)}, keys at ${config.runLookupPath.text}`,
    `          read before the kickoff, then polled until a key new since then appears (the last, if several), which fills ${LOOKUP_PLACEHOLDER}`,
  ];
}

/** A URL template resolved against the kickoff URL, the invocation id filled in (when known), `{run_id}` and `{lookup}` kept readable. */
function resolveTemplate(template: string, base: URL, invocationId: string | undefined): string {
  const markers = [
    [RUN_ID_PLACEHOLDER, "RUN-ID-PLACEHOLDER"],
    [LOOKUP_PLACEHOLDER, "LOOKUP-PLACEHOLDER"],
    [INVOCATION_ID_PLACEHOLDER, "INVOCATION-ID-PLACEHOLDER"],
  ] as const;
  try {
    let text = invocationId === undefined ? template : expandInvocationId(template, encodeUrlComponent(invocationId));
    for (const [placeholder, marker] of markers) text = text.replaceAll(placeholder, marker);
    let resolved = new URL(text, base).href;
    for (const [placeholder, marker] of markers) resolved = resolved.replaceAll(marker, placeholder);
    return resolved;
  } catch {
    return template;
  }
}

function list(values: ReadonlySet<string | number>): string {
  return values.size === 0 ? "(none)" : [...values].join(", ");
}

/** `value` when it is an object of strings (so its metadata can be checked too), else undefined. */
function stringMap(value: unknown): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  return entries.every(([, item]) => typeof item === "string") ? Object.fromEntries(entries as [string, string][]) : undefined;
}
