import { describe, expect, it } from "vitest";
import { CLI_VERSION, runCli } from "../../src/cli/cli.js";
import { HELP } from "../../src/cli/help.js";
import packageJson from "../../package.json" with { type: "json" };
import { fakeIo } from "../support/cli-harness.js";

async function cli(...argv: string[]) {
  const { io, stdout, stderr } = fakeIo();
  const exitCode = await runCli(argv, io);
  return { exitCode, stdout: stdout(), stderr: stderr() };
}

describe(runCli.name, () => {
  it("prints the package version", async () => {
    expect(CLI_VERSION).toBe(packageJson.version);
    expect(await cli("--version")).toEqual({ exitCode: 0, stdout: `${packageJson.version}\n`, stderr: "" });
  });

  it.each([
    [["--help"], HELP.main],
    [["help", "run"], HELP.run],
    [["run", "--help"], HELP.run],
    [["validate", "-h"], HELP.validate],
    [["demo", "--help"], HELP.demo],
  ])("prints help for %j on stdout", async (argv, text) => {
    expect(await cli(...argv)).toEqual({ exitCode: 0, stdout: text, stderr: "" });
  });

  it.each(Object.entries(HELP))("shows an example in the help of %s", (_topic, text) => {
    expect(text).toMatch(/Examples?:\n {2}executor-runtime /);
  });

  it("prints the help on stderr and exits 2 without a command", async () => {
    expect(await cli()).toEqual({ exitCode: 2, stdout: "", stderr: HELP.main });
  });

  it.each([
    [["launch"], "executor-runtime: unknown command 'launch'; the commands are run, validate and demo (see executor-runtime --help)\n"],
    [["run", "job.json", "--verbose"], "executor-runtime run: unknown option '--verbose' (see executor-runtime run --help)\n"],
    [["run"], "executor-runtime run: missing the invocation file (a path, or - for standard input) (see executor-runtime run --help)\n"],
    [["run", "a.json", "b.json"], "executor-runtime run: 'run' takes one invocation file, got also 'b.json' (see executor-runtime run --help)\n"],
    [["run", "a.json", "--quiet", "--json-events"], "executor-runtime run: choose one of --quiet and --json-events (see executor-runtime run --help)\n"],
    [["demo", "now"], "executor-runtime demo: 'demo' takes no arguments, got 'now' (see executor-runtime demo --help)\n"],
  ])("answers %j with one line on stderr and exit 2", async (argv, line) => {
    expect(await cli(...argv)).toEqual({ exitCode: 2, stdout: "", stderr: line });
  });

  it("reads the invocation from standard input for -", async () => {
    const { io, stdout } = fakeIo({ stdin: '{"invocation_id": "a", "runtime_name": "b", "runtime_kind": "container"}' });
    expect(await runCli(["run", "-", "--quiet"], io)).toBe(2);
    expect(JSON.parse(stdout())).toMatchObject({ status: "rejected", invocation_id: "a" });
  });
});
