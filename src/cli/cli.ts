import { parseArgs, type ParseArgsConfig } from "node:util";
import packageJson from "../../package.json" with { type: "json" };
import { runDemo } from "./demo.js";
import { EXIT_USAGE } from "./exit-codes.js";
import { HELP, type HelpTopic } from "./help.js";
import type { CliIo } from "./io.js";
import { runInvocationFile } from "./run-command.js";
import { readSecretFlags, type CliSecrets } from "./secret-flags.js";
import { validateInvocationFile } from "./validate-command.js";

/** The installed version, printed by `--version`. */
export const CLI_VERSION: string = packageJson.version;

const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;
const PROGRESS_OPTIONS = {
  ...HELP_OPTION,
  quiet: { type: "boolean", short: "q" },
  "json-events": { type: "boolean" },
} as const;
const SECRET_OPTION = { secret: { type: "string", multiple: true } } as const;
const RUN_OPTIONS = { ...PROGRESS_OPTIONS, ...SECRET_OPTION, "allow-subprocess": { type: "boolean" }, otel: { type: "boolean" } } as const;
const VALIDATE_OPTIONS = { ...HELP_OPTION, ...SECRET_OPTION } as const;

const MISSING_PATH = "missing the invocation file (a path, or - for standard input)";

/** A mistake in the command line, reported as one line and exit code 2. */
class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Runs the `executor-runtime` command line (`argv` without the node binary
 * and script) and resolves to the exit code. `signal` cancels a run or the
 * demo. Bad usage is one line on stderr and exit code 2, never a stack trace.
 */
export async function runCli(argv: readonly string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.stderr.write(HELP.main);
    return EXIT_USAGE;
  }
  try {
    switch (command) {
      case "run": {
        const { values, path } = parseCommand("run", rest, RUN_OPTIONS);
        if (values.help === true) return showHelp(io, "run");
        if (path === undefined) throw new UsageError(MISSING_PATH);
        checkProgressFlags(values);
        const secrets = secretsOf(values.secret, io);
        return await runInvocationFile(path, io, {
          allowSubprocess: values["allow-subprocess"] === true,
          secrets: secrets.values,
          quiet: values.quiet === true,
          jsonEvents: values["json-events"] === true,
          otel: values.otel === true,
          ...(signal === undefined ? {} : { signal }),
        });
      }
      case "validate": {
        const { values, path } = parseCommand("validate", rest, VALIDATE_OPTIONS);
        if (values.help === true) return showHelp(io, "validate");
        if (path === undefined) throw new UsageError(MISSING_PATH);
        return await validateInvocationFile(path, io, { secrets: secretsOf(values.secret, io).flags });
      }
      case "demo": {
        const { values } = parseCommand("demo", rest, PROGRESS_OPTIONS, 0);
        if (values.help === true) return showHelp(io, "demo");
        checkProgressFlags(values);
        return await runDemo(io, {
          quiet: values.quiet === true,
          jsonEvents: values["json-events"] === true,
          ...(signal === undefined ? {} : { signal }),
        });
      }
      case "help":
      case "--help":
      case "-h": {
        const about = rest[0];
        return showHelp(io, about !== undefined && Object.hasOwn(HELP, about) ? (about as HelpTopic) : "main");
      }
      case "--version":
      case "-v":
        io.stdout.write(`${CLI_VERSION}\n`);
        return 0;
      default:
        throw new UsageError(
          command.startsWith("-") ? `unknown option '${command}'` : `unknown command '${command}'; the commands are run, validate and demo`,
        );
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const where = ["run", "validate", "demo"].includes(command) ? ` ${command}` : "";
    io.stderr.write(`executor-runtime${where}: ${error.message} (see executor-runtime${where} --help)\n`);
    return EXIT_USAGE;
  }
}

function showHelp(io: CliIo, topic: HelpTopic): number {
  io.stdout.write(HELP[topic]);
  return 0;
}

function parseCommand<Options extends NonNullable<ParseArgsConfig["options"]>>(
  command: string,
  args: readonly string[],
  options: Options,
  positionals = 1,
) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  if (parsed.positionals.length > positionals) {
    const extra = parsed.positionals[positionals] ?? "";
    throw new UsageError(
      positionals === 0 ? `'${command}' takes no arguments, got '${extra}'` : `'${command}' takes one invocation file, got also '${extra}'`,
    );
  }
  return { values: parsed.values, path: parsed.positionals[0] };
}

function checkProgressFlags(values: { quiet?: unknown; "json-events"?: unknown }): void {
  if (values.quiet === true && values["json-events"] === true) throw new UsageError("choose one of --quiet and --json-events");
}

/** The `--secret` flags, their values read from the environment now. */
function secretsOf(flags: readonly string[] | undefined, io: CliIo): CliSecrets {
  const reading = readSecretFlags(flags ?? [], io.env);
  if (!reading.ok) throw new UsageError(reading.message);
  return reading.secrets;
}

/** Node's parseArgs messages, shortened to their first sentence. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown !== null) return `unknown option '${unknown[1]}'`;
  const first = message.split(". ")[0] ?? message;
  return `${first.charAt(0).toLowerCase()}${first.slice(1).replace(/\.$/, "")}`;
}
