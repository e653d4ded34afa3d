/**
 * `ticks`: the price path. S live stops (one per symbol), T `updatePrice` calls on a seeded random
 * walk, no exchange work in the timed loop. Compared with `baseline`: a bare loop over typed
 * arrays doing the same policy math (peak, stop = peak x (1 - d), trigger check) with no registry.
 *
 * The walk is generated before timing: each tick picks a symbol uniformly at random (a
 * multiplexed websocket feed) and moves its price by a uniform step of at most ±0.1%. Stops trail
 * at 10% from the start (activation at entry), so none triggers and every stop stays live. The
 * registry's throttle keeps exchange work out of the loop: a move arms one throttle timer per stop
 * (`minUpdateIntervalMs` 1 h, emergency bypass at 50%), and nothing is placed while it runs.
 */
import { PaperExchange } from '../../src/placers/paper.js';
import { TrailingStopRegistry } from '../../src/registry/registry.js';
import { seededRandom } from '../support/random.js';
import { collectGarbage, now } from '../support/timing.js';
import { repeat, type Scenario } from './scenario.js';

const callbackPercent = 10;
const maxStepPercent = 0.1;
const entryPrice = 100;

/** The precomputed feed: which stop each tick is for, and its price. */
interface Walk {
  readonly symbols: string[];
  readonly stopIndex: Uint32Array;
  readonly prices: Float64Array;
}

function makeWalk(stops: number, ticks: number, seed: number): Walk {
  const random = seededRandom(seed);
  const current = new Float64Array(stops).fill(entryPrice);
  const stopIndex = new Uint32Array(ticks);
  const prices = new Float64Array(ticks);
  for (let tick = 0; tick < ticks; tick++) {
    const index = Math.floor(random() * stops);
    const price = current[index]! * (1 + ((2 * random() - 1) * maxStepPercent) / 100);
    current[index] = price;
    stopIndex[tick] = index;
    prices[tick] = price;
  }
  return { symbols: Array.from({ length: stops }, (_, index) => `TICK${index}`), stopIndex, prices };
}

/** What one tick loop observed (both sides must agree on moves and triggers). */
interface TickRun {
  readonly ticksPerSecond: number;
  readonly moves: number;
  readonly triggers: number;
}

async function registryRun(walk: Walk): Promise<TickRun> {
  const exchange = new PaperExchange({ latencyMs: 0 });
  const registry = new TrailingStopRegistry({
    placer: exchange,
    concurrency: 50,
    owner: 'bench',
    minUpdateIntervalMs: 3_600_000,
    emergencyImprovementPercent: 50,
  });
  const created = await registry.createMany(
    walk.symbols.map((symbol) => ({ symbol, side: 'long' as const, entryPrice, quantity: 1, activationPercent: 0, callbackPercent })),
  );
  const failed = created.filter((result) => result.status === 'rejected').length;
  if (failed > 0) throw new Error(`ticks: ${failed} stops could not be created`);
  await registry.onIdle();
  const callsBefore = exchange.calls.placeStop + exchange.calls.cancelStop;
  const movesBefore = registry.stats.moves;
  const { symbols, stopIndex, prices } = walk;
  const ticks = prices.length;
  // The stops were just created: collect first, so the timed loop does not pay for promoting them
  // (the steady state of a bot whose stops live for minutes, not microseconds).
  collectGarbage();
  const start = now();
  for (let tick = 0; tick < ticks; tick++) registry.updatePrice(symbols[stopIndex[tick]!]!, prices[tick]!);
  const elapsed = now() - start;
  const stats = registry.stats;
  const callsDuring = exchange.calls.placeStop + exchange.calls.cancelStop - callsBefore;
  await registry.close();
  if (callsDuring > 0) throw new Error(`ticks: the registry made ${callsDuring} exchange calls during the loop; the throttle should prevent them`);
  return { ticksPerSecond: (ticks / elapsed) * 1_000, moves: stats.moves - movesBefore, triggers: stats.triggered };
}

/**
 * One pass of the bare loop. A pass takes a few tens of milliseconds, short enough for timer and
 * scheduling noise to matter, so a baseline run is the median of {@link baselinePasses} passes.
 */
