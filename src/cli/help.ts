/** The help text of each command, printed by `--help`. */
export const HELP = {
  main: `executor-runtime: run RxP v0.1 invocations against HTTP backends from a terminal.

Usage:
  executor-runtime run <invocation.json | ->    run it and print the result JSON on stdout
  executor-runtime validate <invocation.json>   check it without sending anything
  executor-runtime demo                         watch two asynchronous backends at work
  executor-runtime <command> --help             help for one command

Options:
  -h, --help      show this help
  -v, --version   print the version

Examples:
  executor-runtime demo
  executor-runtime run job.json > result.json
`,
  run: `Usage: executor-runtime run <invocation.json | -> [options]

Runs one RxP v0.1 invocation with the http and http_async runners and prints
the result JSON on stdout. Progress goes to stderr: a live status line on a
terminal, one plain line per event otherwise. Ctrl-C or SIGTERM cancels the
run (the backend's cancel request is sent when http.cancel_url_template is
set) and exits 130; a second Ctrl-C exits at once. Use - to read the
invocation from standard input.

Options:
  --secret NAME[=ENV_VAR]
                       a secret for {secret:NAME} in http.headers: the value
                       of the environment variable ENV_VAR (NAME when not
                       given), read once when the run starts and never
                       printed; repeatable; an unset or empty variable is
                       an error (exit 2)
  --allow-subprocess   also run subprocess invocations (local commands)
  --json-events        progress as one JSON object per line, for log shippers
  -q, --quiet          no progress output
  --otel               trace the run with OpenTelemetry: print its span tree
                       on stderr after the run (not with --json-events), and
                       export it over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT
                       or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; needs
                       @opentelemetry/api, @opentelemetry/instrumentation and
                       @opentelemetry/sdk-trace-node installed
  -h, --help           show this help

Exit codes:
  0 succeeded   1 failed   2 rejected or bad input   124 timed out   130 cancelled or interrupted

Examples:
  executor-runtime run job.json
  executor-runtime run job.json --secret SLURM_JWT
  executor-runtime run job.json --json-events 2>events.jsonl | jq -r .status
  cat job.json | executor-runtime run - --quiet
  executor-runtime run job.json --otel --quiet
`,
  validate: `Usage: executor-runtime validate <invocation.json | -> [options]

Checks an RxP v0.1 invocation and the http.* metadata of its runtime_kind
without sending any request. A valid invocation prints what would be sent,
the secrets its http.headers use ({secret:NAME}) included, and exits 0;
otherwise every problem is printed on stderr as "<key>: <message>" and the
exit code is 2. A secret that no --secret gives is a warning: run would
reject the invocation.

Options:
  --secret NAME[=ENV_VAR]   as for run: the variable must be set (not
                            empty); its value is never printed; repeatable
  -h, --help                show this help

Examples:
  executor-runtime validate job.json && executor-runtime run job.json
  executor-runtime validate job.json --secret SLURM_JWT
`,
  demo: `Usage: executor-runtime demo [options]

Starts a fake backend on 127.0.0.1 (a free port), runs two example
invocations against it exactly as "executor-runtime run" would, shows their
progress, prints both results on stdout, stops the backend and exits 0.
The first flow is an Archon background workflow: the dispatch answers 200
"started" and names no run, so the runner looks the run up in the
conversation's messages, then polls it by worker; the second a job API that
answers 202 with a Location header and once 429 with Retry-After.

Options:
  --json-events   progress as one JSON object per line
  -q, --quiet     no progress output
  -h, --help      show this help

Example:
  executor-runtime demo
`,
} as const;

/** A command that has a help text. */
export type HelpTopic = keyof typeof HELP;
