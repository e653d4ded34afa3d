/**
 * `spike`: a fast market against a venue that enforces its rate limit. 300 stops on 300 symbols
 * trail 1 % behind a trend (every symbol rises 0.1 % every 100 ms for 10 s); the PaperExchange
 * accepts 50 requests per second and answers 429 (`ExchangeUnavailableError` with `retryAfterMs`)
 * beyond, at 20 ms latency; moves are make-before-break (Binance-like: two requests per move); 20
 * new positions open in the middle of the spike. Strategies, side by side:
 * - `registry`: `rateLimit` matching the venue (the budget spent by risk);
 * - `unbudgeted`: today's defaults, no `rateLimit`;
 * - `round-robin`: the same budget spent in arrival order (`order: 'arrival'`, a plain limiter).
 *
 * Everything runs on a simulated clock (the registry, its budget and the venue share it), so the
 * figures are exact and the same on any machine: this scenario measures decisions, not CPU.
 * The policy's target of each stop is computed independently (1 % under the price, which only
 * rises), so a stop the registry gave up on still counts with the lag it really has.
 */
import { PaperExchange } from '../../src/placers/paper.js';
import { TrailingStopRegistry } from '../../src/registry/registry.js';
import type { CreateStopSpec } from '../../src/policy/create-spec.js';
import type { RateLimit } from '../../src/exchange/order-budget.js';
import { totalCalls } from '../support/placers.js';
import { seededRandom } from '../support/random.js';
import { now } from '../support/timing.js';
import { VirtualClock } from '../support/virtual-clock.js';
import { repeat, type Scenario } from './scenario.js';

/** Names of the strategies, as they appear in the results. */
export type SpikeStrategy = 'registry' | 'unbudgeted' | 'round-robin';

const strategies: readonly SpikeStrategy[] = ['registry', 'unbudgeted', 'round-robin'];

const stopCount = 300;
const newPositions = 20;
const tickMs = 100;
const tickPercent = 0.1;
const spikeMs = 10_000;
const newPositionsAtMs = 5_000;
const latencyMs = 20;
const venueLimit = { requests: 50, intervalMs: 1_000 } as const;
const callbackPercent = 1;
const sampleMs = 10;
/** How long after the spike a new position may still become protected before it counts as never. */
const protectionLimitMs = 30_000;

/** What one run measured. */
interface SpikeRun {
  readonly rateLimitErrors: number;
  readonly requests: number;
  readonly lagPercentMean: number;
  readonly lagPercentMax: number;
  readonly newPositionProtectedMsMax: number;
  /** Stops the registry gave up on (state `failed`) during the spike. */
  readonly failed: number;
  /** New positions whose creation was rejected. */
  readonly rejectedCreations: number;
  /** New positions never protected within the limit. */
  readonly neverProtected: number;
  /** Largest `stats.requestsInWindow` seen while sampling. */
  readonly requestsInWindowMax: number;
  /** Real time the simulation took, ms. */
  readonly simulationMs: number;
}

function rateLimitOf(strategy: SpikeStrategy): RateLimit | undefined {
  if (strategy === 'registry') return { ...venueLimit };
  if (strategy === 'round-robin') return { ...venueLimit, order: 'arrival' };
  return undefined;
}

function spec(symbol: string, price: number): CreateStopSpec {
  return { symbol, side: 'long', entryPrice: price, quantity: 1, activationPercent: 0, callbackPercent };
}

/** The registry's `stats.requestsInWindow` (NaN where the stats do not report it). */
function requestsInWindow(registry: TrailingStopRegistry): number {
  const stats: object = registry.stats;
  return 'requestsInWindow' in stats && typeof stats.requestsInWindow === 'number' ? stats.requestsInWindow : Number.NaN;
}

/** Simulated time until `promise` settles (or `limitMs` passed); true when it settled. */
async function settled(clock: VirtualClock, promise: Promise<unknown>, limitMs: number): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  return clock.runUntil(() => done, limitMs);
}

