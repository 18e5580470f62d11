#!/usr/bin/env bash
# Packs the package over a partial dist/ (the tarball must still hold the
# whole build, which `npm pack` makes), installs the tarball into a fresh
# project and loads it with `import` and with `require`, then type-checks a
# TypeScript consumer under the NodeNext and bundler resolutions. Then the `executor-runtime/bullmq`
# subpath: without bullmq installed its import must fail naming bullmq (the
# main entry never loads it); with bullmq installed it must load and type-check.
# The same for `executor-runtime/otel` and @opentelemetry/api and
# @opentelemetry/instrumentation; and `executor-runtime run --otel`, which
# without the SDK names what to install, and with it prints the span tree.
# Uses whichever node is on PATH.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/executor-runtime-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "smoke: node $(node --version)"
cd "$root"
# The demo's build writes outside dist/; and `npm pack` builds (the `prepare`
# script) whatever dist/ holds: here a partial build and a file no build makes.
rm -rf dist
npm run --silent build:cli
if [[ -e dist ]]; then
  echo "npm run build:cli (the demo's build) wrote into dist/" >&2
  exit 1
fi
mkdir dist
: >dist/cli.js
: >dist/stale.js
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
listing="$(tar -tzf "$work/$tarball")"
for file in index.js index.d.ts bullmq.js bullmq.d.ts otel.js otel.d.ts cli.js; do
  if ! grep -qx "package/dist/$file" <<<"$listing"; then
    echo "the packed tarball has no dist/$file" >&2
    exit 1
  fi
done
if grep -q "stale.js" <<<"$listing" || [[ ! -s dist/cli.js ]]; then
  echo "npm pack shipped a dist/ it did not build" >&2
  exit 1
fi
echo "pack: builds dist/ whatever it held ($(grep -c '^package/dist/' <<<"$listing") files)"

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

node --input-type=module -e '
  try {
    await import("executor-runtime/otel");
  } catch (error) {
    if (error.code !== "ERR_MODULE_NOT_FOUND" || !error.message.includes("@opentelemetry/")) throw error;
    console.log("otel subpath without OpenTelemetry: fails clearly (" + error.message.split(" imported from")[0] + ")");
    process.exit(0);
  }
  throw new Error("executor-runtime/otel loaded without @opentelemetry/api installed");
'
# An http invocation whose request is refused at once: a run with one request span.
printf '{"invocation_id":"smoke-otel","runtime_name":"smoke","runtime_kind":"http","metadata":{"http.url":"http://127.0.0.1:1/jobs"}}\n' >job.json
status=0
npx --no-install executor-runtime run --otel --quiet job.json >/dev/null 2>otel-missing.txt || status=$?
if [[ "$status" != 2 ]] || ! grep -q "^executor-runtime: --otel needs the OpenTelemetry SDK (@opentelemetry/[a-z-]* is not installed); install it with: npm install " otel-missing.txt; then
  echo "run --otel without the SDK: expected exit 2 and one line naming the packages, got exit $status:" >&2
  cat otel-missing.txt >&2
  exit 1
fi
echo "run --otel without the SDK: $(cat otel-missing.txt)"

otel_version() { node -p "require('$root/node_modules/@opentelemetry/$1/package.json').version"; }
npm install --silent --no-audit --no-fund --prefer-offline "@opentelemetry/api@$(otel_version api)" "@opentelemetry/instrumentation@$(otel_version instrumentation)" >/dev/null
cp "$root/test/smoke/consumer-otel.mjs" "$root/test/smoke/consumer-otel.ts" .
node consumer-otel.mjs
"$tsc" "${common[@]}" --module nodenext --moduleResolution nodenext consumer-otel.ts
"$tsc" "${common[@]}" --module esnext --moduleResolution bundler consumer-otel.ts
echo "otel types: ok (nodenext, bundler)"

npm install --silent --no-audit --no-fund --prefer-offline "@opentelemetry/sdk-trace-node@$(otel_version sdk-trace-node)" >/dev/null
status=0
npx --no-install executor-runtime run --otel --quiet job.json >/dev/null 2>otel-tree.txt || status=$?
if [[ "$status" != 1 ]] || ! grep -q "executor.run http smoke-otel: failed" otel-tree.txt || ! grep -q "POST request http://127.0.0.1:1/jobs" otel-tree.txt; then
  echo "run --otel with the SDK: expected exit 1 and the span tree, got exit $status:" >&2
  cat otel-tree.txt >&2
  exit 1
fi
echo "run --otel with the SDK:"
sed 's/^/  /' otel-tree.txt
