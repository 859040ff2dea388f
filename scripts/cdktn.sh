#!/usr/bin/env bash
# pgtopo under CDK Terrain (cdktn, cdktf's maintained continuation) instead of cdktf:
# 1. a copy of src/ type-checks and builds against cdktn 0.24.0 with constructs 10.7.2, the package
#    resolved under the name `cdktf` (an npm alias, as a user's project does it:
#    `"cdktf": "npm:cdktn@0.24.0"`), with @cdktf/provider-aws 20.1.0 kept (its bindings import
#    `cdktf`, so they bind to cdktn through the same alias; one core library in the process);
# 2. every bundled example synthesizes under cdktn, and its Terraform JSON equals cdktf's, stack by
#    stack, once the synthesizer's version stamp is left out (pgtopo/testing's stableTerraform);
# 3. the AWS layer's tests (test/aws: construct, synth and snapshot tests, and the terraform tests:
#    init, validate and the offline plan of every example stack) type-check and pass under cdktn.
#
#   scripts/cdktn.sh                  # work directory /var/cache/pgtopo/cdktn (kept: reruns skip the install)
#   scripts/cdktn.sh --no-tests       # steps 1 and 2 only
#   PGTOPO_CDKTN_DIR=/path ...        # another work directory
#
# Prints the time of each step.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work="${PGTOPO_CDKTN_DIR:-/var/cache/pgtopo/cdktn}"
tests=1
[ "${1:-}" != --no-tests ] || tests=0
start=$(date +%s)
lap() { echo "   ($(($(date +%s) - start)) s so far)"; }
CDKTN=0.24.0
CONSTRUCTS=10.7.2
[ -d node_modules/cdktf ] || { echo "cdktn: run npm ci first" >&2; exit 64; }
provider=$(node -p 'require("./package.json").dependencies["@cdktf/provider-aws"]')
mkdir -p "$work"

manifest=$(printf '{"private":true,"dependencies":{"cdktf":"npm:cdktn@%s","constructs":"%s","@cdktf/provider-aws":"%s"}}\n' \
  "$CDKTN" "$CONSTRUCTS" "$provider")
# npm rewrites package.json: what was installed is remembered in .installed.
if [ "$(cat "$work/.installed" 2>/dev/null)" != "$manifest" ] || [ ! -d "$work/node_modules/@cdktf/provider-aws" ]; then
  echo "== cdktn: install cdktn@$CDKTN, constructs@$CONSTRUCTS, @cdktf/provider-aws@$provider in $work"
  rm -rf "$work/node_modules" "$work/package-lock.json" "$work/.installed"
  printf '%s\n' "$manifest" >"$work/package.json"
  # --legacy-peer-deps: the provider's peer range names cdktf ^0.21, which the alias (0.24.0) is not.
  (cd "$work" && npm install --no-audit --no-fund --ignore-scripts --legacy-peer-deps --prefer-offline --silent)
  printf '%s\n' "$manifest" >"$work/.installed"
fi
# Everything else pgtopo and its build use comes from this checkout's node_modules (none of it imports
# cdktf). Links are re-pointed on every run: the work directory outlives checkouts, and a link left by
# another (since deleted) checkout dangles.
find "$work/node_modules" -maxdepth 2 -type l -not -path "$work/node_modules/.bin/*" -delete
for entry in "$repo"/node_modules/* "$repo"/node_modules/@*/*; do
  name=${entry#"$repo/node_modules/"}
  case $name in cdktf | constructs | @cdktf/provider-aws | @cdktf | .bin) continue ;; esac
  [ -e "$work/node_modules/$name" ] || { mkdir -p "$(dirname "$work/node_modules/$name")" && ln -s "$entry" "$work/node_modules/$name"; }
done
# One core library: pgtopo's `cdktf` and the provider bindings' `cdktf` are both cdktn.
for from in "$work" "$work/node_modules/@cdktf/provider-aws"; do
  got=$(cd "$from" && node -p 'require(require.resolve("cdktf/package.json")).name')
  [ "$got" = cdktn ] || { echo "cdktn: cdktf resolves to $got from $from, expected cdktn" >&2; exit 1; }
done

echo "== cdktn: type check and build src/ against cdktn@$CDKTN"
rm -rf "$work/src" "$work/dist"
cp -r src "$work/src"
cp tsconfig.json tsconfig.build.json "$work/"
# src/ and dist/ are ESM, as in the repo ("type": "module"; the work directory's package.json is npm's).
printf '{"type":"module"}\n' >"$work/src/package.json"
(cd "$work" && node "$repo/node_modules/typescript/bin/tsc" -p tsconfig.build.json)
cp "$work/src/package.json" "$work/dist/package.json"
lap

echo "== cdktn: synthesize every example under cdktf and cdktn, compare"
# The repo's own build (cdktf), unless dist/ is newer than every source file (as right after `npm test`).
if [ ! -f dist/aws/index.js ] || [ -n "$(find src package.json -newer dist/aws/index.js -print -quit)" ]; then
  npm run --silent build
fi
node scripts/cdktn-compare.mjs "$repo/dist" "$work/dist"
lap
[ "$tests" = 1 ] || exit 0

echo "== cdktn: type check and run test/aws (AWS constructs, synth, snapshots, terraform) against cdktn@$CDKTN"
# The tests and what they read, next to the cdktn build of src/; `cdktf` resolves to cdktn from there.
rm -rf "$work/test" "$work/examples" "$work/schema" "$work/stacks"
mkdir -p "$work/test" "$work/stacks"
cp -r test/aws test/helpers "$work/test/"
cp stacks/main.ts "$work/stacks/"
cp -r examples schema "$work/"
printf '{"type":"module"}\n' | tee "$work/test/package.json" >"$work/stacks/package.json"
printf '{"extends":"./tsconfig.json","compilerOptions":{"noEmit":true},"include":["src","test/aws","test/helpers"]}\n' \
  >"$work/tsconfig.cdktn.json"
(cd "$work" && node "$repo/node_modules/typescript/bin/tsc" -p tsconfig.cdktn.json)
# The repo's vitest settings without its global setup (that builds the repo's dist/ for the CLI tests),
# and more time per test: this step runs beside other CI work (the tests that spawn a child process
# timed out at 30 s on a loaded 2-core machine).
cat >"$work/vitest.config.mjs" <<'EOF_CONFIG'
import { defineConfig } from 'vitest/config';
export default defineConfig({
  test: {
    include: ['test/aws/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 900_000,
  },
});
EOF_CONFIG
# The terraform plan proof runs on example 2 only: the JSON it plans was shown byte-equal (stamp aside)
# to cdktf's for every example above, and the suite plans every example under cdktf.
(cd "$work" && CI=true PGTOPO_SLOW_EXAMPLES=twoRegionStandby node "$repo/node_modules/vitest/vitest.mjs" run --config vitest.config.mjs)
lap
echo "cdktn: src/ and test/aws type-check, every example synthesizes as under cdktf, test/aws passes (cdktn@$CDKTN)"
