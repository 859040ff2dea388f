/**
 * Stack plumbing shared by every pgtopo stack: the `offline_plan` variable, one
 * AWS provider per region that can plan without reaching AWS, the default state
 * backend, and reading another stack's outputs (also offline).
 */
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition/index.js';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import {
  App,
  LocalBackend,
  S3Backend,
  type TerraformBackend,
  TerraformLocal,
  type TerraformProvider,
  TerraformStack,
  TerraformVariable,
} from 'cdktf';
import type { Construct } from 'constructs';
import { BUCKET_NAME, BUCKET_NAME_EXPECTED, REGION } from '../spec/schema.js';

/** Name of the Terraform variable that switches every provider and cross-stack read to offline mode. */
export const OFFLINE_PLAN_VARIABLE = 'offline_plan';
/** Placeholder credentials used only when `offline_plan` is true: they are not secrets and reach no API. */
export const OFFLINE_CREDENTIAL = 'pgtopo-offline-plan';

/**
 * The stack's `offline_plan` variable (created once per stack).
 *
 * `terraform plan -var offline_plan=true` skips every AWS API call the provider
 * makes on its own (credential, account-id, region and metadata checks), uses
 * placeholder credentials, and reads placeholder values instead of other stacks'
 * state. Nothing in pgtopo's stacks reads the AWS API during plan otherwise, so
 * CI and reviewers can plan without an account. Default false: a real plan.
 */
export function offlinePlan(scope: Construct): TerraformVariable {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(OFFLINE_PLAN_VARIABLE);
  if (existing instanceof TerraformVariable) return existing;
  return new TerraformVariable(stack, OFFLINE_PLAN_VARIABLE, {
    type: 'bool',
    default: false,
    nullable: false,
    description:
      'Plan without AWS: placeholder credentials, no account/region/metadata API calls, placeholder values for other stacks. Never apply with it.',
  });
}

/**
 * `${var.offline_plan ? whenOffline : otherwise}` for plain values (strings, numbers, booleans, null),
 * written as the Terraform expression itself, as `remoteOutputs` and `accountFacts` write theirs.
 */
export function ifOffline(scope: Construct, whenOffline: unknown, otherwise: unknown): string {
  const variable = offlinePlan(scope).node.id;
  return `\${var.${variable} ? ${hclLiteral(whenOffline)} : ${hclLiteral(otherwise)}}`;
}

export interface RegionProviderProps {
  /** AWS region of every resource that uses this provider. */
  readonly region: string;
  /**
   * Provider alias.
   * @default none: the stack's default `aws` provider.
   */
  readonly alias?: string;
  /**
   * Tags applied to every resource the provider creates.
   * @default none
   */
  readonly tags?: Readonly<Record<string, string>>;
}

/** An AWS provider for one region that honours the stack's `offline_plan` variable. */
export function regionProvider(scope: Construct, id: string, props: RegionProviderProps): AwsProvider {
  const offline = offlinePlan(scope).booleanValue;
  return new AwsProvider(scope, id, {
    region: props.region,
    ...(props.alias ? { alias: props.alias } : {}),
    accessKey: ifOffline(scope, OFFLINE_CREDENTIAL, null),
    secretKey: ifOffline(scope, OFFLINE_CREDENTIAL, null),
    skipCredentialsValidation: offline,
    skipRequestingAccountId: offline,
    skipRegionValidation: offline,
    skipMetadataApiCheck: ifOffline(scope, 'true', 'false'),
    ...(props.tags ? { defaultTags: [{ tags: { ...props.tags } }] } : {}),
  });
}

/**
 * Chooses the state backend of a stack. Return the backend you created in `stack`.
 * The default keeps local state next to the output directory (see `defaultBackend`).
 */
export type BackendFactory = (stack: TerraformStack, stackId: string) => TerraformBackend;

/**
 * Local state in `<outdir>/../terraform.<stack>.tfstate` (for `cdktf.out`: the
 * project root, where cdktf keeps it too). The path is relative to the stack's
 * working directory `<outdir>/stacks/<stack>`, so the synthesized JSON does not
 * depend on where it was synthesized, and another stack reading this state
 * resolves the same file. Use a remote backend for real deployments.
 */
export const defaultBackend: BackendFactory = (stack, stackId) =>
  new LocalBackend(stack, { path: `../../../terraform.${stackId}.tfstate` });

/**
 * Remote state in one S3 bucket, one object per stack: `<prefix>/<stack>.tfstate`, encrypted at rest
 * (`encrypt`), locked with Terraform's native S3 lock file (`use_lockfile`, Terraform >= 1.10; no
 * DynamoDB table). The global stack reads the region stacks' outputs from the same bucket.
 */
