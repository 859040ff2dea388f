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
#   apply   terraform apply per stack in deploy order: region stacks, then the global stack; then a
#           second plan of every stack, which must show no changes (`plan -detailed-exitcode` 0)
#   all     every step above, in that order
#   destroy only in a dry run against an emulator: terraform destroy per stack, in reverse order
#
#   pipeline.sh [--dry-run] <step> <spec.yaml>
#
# --dry-run (or PGTOPO_DRY_RUN=1) runs offline: local state, `terraform plan -var offline_plan=true`
# (placeholder credentials, no AWS API call), no gate. Its apply step is skipped, unless an AWS
# emulator is given (PGTOPO_MOTO_ENDPOINT, e.g. http://127.0.0.1:5000 for `moto_server`): then every
# stack gets a provider override file (pgtopo_emulator_override.tf.json, by emulator-override.mjs:
# the emulator's endpoint for each service, placeholder credentials) and is applied to the emulator
# in deploy order, planned again (no changes allowed), and `destroy` clears the emulator.
#
# Environment: PGTOPO (how to run pgtopo; default `npx --no-install pgtopo`), PIPELINE_OUT (default
# pipeline.out), PGTOPO_STATE_BUCKET / _REGION / _PREFIX (remote state; required unless --dry-run),
# TF_CLI_CONFIG_FILE (e.g. a provider mirror), PGTOPO_APPROVED (the gate), PGTOPO_MOTO_ENDPOINT.
set -euo pipefail

dry=${PGTOPO_DRY_RUN:-}
if [ "${1:-}" = --dry-run ]; then
  dry=1
  shift
fi
step=${1:-}
spec=${2:-}
usage() {
  echo "usage: pipeline.sh [--dry-run] check|synth|plan|review|gate|apply|all|destroy <spec.yaml>" >&2
  exit 64
}
[ -n "$step" ] && [ -n "$spec" ] || usage
[ -f "$spec" ] || { echo "pipeline: spec $spec not found" >&2; exit 64; }

read -r -a pgtopo <<<"${PGTOPO:-npx --no-install pgtopo}"
here=$(cd "$(dirname "$0")" && pwd)
emulator=${PGTOPO_MOTO_ENDPOINT:-}
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

# Seconds since $1 (from `date +%s`).
since() { echo $(($(date +%s) - $1)); }

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
    # A plan is of the stack as synthesized: never through an earlier emulator run's override.
    rm -f "$dir/pgtopo_emulator_override.tf.json"
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
  if [ -n "$dry" ] && [ -n "$emulator" ]; then
    say "gate: skipped (a dry run applies to the emulator only)"
  elif [ -n "$dry" ]; then
    say "gate: skipped (nothing is applied in a dry run)"
  elif [ "${PGTOPO_APPROVED:-}" != yes ]; then
    echo "pipeline: waiting for approval: review $out/review/review.md, then rerun with PGTOPO_APPROVED=yes" >&2
    exit 3
  else
    say "gate: approved"
  fi
}

# Plans every stack again after an apply: each must show no changes (exit 0 of -detailed-exitcode);
# a difference means what was applied does not read back as it was written.
verify_no_changes() {
  local id dir rc t
  while read -r dir; do
    id=$(basename "$dir")
    t=$(date +%s)
    rc=0
    terraform -chdir="$dir" plan -no-color -input=false -lock=false -detailed-exitcode \
      >"$out/plans/$id.replan.log" 2>&1 || rc=$?
    case $rc in
      0) say "replan: $id: no changes ($(since "$t") s)" ;;
      2)
        grep -E '^  # |^Plan:' "$out/plans/$id.replan.log" >&2 || true
        echo "pipeline: $id shows changes right after its apply: see $out/plans/$id.replan.log" >&2
        exit 1
        ;;
      *)
        tail -n 30 "$out/plans/$id.replan.log" >&2
        echo "pipeline: the second plan of $id failed (exit $rc)" >&2
        exit "$rc"
        ;;
    esac
  done < <(stacks)
}

step_apply() {
  if [ -n "$dry" ] && [ -z "$emulator" ]; then
    say "apply: SKIPPED: no AWS emulator endpoint configured (PGTOPO_MOTO_ENDPOINT is unset), and a dry run never applies to AWS"
    return 0
  fi
  local id dir t
  mkdir -p "$out/plans"
  while read -r dir; do
    id=$(basename "$dir")
    if [ -n "$dry" ]; then
      node "$here/emulator-override.mjs" "$dir" "$emulator"
    fi
    # A fresh runner: providers again (the plan step's .terraform is not carried between jobs).
    terraform -chdir="$dir" init -no-color -input=false >/dev/null
    t=$(date +%s)
    if [ -n "$dry" ]; then
      # The reviewed plan was offline (placeholders): plan again against the emulator, and apply that.
      say "apply: $id to the emulator at $emulator"
      terraform -chdir="$dir" apply -no-color -input=false -lock=false -auto-approve >"$out/plans/$id.apply.log" 2>&1 ||
        { tail -n 40 "$out/plans/$id.apply.log" >&2; echo "pipeline: apply of $id to the emulator failed" >&2; exit 1; }
      grep -E '^Apply complete' "$out/plans/$id.apply.log" || true
    else
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
    fi
    say "applied: $id ($(since "$t") s)"
  done < <(stacks)
  verify_no_changes
}

step_destroy() {
  [ -n "$dry" ] && [ -n "$emulator" ] || {
    echo "pipeline: destroy clears an emulator run only (--dry-run with PGTOPO_MOTO_ENDPOINT); it never destroys on AWS" >&2
    exit 64
  }
  local id dir t
  # Reverse deploy order: the global stack first.
  while read -r dir; do
    id=$(basename "$dir")
    node "$here/emulator-override.mjs" "$dir" "$emulator" --teardown
    t=$(date +%s)
    say "destroy: $id on the emulator"
    # -refresh=false: the second plan has just read everything back.
    terraform -chdir="$dir" destroy -no-color -input=false -lock=false -auto-approve -refresh=false \
      >"$out/plans/$id.destroy.log" 2>&1 ||
      { tail -n 40 "$out/plans/$id.destroy.log" >&2; echo "pipeline: destroy of $id on the emulator failed" >&2; exit 1; }
    grep -E '^Destroy complete' "$out/plans/$id.destroy.log" || true
    rm -f "$dir/pgtopo_emulator_override.tf.json"
    say "destroyed: $id ($(since "$t") s)"
  done < <(stacks | tac)
}

case $step in
  check | synth | plan | review | gate | apply | destroy) "step_$step" ;;
  all) for s in check synth plan review gate apply; do "step_$s"; done ;;
  *) usage ;;
esac
