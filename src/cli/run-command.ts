import { parseInvocation, type RuntimeInvocation } from "../contracts/invocation.js";
import { buildResult, type RuntimeResult } from "../contracts/result.js";
import { secretNames } from "../http/placeholders.js";
import { createRedactor } from "../http/redact.js";
import { parseAsyncHttpMetadata, parseHttpMetadata } from "../http/metadata/parse.js";
import type { Sleep } from "../http/timing.js";
import { AsyncHttpRunner } from "../runners/async-http/runner.js";
import { HttpRunner } from "../runners/http.js";
import type { Runner } from "../runners/runner.js";
import { SubprocessRunner } from "../runners/subprocess.js";
import { ExecutorRuntime } from "../runtime.js";
import { EXIT_INTERRUPTED, EXIT_USAGE, exitCodeOf } from "./exit-codes.js";
import type { CliIo } from "./io.js";
import { startCliTracing, type OtelModules } from "./otel-tracing.js";
import { chooseProgressMode, createProgress, useColor } from "./progress.js";
import type { Schedule } from "./progress-live.js";
import type { Redact, RunStart } from "./progress-text.js";
import { readInvocationInput } from "./read-input.js";

/** Options of `executor-runtime run`. */
export interface RunCommandOptions {
  /**
   * Register the subprocess runner, which runs local commands.
   * @default false
   */
  readonly allowSubprocess?: boolean;
  /**
   * Secrets by name, for `{secret:NAME}` in `http.headers` values (the
   * command's `--secret` flags, read from the environment when the run
   * starts). Their values never appear in the progress output or the result.
   * @default {}
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /**
   * No progress on stderr.
   * @default false
   */
  readonly quiet?: boolean;
  /**
   * Progress as one JSON object per line on stderr.
   * @default false
   */
  readonly jsonEvents?: boolean;
  /**
   * Trace the run with OpenTelemetry: its span tree on stderr after the run
   * (not with `jsonEvents`, whose stderr is JSON only), and an OTLP export
   * when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set.
   * @default false
   */
  readonly otel?: boolean;
  /** Loads the OpenTelemetry packages for `otel` (tests pass one that fails). @default loadOtelModules */
  readonly loadOtel?: (otlp: boolean) => Promise<OtelModules>;
  /** Aborting it cancels the run; its `reason` (e.g. "SIGINT") is named on stderr. */
  readonly signal?: AbortSignal;
  /** The clock of the run and of its progress output, in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** Every wait of the run (tests pass a virtual one). @default a timer */
  readonly sleep?: Sleep;
  /** Drives the live line's spinner. @default an unref'd setInterval */
  readonly schedule?: Schedule;
}

/**
 * The core of `executor-runtime run`: reads the invocation at `path` (`-` for
 * stdin), runs it on a runtime with the `http` and `http_async` runners (and
 * `subprocess` when allowed), shows progress on stderr and prints the result
 * JSON on stdout. Resolves to the exit code: by status (0 succeeded, 1 failed,
 * 2 rejected, 124 timed out, 130 cancelled), 2 when the file cannot be read
 * or parsed (nothing on stdout then), 130 when `signal` was aborted.
 */
export async function runInvocationFile(path: string, io: CliIo, options: RunCommandOptions = {}): Promise<number> {
  const reading = await readInvocationInput(path, io);
  if (!reading.ok) {
    io.stderr.write(`executor-runtime: ${reading.message}\n`);
    return EXIT_USAGE;
  }
  const { signal } = options;
  if (signal?.aborted === true) return EXIT_INTERRUPTED;
  const tracing = options.otel === true ? await startCliTracing(io, options.loadOtel) : undefined;
  if (tracing?.ok === false) {
    io.stderr.write(`executor-runtime: ${tracing.message}\n`);
    return EXIT_USAGE;
  }

  const parsed = parseInvocation(reading.value);
  const secrets = options.secrets ?? {};
  const headerValues = parsed.ok ? headerValuesOf(parsed.invocation) : [];
  const redact = createRedactor([...headerValues, ...Object.values(secrets)]);
  const mode = chooseProgressMode({ quiet: options.quiet ?? false, jsonEvents: options.jsonEvents ?? false }, io.stderr, io.env);
  const progress = createProgress(mode, io.stderr, {
    redact,
    color: useColor(io.stderr, io.env),
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.schedule === undefined ? {} : { schedule: options.schedule }),
  });
  if (parsed.ok) progress.start(describeRun(parsed.invocation, redact));

  let interrupted = false;
  const onAbort = (): void => {
    interrupted = true;
    const reason = typeof signal?.reason === "string" ? signal.reason : "an interrupt";
    const again = reason === "SIGINT" ? " (Ctrl-C again exits at once)" : "";
    progress.interrupt(`received ${reason}: cancelling the run${again}`);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  const runtime = createCliRuntime(options.allowSubprocess ?? false, options);
  let result: RuntimeResult;
  try {
    result = await runtime.run(reading.value, {
      onEvent: (event) => progress.event(event),
      ...(signal === undefined ? {} : { signal }),
    });
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await runtime.close();
  }
  const exitCode = interrupted ? EXIT_INTERRUPTED : exitCodeOf(result.status);
  progress.finish(result, exitCode);
  await tracing?.tracing.finish(mode !== "json");
  if (result.status === "rejected" && (mode === "lines" || mode === "live")) hintMissingSecrets(io, result, headerValues, secrets);
  io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return exitCode;
}

