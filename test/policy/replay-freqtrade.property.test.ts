/**
 * How `order: 'freqtrade'` relates to the default order, over random candle series.
 *
 * Domain (where the claims are proved; outside it the documented rules can make freqtrade's stop
 * the tighter one): specs that freqtrade can express with the callback no wider than the stop loss
 * (a fixed stop; activation A with callback C <= stop loss S; the two-tier form), integer prices
 * with entries in [1000, 9999], no tick size. Integer prices keep any candle's profit at least
 * 1e-8 away from an offset it does not reach, so freqtrade's 8-decimal rounding of profits never
 * decides; and an integer low can only meet a stop that is an exact integer, which both orders
 * then hold exactly.
 *
 * Claims, for a long (a short mirrored):
 * 1. Before the default order's exit candle, freqtrade's stop is never above the default's (up to
 *    1e-12: freqtrade's stop is a raw float product, the default's the nearest 12-digit decimal).
 * 2. 'freqtrade' never exits on an earlier candle than the default order.
 * 3. On the same exit candle, 'freqtrade' never fills at a better price, except by two documented
 *    rules: the default's gap fill (the candle opened at or below the default's stop, which the
 *    default fills at the open; freqtrade fills at its stop, still no better than the default's
 *    stop), and freqtrade's entry-candle fill with an activation offset (open x (1 + offset -
 *    callback)).
 *
 * Why: freqtrade's distance is never tighter (the callback strictly above the offset, the stop
 * loss at it; the default's callback from the offset on, inclusive); freqtrade trails from the same
 * high or not at all; and a freqtrade exit (low <= its stop, after trailing) is a default exit too,
 * since the default's stop after the same high is at least as high.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { replayCandles, type Candle, type ReplayResult, type ReplaySpec } from '../../src/policy/replay.js';
import { candlesArb, percent } from './arbitraries.js';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_250_611), numRuns: 2_000 });

/** Specs freqtrade can express, callback no wider than the stop loss. */
const specArb = (side: 'long' | 'short'): fc.Arbitrary<ReplaySpec> =>
  percent(0.5, 20).chain((stopLossPercent) => {
    const callback = percent(0.1, stopLossPercent);
    return fc.oneof(
      fc.constant<ReplaySpec>({ side, stopLossPercent, trailing: false }),
      fc
        .record({ activationPercent: fc.oneof(fc.constant(0), percent(0.01, 10)), callbackPercent: callback })
        .map((trailing): ReplaySpec => ({ side, stopLossPercent, ...trailing })),
      fc.record({ offset: percent(0.02, 10), callbackPercent: callback }).map(
        ({ offset, callbackPercent }): ReplaySpec => ({
          side,
          stopLossPercent,
          activationPercent: 0,
          steps: [
            { profitPercent: Number((offset / 2).toFixed(2)), callbackPercent: stopLossPercent },
            { profitPercent: offset, callbackPercent },
          ],
        }),
      ),
    );
  });

/**
 * Random series; in one of four, the entry candle's favourable extreme is pulled just past the
 * activation offset, where freqtrade's entry-candle fill can beat the default's stop.
 */
const scenarioArb = fc
  .record({ side: fc.constantFrom('long' as const, 'short' as const), entryPrice: fc.integer({ min: 1_000, max: 9_999 }) })
  .chain(({ side, entryPrice }) =>
    fc.record({ spec: specArb(side), candles: candlesArb(entryPrice, [1, 0]), nearOffset: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 3 }) }),
  )
  .map(({ spec, candles, nearOffset }) => {
    const offset = spec.activationPercent ?? 0;
    if (nearOffset === null || offset === 0) return { spec, candles };
    const [first, ...rest] = candles;
    const entry = first!.open;
    const extreme = spec.side === 'long' ? Math.ceil(entry * (1 + offset / 100)) + nearOffset : Math.floor(entry * (1 - offset / 100)) - nearOffset;
    const pulled = spec.side === 'long' ? { ...first!, high: Math.max(first!.high, extreme) } : { ...first!, low: Math.max(1, Math.min(first!.low, extreme)) };
    return { spec, candles: [pulled, ...rest] };
  });

const exitIndex = (result: ReplayResult) => result.exit?.index ?? Number.POSITIVE_INFINITY;

/** `direction x (a - b)` is at most a float tolerance of 1e-12 relative. */
const notBeyond = (direction: 1 | -1, a: number, b: number) => direction * (a - b) <= Math.abs(b) * 1e-12;

function compare(spec: ReplaySpec, candles: readonly Candle[]) {
  const ours = replayCandles(spec, candles);
  const theirs = replayCandles(spec, candles, { order: 'freqtrade' });
  return { ours, theirs, direction: spec.side === 'long' ? (1 as const) : (-1 as const) };
}

describe("order 'freqtrade' against the default order (fast-check)", () => {
  it('1. before the default exit candle, freqtrade\'s stop is never tighter', () => {
    fc.assert(
      fc.property(scenarioArb, ({ spec, candles }) => {
        const { ours, theirs, direction } = compare(spec, candles);
        const until = Math.min(exitIndex(ours), candles.length);
        for (let index = 0; index < until; index++) {
          expect(notBeyond(direction, theirs.path[index]!, ours.path[index]!)).toBe(true);
        }
      }),
    );
  });

  it('2. never exits on an earlier candle', () => {
    fc.assert(
      fc.property(scenarioArb, ({ spec, candles }) => {
        const { ours, theirs } = compare(spec, candles);
        expect(exitIndex(theirs)).toBeGreaterThanOrEqual(exitIndex(ours));
      }),
    );
  });

  it('3. on the same candle, never fills better, but by the gap and entry-candle rules', () => {
    let sameCandle = 0;
    let byGapRule = 0;
    let byEntryRule = 0;
    fc.assert(
      fc.property(scenarioArb, ({ spec, candles }) => {
        const { ours, theirs, direction } = compare(spec, candles);
        if (ours.exit === undefined || theirs.exit?.index !== ours.exit.index) return;
        sameCandle++;
        const candle = candles[ours.exit.index]!;
        const defaultGapped = ours.exit.price === candle.open && direction * (candle.open - ours.exit.stopPrice) <= 0;
        const entryRule = ours.exit.index === 0 && theirs.exit.reason === 'trailing' && (spec.activationPercent ?? 0) > 0 && spec.steps === undefined;
        if (notBeyond(direction, theirs.exit.price, ours.exit.price)) return;
        if (defaultGapped) {
          byGapRule++;
          // freqtrade filled at its own stop, which is no better than the default's.
          expect(theirs.exit.price).toBe(theirs.exit.stopPrice);
          expect(notBeyond(direction, theirs.exit.price, ours.exit.stopPrice)).toBe(true);
          return;
        }
        expect(entryRule).toBe(true);
        byEntryRule++;
      }),
    );
    // The rules are exercised, not vacuous.
    expect(sameCandle).toBeGreaterThan(200);
    expect(byGapRule).toBeGreaterThan(0);
    expect(byEntryRule).toBeGreaterThan(0);
  });
});
