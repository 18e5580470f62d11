import type { Plugin } from "esbuild";
import { defineConfig } from "tsup";

/**
 * The OpenTelemetry packages are never bundled: `@opentelemetry/api` and
 * `@opentelemetry/instrumentation` are optional peers, and the SDK packages
 * that `executor-runtime run --otel` loads are the user's to install.
 */
export const OTEL_EXTERNAL = [/^@opentelemetry\//];

/**
 * The command loads the instrumentation only for `--otel`, as the published
 * `otel.js` beside it: bundled into `cli.js`, its imports of the optional
 * peers would be hoisted to the top of the command and break it where they
 * are not installed.
 */
export const cliLoadsOtelEntry: Plugin = {
  name: "cli-loads-otel-entry",
  setup(build) {
    build.onResolve({ filter: /\/otel\/index\.js$/ }, (args) =>
      /[/\\]src[/\\]cli[/\\]/.test(args.importer) ? { path: "./otel.js", external: true } : undefined,
    );
  },
};

export default defineConfig({
  // The library (side-effect free), the BullMQ and OpenTelemetry integrations
  // and the `executor-runtime` command, each bundled on its own: importing the
  // library never loads the command, nor bullmq, nor OpenTelemetry.
  entry: { index: "src/index.ts", bullmq: "src/bullmq/index.ts", otel: "src/otel/index.ts", cli: "src/cli/main.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: { entry: { index: "src/index.ts", bullmq: "src/bullmq/index.ts", otel: "src/otel/index.ts" } },
  clean: true,
  sourcemap: true,
  splitting: false,
  external: OTEL_EXTERNAL,
  esbuildPlugins: [cliLoadsOtelEntry],
});
