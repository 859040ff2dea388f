/**
 * Summary of a `terraform show -json <planfile>` document: creates, updates,
 * replacements and destroys, from `resource_changes[].change.actions`, with
 * every replacement or destroy of a stateful resource called out. Attribute
 * values are never printed (sensitive or not): only addresses, types, the names
 * of changed attributes, and a resource's own name (its `Name` tag, bucket name
 * or description) to identify it.
 */
import { basename } from 'node:path';
import { code, plural, raw, table } from './markdown.js';
import { disruption, resourceLabel, statefulReason } from './stateful.js';

export type PlanAction = 'create' | 'update' | 'replace' | 'destroy' | 'read' | 'no-op' | 'forget';

export interface PlannedChange {
  readonly address: string;
  readonly type: string;
  readonly action: PlanAction;
  /** For a replacement: whether the old object is destroyed before the new one exists. */
  readonly order?: 'destroy-before-create' | 'create-before-destroy';
  /** Attributes that force the replacement (`replace_paths`), as dotted paths. */
  readonly replacePaths?: readonly string[];
  /** Terraform's `action_reason`, e.g. `replace_because_cannot_update`. */
  readonly reason?: string;
  /** Top-level attributes whose planned value differs (updates and replacements). */
  readonly changedAttributes?: readonly string[];
  /** What is lost when this resource is replaced or destroyed; undefined for stateless resources. */
  readonly stateful?: string;
  /** What replacing or destroying this stateless resource still disrupts (a member restart). */
  readonly disruption?: string;
  /** The resource's `Name` tag, bucket name or description. */
  readonly label?: string;
}

export interface PlanSummary {
  /** A name for the plan: the file name, with the stack's region when the configuration names one. */
  readonly name: string;
  readonly terraformVersion?: string;
  readonly region?: string;
  readonly counts: Readonly<Record<PlanAction, number>>;
  /** Every change except no-ops and reads, in plan order. */
  readonly changes: readonly PlannedChange[];
  /** Replacements and destroys of stateful resources: the top of the report. */
  readonly statefulLosses: readonly PlannedChange[];
  /** Whether the plan was made with errors (`errored: true`): it is incomplete. */
  readonly errored: boolean;
}

/** A file that is not a `terraform show -json` plan. */
export class PlanFormatError extends Error {}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Maps Terraform's action list to one action. */
export function classifyActions(actions: readonly string[]): {
  action: PlanAction;
  order?: PlannedChange['order'];
} {
  const key = actions.join(',');
  switch (key) {
    case 'no-op':
      return { action: 'no-op' };
    case 'create':
      return { action: 'create' };
    case 'read':
      return { action: 'read' };
    case 'update':
      return { action: 'update' };
    case 'delete':
      return { action: 'destroy' };
    case 'delete,create':
      return { action: 'replace', order: 'destroy-before-create' };
    case 'create,delete':
      return { action: 'replace', order: 'create-before-destroy' };
    case 'forget':
      return { action: 'forget' };
    default:
      throw new PlanFormatError(`unknown change actions [${actions.join(', ')}]`);
  }
}

