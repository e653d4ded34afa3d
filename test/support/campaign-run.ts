/**
 * Running the fault campaign: as a fast-check property (generated world, scheduler and commands),
 * as a replay of printed data under a deterministic scheduler, and the run counts of CI and of
 * the soak (`TSR_SOAK=1`: 100 times the runs and twice the commands, seed printed; `TSR_SEED=<n>`
 * replays a seed).
 */
import fc from 'fast-check';
import {
  finish,
  runCommands,
  commandsArbitrary,
  setupArbitrary,
  CampaignCommand,
  type CampaignInput,
  type CampaignProfile,
  type CommandData,
} from './campaign-commands.js';
import { ReplayScheduler, type ReplayPolicy } from './campaign-scheduler.js';
import type { Excuse } from './campaign-open-defects.js';
import { attributedRejections, realRegistry, World, type Variant } from './campaign-world.js';

/** True under `TSR_SOAK=1`, or when run as `npm run test:soak`. */
export const soak = process.env.TSR_SOAK === '1' || process.env.npm_lifecycle_event === 'test:soak';

/** Runs per property: 500 in CI, 100 times that in the soak; `TSR_RUNS=<n>` sets it outright. */
export function runsFor(ciRuns: number): number {
  if (process.env.TSR_RUNS !== undefined) return Number.parseInt(process.env.TSR_RUNS, 10);
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

/**
 * Replays a fast-check counterexample exactly: its input, run the way the property runs it
 * (`fc.asyncModelRun`), under `fc.schedulerFor(ordering)`, the task ids in the order the failing
 * run released them (read off the printed counterexample's scheduler report). Holds as long as the
 * code under test schedules the same tasks.
 */
export async function replayOrdering(input: CampaignInput, ordering: readonly number[], excuse?: Excuse): Promise<void> {
  const world = new World(input, fc.schedulerFor([...ordering]), realRegistry, excuse);
  try {
    await fc.asyncModelRun(() => ({ model: {}, real: world }), input.commands.map((data) => new CampaignCommand(data)));
    await finish(world);
  } finally {
    world.dispose();
  }
}

/**
 * The unhandled promise rejections `run` causes (a Node process exits on one by default). The test
 * runner's own listeners are set aside meanwhile, so a rejection the campaign reports itself (each
 * world records those of its run) or a recorded defect does not fail the file a second time.
 */
export async function unhandledRejectionsOf(run: () => Promise<unknown>): Promise<unknown[]> {
  const saved = process.listeners('unhandledRejection');
  process.removeAllListeners('unhandledRejection');
  const seen: unknown[] = [];
  const record = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', record);
  try {
    await run().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('unhandledRejection', record);
    for (const listener of saved) process.on('unhandledRejection', listener);
  }
  return seen;
}

/**
 * Runs a campaign property: rejections nobody handles are the campaign's to report (each world
 * checks those of its run); any that arrive outside every run fail here.
 */
export async function assertCampaign<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncProperty<Ts>, parameters: fc.Parameters<Ts>): Promise<void> {
  let failure: unknown;
  const stray = await unhandledRejectionsOf(async () => {
    try {
      await fc.assert(property, parameters);
    } catch (error) {
      failure = error;
    }
  });
  if (failure !== undefined) throw failure;
  const unattributed = stray.filter((reason) => !(typeof reason === 'object' && reason !== null && attributedRejections.has(reason)));
  if (unattributed.length > 0) throw new Error(`[I6] ${unattributed.length} unhandled rejection(s) outside any run: ${String(unattributed[0])}`);
}

export { finish };
