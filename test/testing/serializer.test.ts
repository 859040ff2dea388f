/**
 * pgtopo/testing's snapshot serializer: Terraform JSON from cdktf or cdktn and review artefacts
 * snapshot the same whatever synthesizer, renderer, Graphviz or Terraform version produced them.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { synthesize } from '../../src/aws/index.js';
import { loadTopology } from '../../src/model/load.js';
import { buildReview, type ReviewArtefacts } from '../../src/review/index.js';
import { pgtopoSerializer, stableReview, stableTerraform } from '../../src/testing/index.js';
import { tempDir } from '../aws/helpers.js';
import { EXAMPLES } from '../helpers/examples.js';

expect.addSnapshotSerializer(pgtopoSerializer);

const stack = (version: string, userData: string) => ({
  '//': { metadata: { backend: 'local', stackName: 'orders-us-east-1', version } },
  resource: {
    aws_instance: {
      node: { instance_type: 'r6i.xlarge', tags: { Name: 'orders-use1-a' }, user_data_base64: userData },
    },
  },
});

describe('Terraform JSON', () => {
  test('the version stamp and rendered user data are left out; the rest is printed as is', () => {
    expect(stack('0.21.0', 'H4sIAAAA')).toMatchInlineSnapshot(`
      {
        "//": {
          "metadata": {
            "backend": "local",
            "stackName": "orders-us-east-1",
          },
        },
        "resource": {
          "aws_instance": {
            "node": {
              "instance_type": "r6i.xlarge",
              "tags": {
                "Name": "orders-use1-a",
              },
              "user_data_base64": "<rendered user data of orders-use1-a>",
            },
          },
        },
      }
    `);
  });

  test('cdktf 0.21 and cdktn 0.24 stamps serialize alike; the input is not changed', () => {
    const a = stack('0.21.0', 'H4sIAAAA');
    expect(stableTerraform(a)).toEqual(stableTerraform(stack('0.24.0', 'H4sIBBBB')));
    expect(a['//'].metadata.version).toBe('0.21.0');
  });

  test("JSON that is not synthesized by cdktf/cdktn is not the serializer's", () => {
    expect(pgtopoSerializer.test({ resource: {} })).toBe(false);
    expect(pgtopoSerializer.test('{"//":{}}')).toBe(false);
    expect(pgtopoSerializer.test(null)).toBe(false);
    expect(pgtopoSerializer.test(stack('0.21.0', ''))).toBe(true);
  });

  const tmp = tempDir('serializer');
  afterAll(() => tmp.cleanup());
  test('a synthesized stack: every instance user data is replaced, nothing else changes', () => {
    const result = synthesize(EXAMPLES.singleRegion, `${tmp.dir}/out`, {
      now: new Date('2026-01-01T00:00:00Z'),
    });
    const json = JSON.parse(readFileSync(result.stacks[0]!.file, 'utf8'));
    const stable = stableTerraform(json);
    expect(stable['//'].metadata.version).toBeUndefined();
    const instances = Object.values(stable.resource.aws_instance) as {
      user_data_base64?: string;
      tags: { Name: string };
    }[];
    expect(instances.length).toBeGreaterThan(0);
    for (const i of instances) expect(i.user_data_base64).toBe(`<rendered user data of ${i.tags.Name}>`);
    const { '//': _a, resource: _b, ...rest } = json;
    const { '//': _c, resource: _d, ...stableRest } = stable;
    expect(stableRest).toEqual(rest);
  });
});

describe('review artefacts', () => {
  let review: ReviewArtefacts;
  beforeAll(async () => {
    review = await buildReview({
      topology: loadTopology(EXAMPLES.singleRegion),
      now: new Date('2026-01-01T00:00:00Z'),
    });
  });

  test('the SVG is left out; markdown, Mermaid and dot are kept', () => {
    const s = stableReview(review);
    expect(s.markdown).toBe(review.markdown);
    expect(s.mermaid).toBe(review.mermaid);
    expect(s.dot).toBe(review.dot);
    expect(s.svg).not.toBe(review.svg);
    expect(s.svg).not.toContain('<svg');
    expect(pgtopoSerializer.test(review)).toBe(true);
  });

  test.each([
    ['Terraform 1.11.4: **2 to add**', 'Terraform <version>: **2 to add**'],
    ['Terraform 1.12.0-beta1: x', 'Terraform <version>: x'],
    ['Terraform validate: x', 'Terraform validate: x'],
  ])('plan line %j → %j', (line, masked) => {
    expect(stableReview({ ...review, markdown: line }).markdown).toBe(masked);
  });
});