function baselinePass(walk: Walk): TickRun {
  const count = walk.symbols.length;
  const distance = 1 - callbackPercent / 100;
  const peak = new Float64Array(count).fill(entryPrice);
  const stop = new Float64Array(count).fill(entryPrice * distance);
  const triggered = new Uint8Array(count);
  const { stopIndex, prices } = walk;
  const ticks = prices.length;
  let moves = 0;
  let triggers = 0;
  const start = now();
  for (let tick = 0; tick < ticks; tick++) {
    const index = stopIndex[tick]!;
    if (triggered[index] === 1) continue;
    const price = prices[tick]!;
    if (price > peak[index]!) {
      peak[index] = price;
      const candidate = price * distance;
      if (candidate > stop[index]!) {
        stop[index] = candidate;
        moves++;
      }
    }
    if (price <= stop[index]!) {
      triggered[index] = 1;
      triggers++;
    }
  }
  const elapsed = now() - start;
  return { ticksPerSecond: (ticks / elapsed) * 1_000, moves, triggers };
}

const baselinePasses = 5;

function baselineRun(walk: Walk): TickRun {
  const passes = Array.from({ length: baselinePasses }, () => baselinePass(walk));
  passes.sort((left, right) => left.ticksPerSecond - right.ticksPerSecond);
  return passes[Math.floor(baselinePasses / 2)]!;
}

export const ticks: Scenario = {
  name: 'ticks',
  description: 'updatePrice throughput on live stops versus a bare typed-array loop doing the same policy math',
  async run(context) {
    const stops = context.quick ? 1_000 : 10_000;
    const tickCount = context.quick ? 200_000 : 2_000_000;
    const repetitions = context.quick ? 1 : 5;
    context.progress('ticks: generating the walk');
    const walk = makeWalk(stops, tickCount, 0x5eed);
    const checks = new Map<string, { moves: number; triggers: number }>();
    // One untimed run of each first, so both loops are compiled before any is timed.
    context.progress('ticks: warm-up');
    await registryRun(walk);
    baselineRun(walk);
    const strategies = await repeat(context, 'ticks', ['registry', 'baseline'] as const, repetitions, async (name) => {
      const run = name === 'registry' ? await registryRun(walk) : baselineRun(walk);
      checks.set(name, { moves: run.moves, triggers: run.triggers });
      return { ticksPerSecond: run.ticksPerSecond };
    });
    const registryTicks = strategies.registry.ticksPerSecond!;
    const baselineTicks = strategies.baseline.ticksPerSecond!;
    // The ratio of medians, with the range from the extremes (min/max and max/min).
    const ratio = {
      median: registryTicks.median / baselineTicks.median,
      min: registryTicks.min / baselineTicks.max,
      max: registryTicks.max / baselineTicks.min,
      samples: registryTicks.samples.map((value, index) => value / baselineTicks.samples[index]!),
    };
    const registryCheck = checks.get('registry')!;
    const baselineCheck = checks.get('baseline')!;
    const agree = registryCheck.moves === baselineCheck.moves && registryCheck.triggers === baselineCheck.triggers;
    return {
      name: 'ticks',
      description: this.description,
      parameters: {
        stops,
        symbols: stops,
        ticks: tickCount,
        callbackPercent,
        maxStepPercent,
        seed: 0x5eed,
        minUpdateIntervalMs: 3_600_000,
        emergencyImprovementPercent: 50,
        latencyMs: 0,
        repetitions,
      },
      repetitions,
      strategies: { registry: { ...strategies.registry, ratio }, baseline: strategies.baseline },
      notes: [
        `One stop per symbol (${stops} symbols); ticks pick a symbol uniformly at random. A baseline run is the median of ${baselinePasses} passes over the walk ` +
          '(one pass lasts tens of ms); a registry run is one pass (its stops keep their state).',
        `Policy outcome per loop: registry ${registryCheck.moves} stop moves and ${registryCheck.triggers} triggers, ` +
          `baseline ${baselineCheck.moves} and ${baselineCheck.triggers}${agree ? ' (identical)' : ' (DIFFERENT: check the baseline)'}.`,
      ],
    };
  },
};