/** The kinds `executor-runtime run` can run (subprocess only with --allow-subprocess). */
export const CLI_KINDS = ["http", "http_async", "subprocess"] as const;

/**
 * The command's runtime: `http` and `http_async`, and `subprocess` when allowed
 * (otherwise it rejects, naming the flag); its HTTP runners get `secrets`, and
 * its runners use `now` and `sleep`, when given.
 */
export function createCliRuntime(allowSubprocess: boolean, options: Pick<RunCommandOptions, "now" | "sleep" | "secrets"> = {}): ExecutorRuntime {
  const now = options.now === undefined ? {} : { now: options.now };
  const sleep = options.sleep === undefined ? {} : { sleep: options.sleep };
  const secrets = options.secrets === undefined ? {} : { secrets: options.secrets };
  return new ExecutorRuntime()
    .register("http", new HttpRunner({ ...now, ...sleep, ...secrets }))
    .register("http_async", new AsyncHttpRunner({ ...now, ...sleep, ...secrets }))
    .register("subprocess", allowSubprocess ? new SubprocessRunner(now) : subprocessNotAllowed);
}

const subprocessNotAllowed: Runner = {
  run: async (invocation) => {
    const summary = "subprocess invocations run a local command; pass --allow-subprocess to allow them";
    return buildResult(invocation, { status: "rejected", summary });
  },
};

/** What the progress output shows before the run: identity, the first request or the command, and the run lookup. */
function describeRun(invocation: RuntimeInvocation, redact: Redact): RunStart {
  const start = {
    invocationId: invocation.invocation_id,
    runtimeName: invocation.runtime_name,
    runtimeKind: invocation.runtime_kind,
  };
  const target = targetOf(invocation);
  const lookup = lookupOf(invocation);
  return {
    ...start,
    ...(target === undefined ? {} : { target: redact(target) }),
    ...(lookup === undefined ? {} : { lookup: redact(lookup) }),
  };
}

function lookupOf(invocation: RuntimeInvocation): string | undefined {
  if (invocation.runtime_kind !== "http_async") return undefined;
  const parsed = parseAsyncHttpMetadata(invocation.metadata);
  if (!parsed.ok || parsed.config.pollProtocol !== "status" || parsed.config.runLookupUrl === undefined) return undefined;
  return `GET ${parsed.config.runLookupUrl.href}`;
}

function targetOf(invocation: RuntimeInvocation): string | undefined {
  switch (invocation.runtime_kind) {
    case "http_async": {
      const parsed = parseAsyncHttpMetadata(invocation.metadata);
      return parsed.ok ? `${parsed.config.method} ${parsed.config.url.href}` : invocation.metadata["http.url"];
    }
    case "http": {
      const parsed = parseHttpMetadata(invocation.metadata);
      return parsed.ok ? `${parsed.config.method} ${parsed.config.url.href}` : invocation.metadata["http.url"];
    }
    case "subprocess":
      return invocation.command.length === 0 ? undefined : invocation.command.join(" ");
    default:
      return undefined;
  }
}

/** Says which `--secret` flags a run rejected for its secrets needed: those its summary names that the command was not given. */
function hintMissingSecrets(io: CliIo, result: RuntimeResult, headerValues: readonly string[], secrets: Readonly<Record<string, string>>): void {
  const summary = result.error_summary ?? "";
  const names = new Set(headerValues.flatMap((value) => secretNames(value)));
  const missing = [...names].filter((name) => !Object.hasOwn(secrets, name) && summary.includes(`{secret:${name}}`));
  if (missing.length === 0) return;
  const placeholders = missing.map((name) => `{secret:${name}}`).join(", ");
  const flags = missing.map((name) => `--secret ${name}`).join(" ");
  const source = missing.length === 1 ? "the environment variable of that name" : "each the environment variable of that name";
  io.stderr.write(`executor-runtime: http.headers uses ${placeholders}: pass ${flags} (${source}), or --secret NAME=ENV_VAR\n`);
}

/** The values of `http.headers`, which progress output must never show. */
function headerValuesOf(invocation: RuntimeInvocation): string[] {
  const headers = invocation.metadata["http.headers"];
  if (headers === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(headers);
    if (typeof parsed !== "object" || parsed === null) return [];
    return Object.values(parsed).filter((value): value is string => typeof value === "string");
  } catch {
    return [];
  }
}
