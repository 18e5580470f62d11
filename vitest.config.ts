import { configDefaults, defineConfig } from "vitest/config";

/** The BullMQ tests: each file starts a redis-server of its own (installed by the project's setup when missing). */
const QUEUE = ["test/bullmq/**/*.test.ts"];

/**
 * Every LRO operation of the AutoRest test server (an npm devDependency),
 * which the project's global setup starts on a loopback port.
 */
const AUTOREST = ["test/autorest/**/*.test.ts"];

/**
 * Tests that need real time or load: fault injection, memory and load runs, and
 * the ones that wait on real timers or child processes (a real
 * `timeout_seconds`, a kill grace period, 100 MiB of output, the bundled command).
 */
const RELIABILITY = [
  "test/reliability/**/*.test.ts",
  "test/runners/subprocess-signals.test.ts",
  "test/cli/process.test.ts",
];

export default defineConfig({
  test: {
    environment: "node",
    restoreMocks: true,
    unstubGlobals: true,
    // `npm test` runs every project; `npm test -- --project unit` runs one.
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          // Time comes from the injected `sleep`/`now` here: nothing waits on the wall clock.
          exclude: [...configDefaults.exclude, ...QUEUE, ...RELIABILITY, ...AUTOREST],
        },
      },
      { extends: true, test: { name: "reliability", include: RELIABILITY } },
      { extends: true, test: { name: "queue", include: QUEUE, globalSetup: ["test/support/redis-setup.ts"] } },
      { extends: true, test: { name: "autorest", include: AUTOREST, globalSetup: ["test/support/autorest-testserver.ts"] } },
    ],
  },
});
