import { defineConfig } from "tsup";

export default defineConfig({
  // The library (side-effect free), the BullMQ integration and the
  // `executor-runtime` command, each bundled on its own: importing the library
  // never loads the command, nor bullmq.
  entry: { index: "src/index.ts", bullmq: "src/bullmq/index.ts", cli: "src/cli/main.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: { entry: { index: "src/index.ts", bullmq: "src/bullmq/index.ts" } },
  clean: true,
  sourcemap: true,
  splitting: false,
});