function pathText(path: unknown): string {
  return Array.isArray(path)
    ? path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`)).join('')
    : String(path);
}

const IGNORED_ATTRIBUTES = new Set(['tags_all']);

function changedAttributes(change: Json): string[] {
  const before = isObject(change.before) ? change.before : {};
  const after = isObject(change.after) ? change.after : {};
  const unknown = isObject(change.after_unknown) ? change.after_unknown : {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((k) => {
    if (IGNORED_ATTRIBUTES.has(k)) return false;
    const b = before[k] ?? null;
    const a = after[k] ?? null;
    // An attribute known only after apply changes unless it was unset before and stays unset in config.
    if (unknown[k] === true) return b !== null;
    return JSON.stringify(b) !== JSON.stringify(a);
  });
}

/** The resource's name, unless the plan marks the attribute it comes from as sensitive. */
function labelOf(change: Json): string | undefined {
  const [values, mask] = isObject(change.before)
    ? [change.before, change.before_sensitive]
    : [change.after, change.after_sensitive];
  const label = resourceLabel(values);
  if (!label || !isObject(values)) return undefined;
  if (mask === true) return undefined;
  if (isObject(mask)) {
    const tags = mask.tags;
    if (tags === true || (isObject(tags) && (tags.Name === true || tags.name === true))) return undefined;
    if (mask.bucket === true || mask.description === true) return undefined;
  }
  return label;
}

function regionOf(doc: Json): string | undefined {
  const cfg = isObject(doc.configuration) ? doc.configuration : undefined;
  const providers = isObject(cfg?.provider_config) ? cfg.provider_config : undefined;
  for (const [k, p] of Object.entries(providers ?? {})) {
    if (!k.startsWith('aws') || !isObject(p) || !isObject(p.expressions)) continue;
    const region = p.expressions.region;
    if (isObject(region) && typeof region.constant_value === 'string') return region.constant_value;
  }
  return undefined;
}

/** Parses a `terraform show -json` plan document. Throws PlanFormatError when it is not one. */
export function parsePlan(doc: unknown, source: string): PlanSummary {
  if (!isObject(doc) || typeof doc.format_version !== 'string') {
    throw new PlanFormatError(
      `${source}: not a Terraform plan in JSON (expected the output of \`terraform show -json <planfile>\`, an object with format_version)`,
    );
  }
  if (doc.resource_changes !== undefined && !Array.isArray(doc.resource_changes)) {
    throw new PlanFormatError(`${source}: resource_changes is not a list`);
  }
  if (doc.planned_values === undefined && doc.resource_changes === undefined) {
    throw new PlanFormatError(
      `${source}: a state, not a plan (no planned_values or resource_changes): run \`terraform show -json <planfile>\``,
    );
  }
  const counts: Record<PlanAction, number> = {
    create: 0,
    update: 0,
    replace: 0,
    destroy: 0,
    read: 0,
    'no-op': 0,
    forget: 0,
  };
  const changes: PlannedChange[] = [];
  for (const [i, rc] of ((doc.resource_changes as unknown[]) ?? []).entries()) {
    if (!isObject(rc) || !isObject(rc.change) || !Array.isArray(rc.change.actions)) {
      throw new PlanFormatError(`${source}: resource_changes[${i}] has no change.actions`);
    }
    if (rc.mode === 'data') continue;
    const address = String(rc.address);
    const type = String(rc.type);
    const { action, order } = classifyActions(rc.change.actions.map(String));
    counts[action]++;
    if (action === 'no-op' || action === 'read') continue;
    const before = rc.change.before;
    const after = rc.change.after;
    const stateful = statefulReason(type, isObject(before) ? before : after);
    const disrupts = stateful ? undefined : disruption(type, isObject(before) ? before : after);
    const label = labelOf(rc.change);
    const replacePaths = Array.isArray(rc.change.replace_paths) ? rc.change.replace_paths.map(pathText) : [];
    changes.push({
      address,
      type,
      action,
      ...(order ? { order } : {}),
      ...(replacePaths.length > 0 ? { replacePaths } : {}),
      ...(typeof rc.action_reason === 'string' ? { reason: rc.action_reason } : {}),
      ...(action === 'update' || action === 'replace'
        ? { changedAttributes: changedAttributes(rc.change) }
        : {}),
      ...(stateful ? { stateful } : {}),
      ...(disrupts && (action === 'replace' || action === 'destroy') ? { disruption: disrupts } : {}),
      ...(label ? { label } : {}),
    });
  }
  const region = regionOf(doc);
  return {
    name: basename(source),
    ...(typeof doc.terraform_version === 'string' ? { terraformVersion: doc.terraform_version } : {}),
    ...(region ? { region } : {}),
    counts,
    changes,
    statefulLosses: changes.filter((c) => c.stateful && (c.action === 'replace' || c.action === 'destroy')),
    errored: doc.errored === true,
  };
}

function countsLine(p: PlanSummary): string {
  const c = p.counts;
  return (
    `${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.destroy} to destroy` +
    (c.forget > 0 ? `, ${c.forget} to forget` : '') +
    ` (${c['no-op']} unchanged)`
  );
}

