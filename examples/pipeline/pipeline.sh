#!/usr/bin/env bash
# The pipeline of examples/pipeline/github-actions.yml as a plain shell script, step for step (each
# workflow job runs one step of this script):
#
#   check   pgtopo check: SARIF (for code scanning) and JUnit (for test reports); stops on errors
#   synth   pgtopo synth: one Terraform JSON per stack, state in S3 ($PGTOPO_STATE_BUCKET)
#   plan    terraform init + plan per stack, in deploy order; plans as JSON for the review
#   review  pgtopo review --plan: review.md for the pull request
#   gate    the manual approval: passes only with PGTOPO_APPROVED=yes (in Actions: an environment
#           with required reviewers)
#   apply   terraform apply per stack in deploy order: region stacks, then the global stack
#   all     every step in that order
#
#   pipeline.sh [--dry-run] <step> <spec.yaml>
#
# --dry-run (or PGTOPO_DRY_RUN=1) runs offline: local state, `terraform plan -var offline_plan=true`
# (placeholder credentials, no AWS API call), no gate, and apply is skipped unless an AWS emulator
# endpoint is configured (PGTOPO_MOTO_ENDPOINT; applying against one is not implemented yet).
#
# Environment: PGTOPO (how to run pgtopo; default `npx --no-install pgtopo`), PIPELINE_OUT (default
# pipeline.out), PGTOPO_STATE_BUCKET / _REGION / _PREFIX (remote state; required unless --dry-run),
# TF_CLI_CONFIG_FILE (e.g. a provider mirror), PGTOPO_APPROVED (the gate).
set -euo pipefail

dry=${PGTOPO_DRY_RUN:-}
if [ "${1:-}" = --dry-run ]; then
  dry=1
  shift
fi
step=${1:-}
spec=${2:-}
usage() {
  echo "usage: pipeline.sh [--dry-run] check|synth|plan|review|gate|apply|all <spec.yaml>" >&2
  exit 64
}
[ -n "$step" ] && [ -n "$spec" ] || usage
[ -f "$spec" ] || { echo "pipeline: spec $spec not found" >&2; exit 64; }

read -r -a pgtopo <<<"${PGTOPO:-npx --no-install pgtopo}"
out=${PIPELINE_OUT:-pipeline.out}
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
mkdir -p "$out"

say() { echo "== pipeline ${dry:+(dry run) }$*"; }

# Stacks in deploy order: region stacks (any order among themselves), the global stack last.
stacks() {
  [ -d "$out/cdktf.out/stacks" ] || { echo "pipeline: no stacks in $out/cdktf.out: run the synth step first" >&2; exit 1; }
  local all=() global=()
  for d in "$out"/cdktf.out/stacks/*/; do
    d=${d%/}
    case $(basename "$d") in *-global) global+=("$d") ;; *) all+=("$d") ;; esac
  done
  printf '%s\n' "${all[@]}" "${global[@]}"
}

step_check() {
  say "check: $spec"
  local rc=0
  "${pgtopo[@]}" check "$spec" --format sarif >"$out/check.sarif" || rc=$?
  "${pgtopo[@]}" check "$spec" --format junit >"$out/check.junit.xml" || true
  "${pgtopo[@]}" check "$spec" || true
  [ "$rc" -eq 0 ] || { echo "pipeline: check failed (exit $rc): see $out/check.sarif" >&2; exit "$rc"; }
}

step_synth() {
  local state=()
  if [ -n "$dry" ]; then
    say "synth: local state"
  else
    [ -n "${PGTOPO_STATE_BUCKET:-}" ] || { echo "pipeline: PGTOPO_STATE_BUCKET is not set (remote state; --dry-run plans with local state)" >&2; exit 64; }
    state=(--state-bucket "$PGTOPO_STATE_BUCKET")
    [ -z "${PGTOPO_STATE_REGION:-}" ] || state+=(--state-region "$PGTOPO_STATE_REGION")
    [ -z "${PGTOPO_STATE_PREFIX:-}" ] || state+=(--state-prefix "$PGTOPO_STATE_PREFIX")
    say "synth: state in s3://$PGTOPO_STATE_BUCKET"
  fi
  "${pgtopo[@]}" synth "$spec" --out "$out/cdktf.out" "${state[@]}"
}

step_plan() {
  mkdir -p "$out/plans"
  local vars=()
  [ -z "$dry" ] || vars=(-var offline_plan=true)
  while read -r dir; do
    local id
    id=$(basename "$dir")
    say "plan: $id"
    terraform -chdir="$dir" init -no-color -input=false >"$out/plans/$id.init.log"
    terraform -chdir="$dir" plan -no-color -input=false -lock=false "${vars[@]}" -out=tfplan >"$out/plans/$id.plan.log"
    terraform -chdir="$dir" show -json tfplan >"$out/plans/$id.json"
    grep -E '^(Plan:|No changes)' "$out/plans/$id.plan.log" || true
  done < <(stacks)
}

step_review() {
  say "review"
  local plans=()
  for p in "$out"/plans/*.json; do plans+=(--plan "$p"); done
  rm -rf "$out/review"
  "${pgtopo[@]}" review "$spec" --out "$out/review" --synth-dir "$out/cdktf.out" "${plans[@]}"
}

step_gate() {
  if [ -n "$dry" ]; then
    say "gate: skipped (nothing is applied in a dry run)"
  elif [ "${PGTOPO_APPROVED:-}" != yes ]; then
    echo "pipeline: waiting for approval: review $out/review/review.md, then rerun with PGTOPO_APPROVED=yes" >&2
    exit 3
  else
    say "gate: approved"
  fi
}

step_apply() {
  if [ -n "$dry" ]; then
    if [ -z "${PGTOPO_MOTO_ENDPOINT:-}" ]; then
      say "apply: SKIPPED: no AWS emulator endpoint configured (PGTOPO_MOTO_ENDPOINT is unset), and a dry run never applies to AWS"
    else
      say "apply: SKIPPED: applying against an emulator ($PGTOPO_MOTO_ENDPOINT) is not implemented in this example yet"
    fi
    return 0
  fi
  while read -r dir; do
    local id
    id=$(basename "$dir")
    # A fresh runner: providers again (the plan step's .terraform is not carried between jobs).
    terraform -chdir="$dir" init -no-color -input=false >/dev/null
    case $id in
      *-global)
        # Its plan read the region stacks' outputs before they were applied: plan again, then apply.
        say "apply: $id (planned again: it reads the region stacks' outputs)"
        terraform -chdir="$dir" apply -no-color -input=false -auto-approve
        ;;
      *)
        say "apply: $id (the reviewed plan)"
        terraform -chdir="$dir" apply -no-color -input=false tfplan
        ;;
    esac
  done < <(stacks)
}

case $step in
  check | synth | plan | review | gate | apply) "step_$step" ;;
  all) for s in check synth plan review gate apply; do "step_$s"; done ;;
  *) usage ;;
esac
