#!/usr/bin/env node
// The Terraform override file that points one synthesized stack at an AWS emulator (moto_server,
// LocalStack): pipeline.sh writes it next to the stack's cdk.tf.json as
// pgtopo_emulator_override.tf.json before it applies to the emulator, and removes it afterwards.
//
//   emulator-override.mjs <stack dir> <endpoint> [--teardown]
//
// Every `aws` provider of the stack (the default one and each alias, matched by alias as Terraform
// merges override files) gets the endpoint for each AWS service the stack's resources and data
// sources call, static placeholder credentials and no credential/metadata/region checks (the
// arguments of hashicorp/aws 5.x: access_key, secret_key, skip_credentials_validation,
// skip_metadata_api_check, skip_region_validation, s3_use_path_style, endpoints). A resource type
// whose service is not known here stops the run instead of reaching AWS.
//
// --teardown also lifts `prevent_destroy` (data volumes, keys, the archive bucket, secrets) so
// `terraform destroy` can clear the emulator; never use it against AWS.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The provider's endpoint key of the service behind each resource or data source type, in order. */
const SERVICES = [
  [/^aws_acmpca_/, 'acmpca'],
  [/^aws_cloudwatch_log_/, 'logs'],
  [/^aws_cloudwatch_/, 'cloudwatch'],
  [/^aws_(lb|alb)(_|$)/, 'elbv2'],
  [/^aws_iam_/, 'iam'],
  [/^aws_kms_/, 'kms'],
  [/^aws_route53_/, 'route53'],
  [/^aws_s3_/, 's3'],
  [/^aws_secretsmanager_/, 'secretsmanager'],
  [/^aws_sns_/, 'sns'],
  [/^aws_ssm_/, 'ssm'],
  [/^aws_caller_identity$/, 'sts'],
  [/^aws_(partition|region|availability_zones?)$/, null],
  [
    /^aws_(vpc|subnet|instance|ebs_|eip|internet_gateway|nat_gateway|route($|_table)|security_group|launch_template|volume_attachment|ec2_|ami)/,
    'ec2',
  ],
];
/** The placeholder credentials an emulator accepts (they reach nothing else). */
const CREDENTIAL = 'pgtopo-emulator';

const [dir, endpoint, ...flags] = process.argv.slice(2);
if (!dir || !/^https?:\/\/[^/\s]+\/?$/.test(endpoint ?? '')) {
  console.error('usage: emulator-override.mjs <stack dir> <http(s)://host:port> [--teardown]');
  process.exit(64);
}
const doc = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8'));

// sts: the provider asks for the account id on start-up.
const used = new Set(['sts']);
const unknown = [];
for (const kind of ['resource', 'data']) {
  for (const type of Object.keys(doc[kind] ?? {})) {
    if (!type.startsWith('aws_')) continue;
    const hit = SERVICES.find(([pattern]) => pattern.test(type));
    if (!hit) unknown.push(`${kind === 'data' ? 'data.' : ''}${type}`);
    else if (hit[1]) used.add(hit[1]);
  }
}
if (unknown.length > 0) {
  console.error(
    `emulator-override: ${dir}: no emulator endpoint known for ${unknown.join(', ')} (add its service to SERVICES)`,
  );
  process.exit(1);
}
const endpoints = Object.fromEntries([...used].sort().map((s) => [s, endpoint.replace(/\/$/, '')]));
const providers = [doc.provider?.aws ?? []].flat().map((p) => ({
  ...(p.alias ? { alias: p.alias } : {}),
  access_key: CREDENTIAL,
  secret_key: CREDENTIAL,
  skip_credentials_validation: true,
  skip_metadata_api_check: true,
  skip_region_validation: true,
  s3_use_path_style: true,
  endpoints: [endpoints],
}));
const override = { provider: { aws: providers } };

if (flags.includes('--teardown')) {
  const resource = {};
  for (const [type, byName] of Object.entries(doc.resource ?? {})) {
    for (const [name, config] of Object.entries(byName)) {
      if (config.lifecycle?.prevent_destroy) {
        resource[type] ??= {};
        resource[type][name] = { lifecycle: { prevent_destroy: false } };
      }
    }
  }
  if (Object.keys(resource).length > 0) override.resource = resource;
}
writeFileSync(join(dir, 'pgtopo_emulator_override.tf.json'), `${JSON.stringify(override, null, 2)}\n`);
