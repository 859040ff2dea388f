/**
 * The cdktf app behind `npx cdktf synth` / `cdktf deploy` (cdktf.json runs it
 * compiled: `tsc -p stacks/tsconfig.json && node dist/app/stacks/main.js`).
 *
 * Spec: `$PGTOPO_SPEC` (a YAML/JSON file), default `examples/single-region.yaml`.
 * State: local by default; `$PGTOPO_STATE_BUCKET` keeps every stack's state in that S3 bucket
 * (`$PGTOPO_STATE_PREFIX/<stack>.tfstate`, prefix default `pgtopo`; the bucket's region
 * `$PGTOPO_STATE_REGION`, default the spec's primary region), encrypted and locked with an S3 lock file.
 *
 * Stacks and deploy order (the README repeats this):
 *   1. `<name>-<region>`, one per region of the spec, independent of each other:
 *      VPC, private subnets, route tables, NAT gateways (hosts.egress: nat), VPC
 *      endpoints, the region's cluster KMS key, the WAL archive bucket and its
 *      key, etcd members, Patroni members with their data volumes and roles, the
 *      cluster's internal NLB, alarms. Any one region plans and deploys alone.
 *   2. `<name>-global`, after all region stacks (it reads their outputs from
 *      their state): VPC peering between regions that replicate or share an etcd
 *      quorum, the private Route 53 zone (every VPC) with writer/reader records
 *      and the global writer name, the dataset's secrets (no values; replicated
 *      to every region), S3 replication of the archive to the copy regions.
 * `cdktf deploy '*'` runs region stacks first (in parallel with --parallelism)
 * and the global stack last; nodes boot meanwhile and wait for secrets, peers
 * and names. Offline review: `terraform plan -var offline_plan=true` in any
 * stack directory plans without AWS credentials or API calls.
 */
import { resolve } from 'node:path';
import {
  StateOptionsError,
  SynthesisError,
  stateOptionsFrom,
  synthesisErrorLines,
  synthesize,
} from '../src/aws/index.js';
import { issueLines } from '../src/policy/format/text.js';
import { checkReport } from '../src/policy/report.js';
import { SpecError } from '../src/spec/issues.js';
import { OutputPathError } from '../src/util/staged-output.js';

// Synthesized through pgtopo's own synthesize(): staged beside the output and moved in only when every
// stack passes the policy and resource-level rules, so a failing spec leaves the previous output as it
// was. Failures are printed once each, in the form of `pgtopo check`, with no stack trace (cdktf echoes
// an app's output once more in its own error summary).
const spec = resolve(process.env.PGTOPO_SPEC ?? 'examples/single-region.yaml');
const outdir = resolve(process.env.CDKTF_OUTDIR ?? 'cdktf.out');
try {
  // An empty variable counts as unset, as pipelines often define every variable.
  const env = (name: string) => process.env[name] || undefined;
  const state = stateOptionsFrom({
    bucket: env('PGTOPO_STATE_BUCKET'),
    region: env('PGTOPO_STATE_REGION'),
    prefix: env('PGTOPO_STATE_PREFIX'),
  });
  const result = synthesize(spec, outdir, state ? { state } : {});
  console.log(
    `pgtopo: ${spec}: Terraform JSON in ${resolve(outdir, 'stacks')}/{${result.stacks.map((s) => s.id).join(',')}}/cdk.tf.json`,
  );
} catch (e) {
  if (e instanceof SpecError) {
    const lines = issueLines(checkReport(spec, { ok: false, issues: e.issues }));
    console.error([`pgtopo: invalid ${spec}: ${e.issues.length} issue(s)`, ...lines].join('\n'));
    process.exitCode = 2;
  } else if (e instanceof SynthesisError) {
    const lines = synthesisErrorLines(e);
    console.error([`pgtopo: not synthesized ${spec}: ${e.messages.length} error(s)`, ...lines].join('\n'));
    process.exitCode = 1;
  } else if (e instanceof StateOptionsError) {
    const lines = e.problems.map(
      (p) => `PGTOPO_STATE_${p.option.toUpperCase()}: found ${p.found}; expected ${p.expected}`,
    );
    console.error(['pgtopo: unusable remote state settings', ...lines].join('\n'));
    process.exitCode = 64;
  } else if (e instanceof OutputPathError) {
    console.error(`pgtopo: ${e.message}`);
    process.exitCode = 64;
  } else {
    throw e;
  }
}