export interface S3StateOptions {
  /** The state bucket. Create it once, before the first `terraform init`: versioned, encrypted, public access blocked. */
  readonly bucket: string;
  /**
   * The bucket's region.
   * @default the spec's primary region (PostgresTopology); required by `s3Backend`
   */
  readonly region?: string;
  /**
   * Key prefix: each stack's state is `<prefix>/<stack>.tfstate`.
   * @default `pgtopo`
   */
  readonly prefix?: string;
}

/** Key prefix of the state objects when none is given. */
export const DEFAULT_STATE_PREFIX = 'pgtopo';

/** The object key of a stack's state: `<prefix>/<stack>.tfstate`. */
export function stateKey(prefix: string, stackId: string): string {
  return `${prefix}/${stackId}.tfstate`;
}

/** A key prefix: segments of S3's safe characters separated by single slashes, no `.`/`..` segment. */
const STATE_PREFIX = /^(?!\.{1,2}(\/|$))[A-Za-z0-9!_.*'()-]+(\/(?!\.{1,2}(\/|$))[A-Za-z0-9!_.*'()-]+)*$/;

/** One unusable remote-state setting: which option, what was found, what is expected. */
export interface StateOptionProblem {
  readonly option: 'bucket' | 'region' | 'prefix';
  readonly found: string;
  readonly expected: string;
}

/** Everything wrong with remote-state options, all at once (empty: usable). */
export function stateOptionProblems(o: S3StateOptions): StateOptionProblem[] {
  const problems: StateOptionProblem[] = [];
  const check = (
    option: StateOptionProblem['option'],
    value: string | undefined,
    ok: RegExp,
    expected: string,
  ) => {
    if (value !== undefined && !ok.test(value))
      problems.push({ option, found: JSON.stringify(value), expected });
  };
  check('bucket', o.bucket, BUCKET_NAME, BUCKET_NAME_EXPECTED);
  check('region', o.region, REGION, 'an AWS region name such as us-east-1');
  check(
    'prefix',
    o.prefix,
    STATE_PREFIX,
    "a key prefix such as pgtopo or teams/db: letters, digits and !_.*'()- in segments separated by single slashes, no leading or trailing slash",
  );
  return problems;
}

/**
 * Remote-state options from loose strings (command-line options, environment variables): undefined when
 * none is given (local state); throws StateOptionsError when a region or prefix comes without a bucket
 * or a value is unusable.
 */
export function stateOptionsFrom(values: {
  readonly bucket?: string | undefined;
  readonly region?: string | undefined;
  readonly prefix?: string | undefined;
}): S3StateOptions | undefined {
  const { bucket, region, prefix } = values;
  if (bucket === undefined) {
    if (region === undefined && prefix === undefined) return undefined;
    throw new StateOptionsError([
      {
        option: 'bucket',
        found: 'none',
        expected: 'a state bucket whenever a state region or prefix is given',
      },
    ]);
  }
  const o: S3StateOptions = {
    bucket,
    ...(region === undefined ? {} : { region }),
    ...(prefix === undefined ? {} : { prefix }),
  };
  const problems = stateOptionProblems(o);
  if (problems.length > 0) throw new StateOptionsError(problems);
  return o;
}

/** Remote-state options that cannot be used; `problems` names each option, what was found and what is expected. */
export class StateOptionsError extends Error {
  constructor(readonly problems: readonly StateOptionProblem[]) {
    super(
      `unusable remote state options:\n  ${problems.map((p) => `state ${p.option}: found ${p.found}; expected ${p.expected}`).join('\n  ')}`,
    );
  }
}

/** The S3 backend with Terraform's native lock file (cdktf 0.21's S3Backend has no `useLockfile` yet). */
class LockingS3Backend extends S3Backend {
  protected override synthesizeAttributes(): Record<string, unknown> {
    return { ...super.synthesizeAttributes(), use_lockfile: true };
  }
  protected override synthesizeHclAttributes(): Record<string, unknown> {
    return { ...super.synthesizeHclAttributes(), use_lockfile: true };
  }
}

/**
 * Remote state in S3 (see `S3StateOptions`). Throws StateOptionsError for an unusable bucket, region
 * or prefix. A stack reading another's outputs (`remoteOutputs`) reads the same bucket and key.
 */
