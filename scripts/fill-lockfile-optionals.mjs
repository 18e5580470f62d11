// Adds package-lock.json entries for platform-specific optional dependencies
// that the registry this lockfile was generated against did not serve (for
// example @rollup/rollup-darwin-arm64). Without them `npm ci` refuses the
// lockfile as out of sync; with them it skips each package on the platforms
// it does not fit, and fetches it by version on the ones it does.
// Run it after any `npm install` that rewrites the lockfile.
import { readFileSync, writeFileSync } from "node:fs";

const LOCKFILE = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(LOCKFILE, "utf8"));
const packages = lock.packages;
const added = [];

for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const stubPath = `node_modules/${name}`;
    const platform = platformOf(name);
    if (packages[stubPath] !== undefined || platform === undefined || !/^\d+\.\d+\.\d+/.test(version)) continue;
    packages[stubPath] = { version, ...platform, dev: entry.dev ?? false, license: entry.license, optional: true };
    added.push(`${name}@${version} (for ${path})`);
  }
}

if (added.length > 0) {
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b, "en"))));
  writeFileSync(LOCKFILE, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(added.length === 0 ? "lockfile: nothing to add" : `lockfile: added\n  ${added.join("\n  ")}`);

/** Reads os, cpu and libc from a name ending in `<os>-<cpu>[-<abi>]`, as platform packages are named. */
function platformOf(name) {
  const match = /(android|darwin|freebsd|linux|netbsd|openbsd|openharmony|sunos|win32|aix)-(arm64|arm|ia32|x64|loong64|ppc64|riscv64|s390x|mips64el)(?:-(\w+))?$/.exec(name);
  if (match === null) return undefined;
  const [, os, cpu, abi] = match;
  const libc = abi?.startsWith("gnu") ? ["glibc"] : abi?.startsWith("musl") ? ["musl"] : undefined;
  return { cpu: [cpu], ...(libc ? { libc } : {}), os: [os] };
}
