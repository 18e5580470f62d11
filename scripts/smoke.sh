#!/usr/bin/env bash
# Packs the package, installs the tarball into a fresh project and loads it
# with `import` and with `require`, then type-checks a TypeScript consumer
# under the NodeNext and bundler resolutions. Then the `executor-runtime/bullmq`
# subpath: without bullmq installed its import must fail naming bullmq (the
# main entry never loads it); with bullmq installed it must load and type-check.
# Uses whichever node is on PATH.
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

node --input-type=module -e '
  try {
    await import("executor-runtime/bullmq");
  } catch (error) {
    if (error.code !== "ERR_MODULE_NOT_FOUND" || !error.message.includes("bullmq")) throw error;
    console.log("bullmq subpath without bullmq: fails clearly (" + error.message.split(" imported from")[0] + ")");
    process.exit(0);
  }
  throw new Error("executor-runtime/bullmq loaded without bullmq installed");
'
bullmq_version="$(node -p "require('$root/node_modules/bullmq/package.json').version")"
ioredis_version="$(node -p "require('$root/node_modules/ioredis/package.json').version")"
npm install --silent --no-audit --no-fund --prefer-offline "bullmq@$bullmq_version" "ioredis@$ioredis_version" >/dev/null
cp "$root/test/smoke/consumer-bullmq.mjs" "$root/test/smoke/consumer-bullmq.ts" .
node consumer-bullmq.mjs
"$tsc" "${common[@]}" --module nodenext --moduleResolution nodenext consumer-bullmq.ts
"$tsc" "${common[@]}" --module esnext --moduleResolution bundler consumer-bullmq.ts
echo "bullmq types: ok (nodenext, bundler)"