export function s3Backend(o: S3StateOptions & { readonly region: string }): BackendFactory {
  const problems = stateOptionProblems(o);
  if (problems.length > 0) throw new StateOptionsError(problems);
  const prefix = o.prefix ?? DEFAULT_STATE_PREFIX;
  return (stack, stackId) =>
    new LockingS3Backend(stack, {
      bucket: o.bucket,
      key: stateKey(prefix, stackId),
      region: o.region,
      encrypt: true,
    });
}

/**
 * Reads the outputs of `origin` from `scope`'s stack through the origin's backend.
 * With `offline_plan` the state is not read at all (count 0) and `placeholder`
 * stands in; otherwise a missing output is an error, never a silent placeholder.
 * Returns the local holding the outputs object: `${local.<id>.<output>}`.
 */
export function remoteOutputs(
  scope: Construct,
  id: string,
  origin: TerraformStack,
  placeholder: Readonly<Record<string, unknown>>,
): TerraformLocal {
  TerraformStack.of(scope).addDependency(origin);
  return outputsLocal(scope, id, origin.ensureBackendExists(), origin.node.path, placeholder);
}

/**
 * `remoteOutputs` for a stack of another App (a fleet synthesizes each cluster in an App of its own): the
 * state is found through `backend`, the factory the other stack was built with, called on a detached stack
 * of the same id, so it reads the same file or key. cdktf knows no dependency across Apps: deploy the
 * origin first.
 */
export function remoteOutputsOf(
  scope: Construct,
  id: string,
  origin: { readonly stackId: string; readonly backend: BackendFactory },
  placeholder: Readonly<Record<string, unknown>>,
): TerraformLocal {
  const detached = new TerraformStack(new App({ skipValidation: true }), origin.stackId);
  return outputsLocal(scope, id, origin.backend(detached, origin.stackId), origin.stackId, placeholder);
}

function outputsLocal(
  scope: Construct,
  id: string,
  backend: TerraformBackend,
  fromStack: string,
  placeholder: Readonly<Record<string, unknown>>,
): TerraformLocal {
  const state = backend.getRemoteStateDataSource(scope, `${id}-state`, fromStack);
  state.addOverride('count', ifOffline(scope, 0, 1));
  const stateAddress = `data.terraform_remote_state.${state.friendlyUniqueId}`;
  return new TerraformLocal(
    scope,
    id,
    `\${var.${OFFLINE_PLAN_VARIABLE} ? ${hclLiteral(placeholder)} : one(${stateAddress}[*].outputs)}`,
  );
}

/** An HCL literal for plain data (strings, numbers, booleans, arrays, objects). */
export function hclLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(hclLiteral).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)} = ${hclLiteral(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** `${local.<name>.<path...>}` for an attribute of a local holding an object. */
export function localRef(local: TerraformLocal, ...path: (string | number)[]): string {
  // Attribute syntax, not ["key"]: the reference may end up inside a JSON-encoded string (a policy document).
  const suffix = path
    .map((p) => {
      if (typeof p === 'number') return `[${p}]`;
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p))
        throw new Error(`localRef: ${JSON.stringify(p)} is not an identifier`);
      return `.${p}`;
    })
    .join('');
  return `\${local.${local.friendlyUniqueId}${suffix}}`;
}

/** Account id used in offline plans, where no API tells the real one. */
export const OFFLINE_ACCOUNT_ID = '000000000000';

export interface AccountFacts {
  /** The deploying account's id: from STS in a real plan, `000000000000` in an offline plan. */
  readonly accountId: string;
  /** The partition (`aws`, `aws-cn`, `aws-us-gov`), from the provider without an API call. */
  readonly partition: string;
}

const FACTS = Symbol.for('pgtopo.aws.accountFacts');

/**
 * Account id and partition for ARNs, once per stack. The caller-identity read is
 * skipped (count 0) in an offline plan, so planning never needs AWS.
 */
export function accountFacts(scope: Construct, provider?: TerraformProvider): AccountFacts {
  const stack = TerraformStack.of(scope) as TerraformStack & { [FACTS]?: AccountFacts };
  const cached = stack[FACTS];
  if (cached) return cached;
  const caller = new DataAwsCallerIdentity(stack, 'caller', provider ? { provider } : {});
  caller.addOverride('count', ifOffline(stack, 0, 1));
  const partition = new DataAwsPartition(stack, 'partition', provider ? { provider } : {});
  const account = new TerraformLocal(
    stack,
    'account_id',
    `\${var.${OFFLINE_PLAN_VARIABLE} ? "${OFFLINE_ACCOUNT_ID}" : one(data.aws_caller_identity.${caller.friendlyUniqueId}[*].account_id)}`,
  );
  const facts: AccountFacts = { accountId: account.asString, partition: partition.partition };
  stack[FACTS] = facts;
  return facts;
}
