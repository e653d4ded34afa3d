/**
 * `sync`: one stop, 1,000 stop-moving ticks arriving while each exchange call takes 50 ms. The
 * per-key sync coalesces (latest wins) instead of queuing 1,000 moves. Compared:
 * - `make-before-break`: the venue can hold two stops; the new one is placed, then the old one
 *   cancelled, so the position is never without a stop;
 * - `cancel-then-place`: a venue that cannot (PaperExchange `cancelBeforePlace`): the old stop is
 *   cancelled first, and the position is unprotected until the new one is placed.
 *
 * The throttle is off (`minUpdateIntervalMs` 0, `minImprovementPercent` 0), so coalescing alone
 * limits the calls. The stop trails 1% from entry at once; the initial placement (at creation) is
 * not counted. Ticks rise by 0.01 each, fed in 10 batches of 100, 4 ms apart, starting with the
 * first move, so they all arrive during the first exchange call.
 */
import { PaperExchange } from '../../src/placers/paper.js';
import { TrailingStopRegistry } from '../../src/registry/registry.js';
import { sleep } from '../support/timing.js';
import { repeat, type Scenario } from './scenario.js';

const symbol = 'SYNC';
const latencyMs = 50;

interface SyncRun {
  readonly exchangeCalls: number;
  readonly cancels: number;
  readonly unprotectedMs: number;
  readonly lookups: number;
  readonly registryUnprotectedMs: number;
  readonly finalStop: number;
  readonly exchangeStop: number;
}

async function runSync(cancelBeforePlace: boolean, tickCount: number): Promise<SyncRun> {
  const exchange = new PaperExchange({ latencyMs, cancelBeforePlace });
  const registry = new TrailingStopRegistry({
    placer: exchange,
    owner: 'bench',
    minUpdateIntervalMs: 0,
    minImprovementPercent: 0,
  });
  await registry.create({ symbol, side: 'long', entryPrice: 100, quantity: 1, activationPercent: 0, callbackPercent: 1 });
  await registry.onIdle();
  const placedBefore = exchange.calls.placeStop + exchange.calls.amendStop;
  const cancelsBefore = exchange.calls.cancelStop;
  const lookupsBefore = exchange.calls.findStop;
  const batches = 10;
  const perBatch = Math.ceil(tickCount / batches);
  let price = 100;
  for (let batch = 0; batch < batches; batch++) {
    if (batch > 0) await sleep(4);
    for (let tick = 0; tick < perBatch && batch * perBatch + tick < tickCount; tick++) {
      price += 0.01;
      registry.updatePrice(symbol, price);
    }
  }
  await registry.onIdle();
  const run: SyncRun = {
    exchangeCalls: exchange.calls.placeStop + exchange.calls.amendStop - placedBefore,
    cancels: exchange.calls.cancelStop - cancelsBefore,
    unprotectedMs: exchange.unprotectedMs(symbol),
    lookups: exchange.calls.findStop - lookupsBefore,
    registryUnprotectedMs: registry.stats.unprotectedMs,
    finalStop: registry.get(symbol)!.snapshot().stopPrice!,
    exchangeStop: exchange.liveOrders(symbol)[0]?.stopPrice ?? Number.NaN,
  };
  await registry.close();
  if (run.finalStop !== run.exchangeStop) {
    throw new Error(`sync: the venue holds ${run.exchangeStop} but the stop is at ${run.finalStop}: the latest target was not synced`);
  }
  return run;
}

export const sync: Scenario = {
  name: 'sync',
  description: 'one key, 1,000 stop-moving ticks during 50 ms exchange calls: calls made and time without a stop on the venue',
  async run(context) {
    const tickCount = 1_000;
    const repetitions = context.quick ? 1 : 5;
    const lookups = new Map<string, number>();
    const reported = new Map<string, number>();
    const strategies = await repeat(context, 'sync', ['make-before-break', 'cancel-then-place'] as const, repetitions, async (name) => {
      const run = await runSync(name === 'cancel-then-place', tickCount);
      lookups.set(name, run.lookups);
      reported.set(name, run.registryUnprotectedMs);
      return { exchangeCalls: run.exchangeCalls, cancels: run.cancels, unprotectedMs: run.unprotectedMs };
    });
    return {
      name: 'sync',
      description: this.description,
      parameters: { ticks: tickCount, latencyMs, minUpdateIntervalMs: 0, minImprovementPercent: 0, callbackPercent: 1, repetitions },
      repetitions,
      strategies,
      notes: [
        'exchangeCalls counts placements and amendments after the initial stop; cancels are counted apart; unprotectedMs is the venue\'s own ' +
          'measure (PaperExchange.unprotectedMs: time with no open stop for the symbol).',
        `Lookups by client order id (findStop, counted in neither): make-before-break ${lookups.get('make-before-break')}, ` +
          `cancel-then-place ${lookups.get('cancel-then-place')}.`,
        `The registry's own stats.unprotectedMs in the last run: make-before-break ${reported.get('make-before-break')?.toFixed(1)}, ` +
          `cancel-then-place ${reported.get('cancel-then-place')?.toFixed(1)}.`,
        'After the ticks the venue holds exactly the final stop price in every run (checked).',
      ],
    };
  },
};
