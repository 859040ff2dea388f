/** A minimal valid spec, and a helper to derive variants from it. */
import type { TopologySpecInput } from '../../src/spec/schema.js';

export function baseSpec(): TopologySpecInput {
  return {
    name: 'orders',
    primaryRegion: 'us-east-1',
    regions: [
      {
        name: 'us-east-1',
        cidr: '10.10.0.0/16',
        azs: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        members: [
          { name: 'use1-a', az: 'us-east-1a' },
          { name: 'use1-b', az: 'us-east-1b' },
          { name: 'use1-c', az: 'us-east-1c' },
        ],
      },
    ],
  };
}

/** A structured clone of baseSpec() passed through `edit`, for one-line variants in tables. */
export function variant(edit: (s: Record<string, any>) => void): unknown {
  const s = structuredClone(baseSpec()) as Record<string, any>;
  edit(s);
  return s;
}
