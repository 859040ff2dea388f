/** Every fleet rule, in report order. One rule per file; each is judged over the whole fleet. */
import { rule as citusIsHashSharded } from './fleet-citus-is-hash-sharded.js';
import { rule as colocatedTablesShareKeyType } from './fleet-colocated-tables-share-key-type.js';
import { rule as growthKeepsKeysInPlace } from './fleet-growth-keeps-keys-in-place.js';
import { rule as keySpaceIsCoveredOnce } from './fleet-key-space-is-covered-once.js';
import { rule as peeringsFitTheVpcQuota } from './fleet-peerings-fit-the-vpc-quota.js';
import { rule as routingTierIsHa } from './fleet-routing-tier-is-ha.js';
import type { FleetRule } from './fleet-rule.js';
import { rule as shardsAdmitTheRoutingTier } from './fleet-shards-admit-the-routing-tier.js';
import { rule as slotCountIsAPowerOfTwo } from './fleet-slot-count-is-a-power-of-two.js';
import { rule as uniqueKeysIncludeTheShardKey } from './fleet-unique-keys-include-the-shard-key.js';

export const FLEET_RULES: readonly FleetRule[] = [
  slotCountIsAPowerOfTwo,
  keySpaceIsCoveredOnce,
  uniqueKeysIncludeTheShardKey,
  colocatedTablesShareKeyType,
  routingTierIsHa,
  growthKeepsKeysInPlace,
  citusIsHashSharded,
  shardsAdmitTheRoutingTier,
  peeringsFitTheVpcQuota,
];