async function runSpike(strategy: SpikeStrategy, seed: number): Promise<SpikeRun> {
  const started = now();
  const clock = new VirtualClock();
  const firstPlacement = new Map<string, number>();
  const exchange = new PaperExchange({
    clock,
    latencyMs,
    rateLimit: venueLimit,
    // Called for every call the venue accepts, as it arrives (a placement takes effect then).
    fault: (call) => {
      if (call.operation === 'placeStop' && call.symbol !== undefined && !firstPlacement.has(call.symbol)) {
        firstPlacement.set(call.symbol, clock.now());
      }
      return undefined;
    },
  });
  const rateLimit = rateLimitOf(strategy);
  const registry = new TrailingStopRegistry({
    placer: exchange,
    clock,
    owner: 'bench',
    random: seededRandom(seed),
    ...(rateLimit === undefined ? {} : { rateLimit }),
  });
  registry.on('error', () => {});

  // Setup, the same for every strategy: the stops open 50 per second, within the venue's limit.
  const prices = new Map<string, number>();
  for (let index = 0; index < stopCount; index++) {
    const symbol = `S${String(index).padStart(3, '0')}`;
    const price = 20 + (index % 50) * 4;
    prices.set(symbol, price);
    exchange.setPrice(symbol, price);
  }
  const symbols = [...prices.keys()];
  for (let start = 0; start < symbols.length; start += venueLimit.requests) {
    const batch = symbols.slice(start, start + venueLimit.requests);
    const created = registry.createMany(batch.map((symbol) => spec(symbol, prices.get(symbol)!)));
    if (!(await settled(clock, created, 60_000))) throw new Error(`spike/${strategy}: the setup creations did not settle`);
    await clock.advance(venueLimit.intervalMs);
  }
  if (!(await settled(clock, registry.onIdle(), 60_000))) throw new Error(`spike/${strategy}: the setup did not settle`);
  await clock.advance(2_000);
  const setupFailures = registry.stats.failed;
  if (setupFailures > 0 || exchange.liveOrders().length !== stopCount) {
    throw new Error(`spike/${strategy}: setup left ${exchange.liveOrders().length} orders for ${stopCount} stops (${setupFailures} failed)`);
  }

  const callsBefore = totalCalls(exchange);
  const refusedBefore = exchange.rateLimited;
  const failedBefore = registry.stats.failed;
  const start = clock.now();
  const tracked = new Set(symbols);
  const newSymbols = Array.from({ length: newPositions }, (_, index) => `N${String(index).padStart(2, '0')}`);
  const openedAt = new Map<string, number>();
  let rejectedCreations = 0;
  let lagSum = 0;
  let lagSamples = 0;
  let lagMax = 0;
  let windowMax = 0;

  const tick = () => {
    for (const [symbol, price] of prices) {
      const next = price * (1 + tickPercent / 100);
      prices.set(symbol, next);
      exchange.setPrice(symbol, next);
      registry.updatePrice(symbol, next);
    }
  };
  for (let step = 1; step * tickMs <= spikeMs; step++) clock.setTimeout(tick, step * tickMs);

  clock.setTimeout(() => {
    for (const symbol of newSymbols) {
      prices.set(symbol, 100);
      exchange.setPrice(symbol, 100);
      openedAt.set(symbol, clock.now());
    }
    void registry.createMany(newSymbols.map((symbol) => spec(symbol, 100))).then((results) => {
      rejectedCreations = results.filter((result) => result.status === 'rejected').length;
    });
  }, newPositionsAtMs);

  const sample = () => {
    for (const symbol of tracked) {
      const price = prices.get(symbol)!;
      let venue = Number.NEGATIVE_INFINITY;
      for (const order of exchange.liveOrders(symbol)) venue = Math.max(venue, order.stopPrice);
      if (venue === Number.NEGATIVE_INFINITY) continue; // not protected yet: counted by newPositionProtectedMsMax
      // The policy's stop: 1 % under the peak, and the price only rises.
      const target = price * (1 - callbackPercent / 100);
      const lag = (Math.max(0, target - venue) / price) * 100;
      lagSum += lag;
      lagSamples++;
      if (lag > lagMax) lagMax = lag;
    }
    windowMax = Math.max(windowMax, requestsInWindow(registry));
  };
  for (let at = sampleMs; at <= spikeMs; at += sampleMs) {
    clock.setTimeout(() => {
      if (at > newPositionsAtMs) for (const symbol of newSymbols) if (firstPlacement.has(symbol)) tracked.add(symbol);
      sample();
    }, at);
  }
  await clock.advanceTo(start + spikeMs);

  // After the spike: the new positions get their stops (or not), then everything settles.
  await clock.runUntil(() => newSymbols.every((symbol) => firstPlacement.has(symbol)), protectionLimitMs);
  const end = clock.now();
  let protectedMsMax = 0;
  let neverProtected = 0;
  for (const symbol of newSymbols) {
    const at = firstPlacement.get(symbol);
    if (at === undefined) neverProtected++;
    protectedMsMax = Math.max(protectedMsMax, (at ?? end) - openedAt.get(symbol)!);
  }
  if (!(await settled(clock, registry.onIdle(), 300_000))) throw new Error(`spike/${strategy}: the registry did not settle after the spike`);
  const run: SpikeRun = {
    rateLimitErrors: exchange.rateLimited - refusedBefore,
    requests: totalCalls(exchange) - callsBefore,
    lagPercentMean: lagSamples === 0 ? 0 : lagSum / lagSamples,
    lagPercentMax: lagMax,
    newPositionProtectedMsMax: protectedMsMax,
    failed: registry.stats.failed - failedBefore,
    rejectedCreations,
    neverProtected,
    requestsInWindowMax: windowMax,
    simulationMs: 0,
  };
  if (!(await settled(clock, registry.close(), 300_000))) throw new Error(`spike/${strategy}: close() did not settle`);
  return { ...run, simulationMs: now() - started };
}

