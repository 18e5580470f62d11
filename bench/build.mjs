// Builds the library from source into bench/.build/ (JavaScript only, with a
// source map), the way tsup builds dist/, so the benchmark always measures the
// current source without waiting for declaration files or touching dist/.
//
//   node bench/build.mjs [--src <dir containing index.ts>] [--out <dir>]
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** Builds `<src>/index.ts` to `<out>/index.js`; resolves to the built file's path. */
export async function buildLibrary({ src = join(here, "..", "src"), out = join(here, ".build", "lib") } = {}) {
  const { build } = await import("tsup");
  await build({
    entry: { index: join(resolve(src), "index.ts") },
    outDir: resolve(out),
    format: ["esm"],
    target: "node20",
    platform: "node",
    dts: false,
    clean: true,
    sourcemap: true,
    splitting: false,
    silent: true,
    config: false,
  });
  return join(resolve(out), "index.js");
}

/**
 * The builds named on a command line (`name=path`, or a bare path named after
 * its last segment): a directory holding index.ts (a copy of src/ with a
 * change) is built into bench/.build/<prefix>-<name>/; any other path is taken
 * as a built index.js.
 */
export async function namedBuilds(specs, prefix) {
  const builds = [];
  for (const spec of specs) {
    const [name, path] = spec.includes("=") ? spec.split("=", 2) : [basename(spec), spec];
    const full = resolve(path);
    const lib =
      statSync(full).isDirectory() && existsSync(join(full, "index.ts"))
        ? await buildLibrary({ src: full, out: join(here, ".build", `${prefix}-${name}`) })
        : full;
    builds.push({ name, lib });
  }
  return builds;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const index = process.argv.indexOf(name);
    return index === -1 ? undefined : process.argv[index + 1];
  };
  const built = await buildLibrary({ src: arg("--src"), out: arg("--out") });
  console.log(built);
}
