#!/usr/bin/env bash
# Installs the real cluster parts the test suite and `pgtopo rehearse` run (Debian 12 packages).
# Used by .ci/run and by the README's test command. Needs root (or sudo).
# python3-yaml (PyYAML, what Patroni and cloud-init read YAML with) checks the rendered YAML.
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
  postgresql-15 patroni etcd-server etcd-client haproxy pgbouncer pgbackrest
  prometheus-postgres-exporter iproute2 iptables cloud-init openssl procps python3-yaml
)
echo "== apt: ${PACKAGES[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
command -v terraform >/dev/null || echo "warning: terraform is not on PATH: the Terraform tests need terraform >= 1.11"
