#!/usr/bin/env bash
# Installs what the test suite and `pgtopo rehearse` need on the host, on Debian 12 (bookworm) or 13
# (trixie). Used by .ci/run and by the README's test command. Needs root (or sudo).
#
# The cluster parts themselves (PostgreSQL, Patroni, etcd, HAProxy, PgBouncer, pgBackRest, cloud-init,
# PyYAML) are not installed on the host: every real-tool test and the rehearsal run them in a root of the
# node release, made with debootstrap from Debian's mirror and cached under /var/cache/pgtopo/roots
# (src/rehearsal/release-root.ts). The host only needs the tools that build and enter such a root,
# iptables for the partition drills, and openssl for the rehearsal's certificates.
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

. /etc/os-release
case "${VERSION_CODENAME:-}" in
  bookworm | trixie) ;;
  *) echo "warning: untested host release ${PRETTY_NAME:-unknown}; continuing with Debian package names" >&2 ;;
esac

# debootstrap builds the release roots; debian-archive-keyring verifies both releases (bookworm's
# keyring carries the trixie keys too); util-linux brings unshare, setpriv and mount.
PACKAGES=(
  debootstrap debian-archive-keyring ca-certificates util-linux mount
  iproute2 iptables openssl procps
)
echo "== apt (${PRETTY_NAME:-unknown host}): ${PACKAGES[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
command -v terraform >/dev/null || echo "warning: terraform is not on PATH: the Terraform tests need terraform >= 1.11"
