/**
 * Running the fault campaign: as a fast-check property (generated world, scheduler and commands),
 * as a replay of printed data under a deterministic scheduler, and the run counts of CI and of
 * the soak (`TSR_SOAK=1`: 100 times the runs and twice the commands, seed printed; `TSR_SEED=<n>`
 * replays a seed).
 */
import type { Excuse } from './campaign-open-defects.js';
import fc from 'fast-check';
import {
  finish,
  runCommands,
  commandsArbitrary,
  setupArbitrary,
  type CampaignCommand,
  type CampaignInput,
  type CampaignProfile,
  type CommandData,
} from './campaign-commands.js';
import { ReplayScheduler, type ReplayPolicy } from './campaign-scheduler.js';
import { realRegistry, World, type Variant } from './campaign-world.js';

/** True under `TSR_SOAK=1`. */
export const soak = process.env.TSR_SOAK === '1';

/** Runs per property: 500 in CI, 100 times that in the soak. */
export function runsFor(ciRuns: number): number {
  return soak ? ciRuns * 100 : ciRuns;
}

/** The seed of this process's properties: `TSR_SEED`, else a fresh one in the soak, else fast-check's own. */
export const campaignSeed: number | undefined =
  process.env.TSR_SEED !== undefined ? Number.parseInt(process.env.TSR_SEED, 10) : soak ? Math.floor(Math.random() * 2 ** 31) : undefined;

/** The seed CI replays (so `npm test` is deterministic) unless `TSR_SEED` or the soak picks another. */
export const runSeed: number = campaignSeed ?? 20_261_201;

/** The profile as run: the soak doubles the commands per run. */
export function sized(profile: CampaignProfile): CampaignProfile {
  return soak ? { ...profile, maxCommands: profile.maxCommands * 2 } : profile;
}

/** The campaign as a fast-check property of `variant` under `profile`. */
export function campaignProperty(profile: CampaignProfile, variant: Variant = realRegistry, observe?: (world: World) => void) {
  return fc.asyncProperty(setupArbitrary(profile), fc.scheduler(), commandsArbitrary(profile), async (setup, scheduler, commands) => {
    const world = new World(setup, scheduler, variant, profile.excuse);
    try {
      await fc.asyncModelRun(() => ({ model: {}, real: world }), commands);
      await finish(world);
    } catch (error) {
      // Which command the failure came after, and the whole run as data a replay test can paste.
      if (error instanceof Error) {
        error.message += `\n  after: ${world.history.slice(-3).join(' ; ')}\n  input: ${JSON.stringify({ ...setup, commands: commandData(commands) })}`;
      }
      throw error;
    } finally {
      observe?.(world);
      world.dispose();
    }
  });
}

/**
 * The commands of a counterexample as data (fast-check wraps each generated command, the wrapper
 * keeps the original as `cmd`).
 */
export function commandData(commands: Iterable<unknown>): CommandData[] {
  return [...commands].map((command) => ((command as { cmd?: CampaignCommand }).cmd ?? (command as CampaignCommand)).data);
}

/** Replays printed data under a deterministic scheduler; rejects with the first broken invariant. */
export async function replay(input: CampaignInput, policy: ReplayPolicy = 'fifo', variant: Variant = realRegistry, excuse?: Excuse): Promise<void> {
  const world = new World(input, new ReplayScheduler(policy), variant, excuse);
  try {
    await runCommands(world, input.commands);
  } catch (error) {
    if (world.violations.trace !== undefined && error instanceof Error) error.message += `\n  trace:\n    ${world.violations.trace.join('\n    ')}`;
    throw error;
  } finally {
    world.dispose();
  }
}

export { finish };