/** Terraform's `action_reason` values, in words. */
const REASONS: Readonly<Record<string, string>> = {
  replace_because_tainted: 'tainted',
  replace_because_cannot_update: 'an attribute cannot change in place',
  replace_by_request: '`-replace` requested',
  replace_by_triggers: '`replace_triggered_by`',
  delete_because_no_resource_config: 'removed from the configuration',
  delete_because_no_module: 'its module was removed',
  delete_because_wrong_repetition: 'count/for_each changed',
  delete_because_count_index: 'count index out of range',
  delete_because_each_key: 'for_each key removed',
  delete_because_no_move_target: 'moved target missing',
};

export function reasonText(reason: string | undefined): string {
  return reason === undefined ? '' : (REASONS[reason] ?? reason);
}

function lossText(c: PlannedChange): string {
  return c.action === 'destroy'
    ? 'destroyed'
    : c.order === 'create-before-destroy'
      ? 'replaced (new one created first, then the old one destroyed)'
      : 'replaced (destroyed first, then created empty)';
}

/** The callout lines for the top of the report (empty when nothing stateful is lost). */
export function renderStatefulCallout(plans: readonly PlanSummary[]): string {
  const losses = plans.flatMap((p) => p.statefulLosses.map((c) => ({ p, c })));
  if (losses.length === 0) return '';
  return [
    '> [!CAUTION]',
    `> **The plan replaces or destroys ${plural(losses.length, 'stateful resource')}.** Data on them is lost unless restored from a backup or re-cloned:`,
    '>',
    ...losses.map(
      ({ p, c }) =>
        `> - ${code(c.address)}${c.label ? ` (${c.label})` : ''} in ${p.region ?? p.name}: **${lossText(c)}**` +
        (c.replacePaths
          ? `, forced by ${c.replacePaths.map(code).join(', ')}`
          : c.reason
            ? ` (${reasonText(c.reason)})`
            : '') +
        `. ${c.stateful}.`,
    ),
  ].join('\n');
}

/** The `## Plan` section body. */
export function renderPlans(plans: readonly PlanSummary[]): string {
  if (plans.length === 0) {
    return 'No plan supplied. Run `terraform plan -out=plan.bin && terraform show -json plan.bin > plan.json` in each stack directory and pass `--plan plan.json` (once per stack) to summarize what the change does.';
  }
  const out: string[] = [];
  for (const p of plans) {
    out.push(
      `### ${p.region ? `${p.region} (${code(p.name)})` : code(p.name)}`,
      '',
      `${p.terraformVersion ? `Terraform ${p.terraformVersion}: ` : ''}**${countsLine(p)}**.` +
        (p.errored ? ' **The plan errored: it is incomplete.**' : ''),
      '',
    );
    const risky = p.changes.filter((c) => c.action === 'replace' || c.action === 'destroy');
    if (risky.length > 0) {
      out.push(
        table(
          ['Resource', 'Action', 'Forced by', 'Data'],
          risky.map((c) => [
            raw(code(c.address) + (c.label ? `<br>${c.label}` : '')),
            c.action === 'destroy' ? '**destroy**' : raw(`**replace** (${c.order})`),
            c.replacePaths ? raw(c.replacePaths.map(code).join(', ')) : reasonText(c.reason),
            c.stateful
              ? raw(`**lost**: ${c.stateful}`)
              : c.disruption
                ? `kept; ${c.disruption}`
                : 'none held',
          ]),
        ),
        '',
      );
    }
    const updates = p.changes.filter((c) => c.action === 'update');
    if (updates.length > 0) {
      out.push(
        '<details><summary>Updates in place (' + updates.length + ')</summary>',
        '',
        table(
          ['Resource', 'Attributes'],
          updates.map((c) => [raw(code(c.address)), raw((c.changedAttributes ?? []).map(code).join(', '))]),
        ),
        '',
        '</details>',
        '',
      );
    }
    const creates = p.changes.filter((c) => c.action === 'create');
    if (creates.length > 0) {
      const byType = new Map<string, number>();
      for (const c of creates) byType.set(c.type, (byType.get(c.type) ?? 0) + 1);
      out.push(
        `Creates: ${[...byType.entries()]
          // Code-unit order on ties: the same on every machine, whatever its locale.
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
          .map(([t, n]) => `${n} ${code(t)}`)
          .join(', ')}.`,
        '',
      );
    }
  }
  return out.join('\n').trimEnd();
}
