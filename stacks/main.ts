/**
 * The cdktf app behind `npx cdktf synth` / `cdktf deploy` (cdktf.json runs it
 * compiled: `tsc -p stacks/tsconfig.json && node dist/app/stacks/main.js`).
 *
 * Spec: `$PGTOPO_SPEC` (a YAML/JSON file), default `examples/single-region.yaml`.
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
import { App } from 'cdktf';
import { formatGuardFinding, GuardError, PostgresTopology } from '../src/aws/index.js';
import { formatIssue, SpecError } from '../src/spec/issues.js';

const spec = resolve(process.env.PGTOPO_SPEC ?? 'examples/single-region.yaml');
const app = new App();
try {
  const topology = new PostgresTopology(app, 'pgtopo', { spec });
  app.synth();
  const stacks = [...Object.values(topology.regionStacks), topology.globalStack].map((s) => s.node.id);
  console.log(
    `pgtopo: ${topology.topology.name} from ${spec}: Terraform JSON in ${resolve(app.outdir, 'stacks')}/{${stacks.join(',')}}/cdk.tf.json`,
  );
} catch (e) {
  if (e instanceof SpecError) {
    console.error(`pgtopo: ${spec} is not a valid topology spec:`);
    for (const issue of e.issues) console.error(`  ${formatIssue(issue)}`);
    process.exitCode = 2;
  } else if (e instanceof GuardError) {
    console.error('pgtopo: the synthesized resources break resource-level rules:');
    for (const f of e.findings) console.error(`  ${formatGuardFinding(f)}`);
    process.exitCode = 1;
  } else {
    throw e;
  }
}
