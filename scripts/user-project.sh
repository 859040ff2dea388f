#!/usr/bin/env bash
# Runs the example user project (examples/user-project/) the way a user's project runs: pgtopo packed
# with `npm pack` and installed from the tarball, next to the project's own jest and vitest; then
# its vitest and jest tests, which use pgtopo/testing. The project's snapshots are committed: a
# missing or changed snapshot fails (both run in CI mode).
#
#   scripts/user-project.sh            # work directory /var/cache/pgtopo/user-project (kept, for speed)
#   scripts/user-project.sh --update   # rewrite the project's snapshots (review the diff)
#   PGTOPO_USER_PROJECT_DIR=/path ...  # another work directory
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work="${PGTOPO_USER_PROJECT_DIR:-/var/cache/pgtopo/user-project}"
mkdir -p "$work"

echo "== user project: npm pack pgtopo"
pack=$(mktemp -d)
trap 'rm -rf "$pack"' EXIT
# `npm pack` runs the prepare script (the build) first.
npm pack --pack-destination "$pack" --silent >/dev/null
tarball=$(ls "$pack"/pgtopo-*.tgz)

echo "== user project: install in $work"
# The project's files, fresh each run (node_modules stays: reruns only replace pgtopo).
find "$work" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
(cd examples/user-project && tar --exclude=node_modules -cf - .) | tar -xf - -C "$work"
# package.json depends on file:pgtopo.tgz, as a project would on a released version.
cp "$tarball" "$work/pgtopo.tgz"
cd "$work"
# --ignore-scripts: nothing pgtopo needs at run time builds at install (cdktf-cli's terminal helper
# would try to download a prebuilt binary). --no-save: the committed package.json stays as it is.
npm install --no-audit --no-fund --ignore-scripts --prefer-offline --no-save ./pgtopo.tgz

if [ "${1:-}" = --update ]; then
  npm run --silent test:vitest -- -u
  npm run --silent test:jest -- -u
  find test -name __snapshots__ -type d | while read -r d; do
    rm -rf "$repo/examples/user-project/$d" && cp -r "$d" "$repo/examples/user-project/$d"
  done
  echo "user project: snapshots rewritten under examples/user-project/test/__snapshots__"
  exit 0
fi
# toPassTerraformValidate: providers offline from the local mirror when this machine has one (as
# terraform's own tests do), otherwise a plain `terraform init` from the registry, as on a user's machine.
if [ -z "${PGTOPO_TERRAFORM_PLUGIN_DIR:-}" ] && [ -d /opt/tf-plugins/registry.terraform.io ]; then
  export PGTOPO_TERRAFORM_PLUGIN_DIR=/opt/tf-plugins
fi
echo "== user project: terraform providers from ${PGTOPO_TERRAFORM_PLUGIN_DIR:-the registry (plain init)}"
start=$(date +%s)
echo "== user project: vitest"
CI=true npm run --silent test:vitest
echo "== user project: jest"
CI=true npm run --silent test:jest
echo "user project: tests took $(($(date +%s) - start)) s"
echo "user project: vitest and jest passed against $(node -p 'require("pgtopo/package.json").version') from $repo"