export const spike: Scenario = {
  name: 'spike',
  description: `${stopCount} stops in a fast trend against a venue limited to ${venueLimit.requests} requests/s: rate-limit errors, lag behind the policy, time to protect new positions`,
  async run(context) {
    const repetitions = context.quick ? 1 : 3;
    const details = new Map<SpikeStrategy, SpikeRun>();
    const results = await repeat(context, 'spike', strategies, repetitions, async (strategy, repetition) => {
      const run = await runSpike(strategy, 1_000 + repetition);
      details.set(strategy, run);
      return {
        rateLimitErrors: run.rateLimitErrors,
        requests: run.requests,
        lagPercentMean: run.lagPercentMean,
        lagPercentMax: run.lagPercentMax,
        newPositionProtectedMsMax: run.newPositionProtectedMsMax,
      };
    });
    const line = (strategy: SpikeStrategy) => {
      const run = details.get(strategy)!;
      return (
        `${strategy}: ${run.failed} stop(s) given up (failed), ${run.rejectedCreations} new position(s) rejected, ` +
        `${run.neverProtected} never protected within ${protectionLimitMs / 1_000} s after the spike, ` +
        `stats.requestsInWindow at most ${run.requestsInWindowMax}; simulated in ${run.simulationMs.toFixed(0)} ms.`
      );
    };
    return {
      name: 'spike',
      description: this.description,
      parameters: {
        stops: stopCount,
        symbols: stopCount,
        tickPercent,
        tickMs,
        spikeMs,
        latencyMs,
        venueRequests: venueLimit.requests,
        venueIntervalMs: venueLimit.intervalMs,
        callbackPercent,
        newPositions,
        newPositionsAtMs,
        moves: 'make-before-break',
        clock: 'simulated',
        repetitions,
      },
      repetitions,
      strategies: results,
      notes: [
        `The venue (PaperExchange) accepts ${venueLimit.requests} requests per ${venueLimit.intervalMs} ms, counted on arrival, and answers 429 ` +
          '(ExchangeUnavailableError, retryAfterMs) beyond; refused requests do not count. Each move is make-before-break: a placement, then a cancel.',
        'requests and rateLimitErrors count from the first tick until the registry is idle again (its catch-up after the spike included). ' +
          `lagPercentMean / lagPercentMax: every ${sampleMs} ms of the spike, for each stop the venue holds, the policy's stop (1 % under the price) ` +
          'minus the highest stop the venue holds, in percent of the price (time-weighted mean over stops, and the maximum). ' +
          'newPositionProtectedMsMax: from create() to the first placement the venue accepted, worst of the new positions.',
        'Simulated clock: the runs differ only by the backoff jitter (seeded per repetition).',
        ...strategies.map(line),
      ],
    };
  },
};
