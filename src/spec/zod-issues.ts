/**
 * zod issues -> pgtopo SpecIssues: a stable code, the path, what was found and
 * what is expected, plus did-you-mean hints for misspelled keys and values.
 */
import type { z } from 'zod';
import { describeValue, type PathSegment, type SpecIssue, valueAt } from './issues.js';
import { SPEC_LIMITS } from './limits.js';
import { closest } from './suggest.js';

type ZodIssue = z.core.$ZodIssue;

/** Keys an object at `path` accepts, read from the schema's JSON shape (for did-you-mean). */
export type KnownKeys = (path: readonly PathSegment[], value: unknown) => readonly string[];

export function fromZodIssues(
  issues: readonly ZodIssue[],
  input: unknown,
  knownKeys: KnownKeys,
): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const issue of issues) out.push(...convert(issue, input, knownKeys));
  return out;
}

function convert(issue: ZodIssue, input: unknown, knownKeys: KnownKeys): SpecIssue[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
  const found = describeValue(valueAt(input, path));
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(path, valueAt(input, path));
      // Keys past the issue cap are only counted (see capIssues): no suggestion is computed for them.
      return issue.keys.map((key, i) => {
        const suggestion = i < SPEC_LIMITS.maxIssues ? closest(key, known) : undefined;
        return {
          code: 'unknown_key' as const,
          path: [...path, key],
          found: `unknown key ${describeValue(key)}`,
          expected: known.length ? `one of ${known.join(', ')}` : 'no further keys',
          ...(suggestion ? { hint: `did you mean ${JSON.stringify(suggestion)}?` } : {}),
        };
      });
    }
    case 'invalid_type':
      return [
        {
          code: 'invalid_type',
          path,
          found: valueAt(input, path) === undefined ? 'nothing (required)' : found,
          expected: `a value of type ${issue.expected}`,
        },
      ];
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      const raw = valueAt(input, path);
      const suggestion =
        typeof raw === 'string'
          ? closest(
              raw,
              issue.values.filter((v): v is string => typeof v === 'string'),
            )
          : undefined;
      return [
        {
          code: 'invalid_value',
          path,
          found,
          expected: values.length === 1 ? values[0]! : `one of ${values.join(', ')}`,
          ...(suggestion ? { hint: `did you mean ${JSON.stringify(suggestion)}?` } : {}),
        },
      ];
    }
    case 'invalid_format':
      return [{ code: 'invalid_format', path, found, expected: issue.message }];
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const inclusive = issue.inclusive !== false;
      const rel =
        issue.code === 'too_small'
          ? inclusive
            ? 'at least'
            : 'more than'
          : inclusive
            ? 'at most'
            : 'less than';
      const unit = issue.origin === 'array' ? ' item(s)' : issue.origin === 'string' ? ' character(s)' : '';
      return [{ code: issue.code, path, found, expected: `${rel} ${String(bound)}${unit}` }];
    }
    case 'invalid_union': {
      // Discriminated unions report the discriminator; other unions: the first branch's own issues.
      if (issue.errors.length === 0) {
        return [{ code: 'invalid_union', path, found, expected: issue.message }];
      }
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0]!;
      return best.flatMap((inner) =>
        convert({ ...inner, path: [...issue.path, ...inner.path] }, input, knownKeys),
      );
    }
    case 'invalid_key':
    case 'invalid_element':
      return issue.issues.flatMap((inner) =>
        convert({ ...inner, path: [...issue.path, ...inner.path] } as ZodIssue, input, knownKeys),
      );
    default:
      return [{ code: 'custom', path, found, expected: issue.message }];
  }
}
