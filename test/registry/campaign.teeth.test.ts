/**
 * The fault campaign has teeth: the same property, narrowed to what each mechanism guards, turns
 * red against a naive variant (test/naive/) or a mutation injected through a public seam
 * (test/support/campaign-mutations.ts), naming the invariant it broke, while the real registry
 * passes the same narrowed property (the control). Shrinking is skipped: finding one
 * counterexample is the point.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fullProfile, type CampaignProfile } from '../support/campaign-commands.js';
import { assertCampaign, campaignProperty, runSeed } from '../support/campaign-run.js';
import { realRegistry, type Variant } from '../support/campaign-world.js';
import { casIgnoresVersion, dropsCleanupRetry, dropsLateAnswerCancel } from '../support/campaign-mutations.js';
import { doubleCheckVariant } from '../naive/double-check-subject.js';
import { noSingleFlightVariant } from '../naive/no-single-flight-registry.js';
import { noCompensationVariant } from '../naive/no-compensation.js';
import { cancelThenPlaceVariant } from '../naive/cancel-then-place.js';
import { openDefectExcuse } from '../support/campaign-open-defects.js';

/** A profile with only these commands, no faults, uniform specs, fast-check settles in between. */
function narrow(commands: CampaignProfile['commands'], overrides: Partial<CampaignProfile> = {}): CampaignProfile {
  return {
    ...fullProfile,
    commands,
    placerFaults: [],
    storeFaults: [],
    uniformSpecs: true,
    invalidPercent: 0,
    maxCommands: 16,
    // Open defects are excused (test/support/campaign-open-defects.ts): a tooth must bite elsewhere.
    excuse: openDefectExcuse,
    ...overrides,
  };
}

const runs = { variant: 300, control: 100 };

interface Tooth {
  readonly variant: Variant;
  readonly profile: CampaignProfile;
  /** What the campaign must report against the variant. */
  readonly broken: RegExp;
}

const teeth: Tooth[] = [
  {
    variant: doubleCheckVariant,
    profile: narrow({ create: 5, remove: 2, settle: 2 }),
    broken: /\[I2\]/,
  },
  {
    variant: noSingleFlightVariant,
    profile: narrow({ create: 5, settle: 1 }, { registries: { min: 1, max: 2 } }),
    broken: /\[I1\]|\[I4\]/,
  },
  {
    variant: noCompensationVariant,
    profile: narrow({ create: 4, remove: 3, settle: 2 }),
    broken: /\[I2\]/,
  },
  {
    variant: cancelThenPlaceVariant,
    profile: narrow(
      { create: 2, price: 4, settle: 2 },
      { registries: { min: 1, max: 1 }, placerFaults: ['reject'], faultTargets: { placer: ['placeStop'], maxCall: 3 }, rulesPerSlot: { placer: 2, store: 0 }, amend: [false] },
    ),
    broken: /\[failed\]|\[I2\]/,
  },
  {
    variant: casIgnoresVersion,
    profile: narrow({ create: 3, price: 4, remove: 1, settle: 2 }, { registries: { min: 2, max: 3 } }),
    broken: /\[I4|\[I2\]|\[I5/,
  },
  {
    variant: dropsLateAnswerCancel,
    profile: narrow(
      { create: 4, settle: 1 },
      { registries: { min: 1, max: 1 }, placerFaults: ['late', 'reject'], faultTargets: { placer: ['placeStop'], maxCall: 2 }, rulesPerSlot: { placer: 2, store: 0 } },
    ),
    broken: /\[I2\]/,
  },
  {
    variant: dropsCleanupRetry,
    profile: narrow(
      { create: 3, price: 3, remove: 2, settle: 2 },
      { registries: { min: 1, max: 2 }, placerFaults: ['unavailable'], faultTargets: { placer: ['cancelStop'], maxCall: 3 }, rulesPerSlot: { placer: 2, store: 0 } },
    ),
    broken: /\[I2\]|\[failed\]/,
  },
];

describe('fault campaign teeth', () => {
  for (const { variant, profile, broken } of teeth) {
    it(`turns red against ${variant.name}, and the real registry passes the same property`, async () => {
      const red = await fc.check(campaignProperty(profile, variant), { numRuns: runs.variant, endOnFailure: true, seed: runSeed });
      expect(red.failed, `the campaign found no counterexample against ${variant.name}`).toBe(true);
      expect(String((red.errorInstance as Error | undefined)?.message)).toMatch(broken);
      await assertCampaign(campaignProperty(profile, realRegistry), { numRuns: runs.control, seed: runSeed });
    }, 120_000);
  }
});
