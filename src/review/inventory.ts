/**
 * The AWS inventory per stack, read from the synthesized Terraform JSON
 * (`<outdir>/stacks/<stack>/cdk.tf.json`) as plain JSON: counts by resource
 * type, stateful resources flagged. This layer never imports cdktf.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { code, plural, raw, table } from './markdown.js';
import { resourceLabel, statefulReason } from './stateful.js';

export interface InventoryType {
  readonly type: string;
  readonly count: number;
  /** How many of them hold data. */
  readonly stateful: number;
}

export interface StatefulResource {
  readonly address: string;
  readonly type: string;
  readonly label?: string;
  readonly reason: string;
  /** `lifecycle.prevent_destroy`: Terraform refuses any plan that would destroy it. */
  readonly protected: boolean;
}

export interface StackInventory {
  readonly stack: string;
  /** AWS region of the stack's provider, when the configuration names one. */
  readonly region?: string;
  readonly total: number;
  readonly byType: readonly InventoryType[];
  readonly stateful: readonly StatefulResource[];
}

/** A synthesized output directory that cannot be read. */
export class InventoryError extends Error {}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function providerRegion(doc: Json): string | undefined {
  const provider = isObject(doc.provider) ? doc.provider : undefined;
  const aws = provider?.aws;
  const first = Array.isArray(aws) ? aws[0] : aws;
  return isObject(first) && typeof first.region === 'string' ? first.region : undefined;
}

/** The inventory of one synthesized stack document (the parsed cdk.tf.json). */
export function stackInventory(stack: string, doc: unknown): StackInventory {
  if (!isObject(doc))
    throw new InventoryError(`stack ${stack}: the synthesized Terraform JSON is not an object`);
  const resources = isObject(doc.resource) ? doc.resource : {};
  const byType: InventoryType[] = [];
  const stateful: StatefulResource[] = [];
  let total = 0;
  for (const type of Object.keys(resources).sort()) {
    const instances = resources[type];
    if (!isObject(instances)) continue;
    let count = 0;
    let held = 0;
    for (const name of Object.keys(instances).sort()) {
      const body = instances[name];
      const n = isObject(body) && typeof body.count === 'number' ? body.count : 1;
      count += n;
      const reason = statefulReason(type, body);
      if (reason) {
        held += n;
        const label = resourceLabel(body);
        const lifecycle = isObject(body) && isObject(body.lifecycle) ? body.lifecycle : {};
        stateful.push({
          address: `${type}.${name}`,
          type,
          reason,
          protected: lifecycle.prevent_destroy === true,
          ...(label ? { label } : {}),
        });
      }
    }
    total += count;
    byType.push({ type, count, stateful: held });
  }
  const region = providerRegion(doc);
  return { stack, ...(region ? { region } : {}), total, byType, stateful };
}

/**
 * Reads every stack under a cdktf output directory (`cdktf.out`, or its
 * `stacks/` folder). Stacks are returned in name order.
 */
export function readInventory(outdir: string): StackInventory[] {
  const stacksDir = existsSync(join(outdir, 'stacks')) ? join(outdir, 'stacks') : outdir;
  if (!existsSync(stacksDir) || !statSync(stacksDir).isDirectory()) {
    throw new InventoryError(
      `${outdir}: no synthesized stacks (expected ${join(outdir, 'stacks', '<stack>', 'cdk.tf.json')})`,
    );
  }
  const stacks = readdirSync(stacksDir)
    .filter((s) => existsSync(join(stacksDir, s, 'cdk.tf.json')))
    .sort();
  if (stacks.length === 0) {
    throw new InventoryError(
      `${outdir}: no synthesized stacks (expected ${join(outdir, 'stacks', '<stack>', 'cdk.tf.json')})`,
    );
  }
  return stacks.map((s) => {
    const file = join(stacksDir, s, 'cdk.tf.json');
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new InventoryError(`${file}: not JSON (${(e as Error).message})`);
    }
    return stackInventory(s, doc);
  });
}

/** The `## AWS inventory` section body. */
export function renderInventory(stacks: readonly StackInventory[] | undefined, why?: string): string {
  if (!stacks || stacks.length === 0) {
    return why ?? 'Not synthesized.';
  }
  const out: string[] = [];
  const total = stacks.reduce((n, s) => n + s.total, 0);
  const held = stacks.reduce((n, s) => n + s.stateful.length, 0);
  out.push(
    `${plural(stacks.length, 'stack')}, ${plural(total, 'resource')}, ${plural(held, 'stateful resource')} (marked **S**).`,
    '',
  );
  // Per stack: totals and the stateful resources by type, the numbers an architect compares with the topology.
  const statefulTypes = [...new Set(stacks.flatMap((s) => s.stateful.map((r) => r.type)))].sort();
  out.push(
    table(
      ['Stack', 'Region', 'Resources', ...statefulTypes.map((t) => `${code(t)} **S**`)],
      stacks.map((s) => [
        s.stack,
        s.region ?? '',
        s.total,
        ...statefulTypes.map((t) => s.stateful.filter((r) => r.type === t).length),
      ]),
      ['l', 'l', 'r', ...statefulTypes.map(() => 'r' as const)],
    ),
    '',
  );
  const types = [...new Set(stacks.flatMap((s) => s.byType.map((b) => b.type)))].sort();
  out.push(
    `<details><summary>Resources by type (${types.length} types)</summary>`,
    '',
    table(
      ['Resource type', ...stacks.map((s) => s.stack)],
      types.map((type) => [
        raw(
          code(type) +
            (stacks.some((s) => s.byType.some((b) => b.type === type && b.stateful > 0)) ? ' **S**' : ''),
        ),
        ...stacks.map((s) => {
          const b = s.byType.find((x) => x.type === type);
          return b ? b.count : '';
        }),
      ]),
      ['l', ...stacks.map(() => 'r' as const)],
    ),
    '',
    '</details>',
    '',
  );
  if (held > 0) {
    out.push(
      '<details><summary>Stateful resources (' + held + ')</summary>',
      '',
      table(
        ['Stack', 'Resource', 'Name', 'Holds', 'prevent_destroy'],
        stacks.flatMap((s) =>
          s.stateful.map((r) => [
            s.stack,
            raw(code(r.address)),
            r.label ?? '',
            r.reason,
            r.protected ? 'yes' : raw('**no**'),
          ]),
        ),
      ),
      '',
      '</details>',
    );
  }
  return out.join('\n').trimEnd();
}
