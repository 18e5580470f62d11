#!/usr/bin/env bash
# Packs the package, installs the tarball into a fresh project and loads it
# with `import` and with `require`, then type-checks a TypeScript consumer
# under the NodeNext and bundler resolutions. Uses whichever node is on PATH.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/executor-runtime-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "smoke: node $(node --version)"
cd "$root"
npm run --silent build >/dev/null
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"

mkdir "$work/project"
cd "$work/project"
printf '{ "name": "smoke-consumer", "version": "1.0.0", "private": true }\n' >package.json
npm install --silent --no-audit --no-fund --prefer-offline "$work/$tarball" >/dev/null
cp "$root/test/smoke/consumer.mjs" "$root/test/smoke/consumer.cjs" "$root/test/smoke/consumer.ts" .

node consumer.mjs
node consumer.cjs

# Only the consumer's own code is checked: the declarations it imports must
# resolve and type it, under both resolutions consumers use.
tsc="$root/node_modules/.bin/tsc"
common=(--noEmit --strict --skipLibCheck --types node --typeRoots "$root/node_modules/@types" --target es2022)
"$tsc" "${common[@]}" --module nodenext --moduleResolution nodenext consumer.ts
"$tsc" "${common[@]}" --module esnext --moduleResolution bundler consumer.ts
echo "types: ok (nodenext, bundler)"
