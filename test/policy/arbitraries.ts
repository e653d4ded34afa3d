/** fast-check generators shared by the policy and replay properties. */
import fc from 'fast-check';
import type { ProfitStep } from '../../src/policy/parameters.js';
import type { Candle } from '../../src/policy/replay.js';
import type { TestSpec } from './helpers.js';

/** A tick size and its decimals. */
export type Tick = readonly [tickSize: number, decimals: number];

/** Tick sizes seen on real venues. */
export const tickSizes: readonly Tick[] = [
  [0.01, 2],
  [0.1, 1],
  [0.5, 1],
  [0.25, 2],
  [1, 0],
  [0.0005, 4],
  [0.00001234, 8],
  [1e-8, 8],
];

/** `price` on the grid of `tick` (nearest, up or down; at least one tick), or `price` itself without a grid. */
export function onGrid(price: number, tick: Tick | null, direction: 'nearest' | 'down' | 'up' = 'nearest'): number {
  if (tick === null) return price;
  const [tickSize, decimals] = tick;
  const round = direction === 'nearest' ? Math.round : direction === 'down' ? Math.floor : Math.ceil;
  return Number((Math.max(1, round(price / tickSize)) * tickSize).toFixed(decimals));
}

/** A percentage with two decimals in [min, max]. */
export const percent = (min: number, max: number): fc.Arbitrary<number> =>
  fc.integer({ min: Math.round(min * 100), max: Math.round(max * 100) }).map((n) => n / 100);

/** Profit tiers: ascending profits, non-increasing callbacks. */
export const stepsArb: fc.Arbitrary<ProfitStep[]> = fc
  .array(fc.tuple(percent(0.1, 5), percent(0, 0.8)), { minLength: 1, maxLength: 4 })
  .chain((raw) =>
    percent(0.2, 5).map((firstCallback) => {
      let profit = 0;
      let callback = firstCallback;
      return raw.map(([profitGap, shrink], index) => {
        profit = Number((profit + profitGap).toFixed(2));
        if (index > 0) callback = Math.max(0.01, Number((callback * (1 - shrink)).toFixed(2)));
        return { profitPercent: profit, callbackPercent: callback };
      });
    }),
  );

/** The side, grid and entry of a position. */
export const positionArb = fc
  .record({
    side: fc.constantFrom('long' as const, 'short' as const),
    tick: fc.option(fc.constantFrom(...tickSizes), { nil: null }),
    entryTicks: fc.integer({ min: 1_000, max: 10_000_000 }),
  })
  .map(({ side, tick, entryTicks }) => ({
    side,
    tick,
    entryPrice: tick === null ? entryTicks / 1000 : onGrid(entryTicks * tick[0], tick),
  }));

/**
 * A valid spec for a position at `entryPrice`: any distance (ticks only on a grid), activation
 * (default, percent or price), optional breakeven with offset, optional initial stop.
 */
export function specArb(side: 'long' | 'short', entryPrice: number, tick: Tick | null): fc.Arbitrary<TestSpec> {
  const amount = (fraction: number) => entryPrice * fraction;
  const distance = fc.oneof(
    percent(0.01, 20).map((callbackPercent) => ({ callbackPercent })),
    fc.double({ min: 0.001, max: 0.3, noNaN: true }).map((f) => ({ callbackAmount: amount(f) })),
    fc.record({ atr: fc.double({ min: 0.001, max: 0.1, noNaN: true }).map(amount), atrMultiplier: percent(0.5, 4) }),
    stepsArb.map((steps) => ({ steps })),
    ...(tick === null ? [] : [fc.integer({ min: 1, max: 500 }).map((callbackTicks) => ({ callbackTicks }))]),
  );
  const activation = fc.oneof(
    fc.constant({}),
    percent(0, 10).map((activationPercent) => ({ activationPercent })),
    fc.double({ min: 0.9, max: 1.1, noNaN: true }).map((f) => ({ activationPrice: entryPrice * f })),
  );
  const breakeven = fc.option(
    fc.record({ at: percent(0.1, 10), share: fc.double({ min: 0, max: 0.9, noNaN: true }) }).map(({ at, share }) => ({
      breakevenAtPercent: at,
      breakevenOffsetPercent: Number((at * share).toFixed(2)),
    })),
    { nil: {} },
  );
  const initial = fc.option(percent(0.1, 20).map((stopLossPercent) => ({ stopLossPercent })), { nil: {} });
  return fc.tuple(distance, activation, breakeven, initial).map(([d, a, b, i]) => ({
    side,
    entryPrice,
    ...(tick === null ? {} : { tickSize: tick[0] }),
    ...d,
    ...a,
    ...b,
    ...i,
  }));
}

/**
 * Moves of a random walk, as fractions (up to 6 % a step) plus a common drift, so that runs reach
 * activation, tiers and breakeven and then fall back through the stop.
 */
export function walkArb<T extends object>(extra: readonly fc.WeightedArbitrary<T>[] = [], maxLength = 80): fc.Arbitrary<({ move: number } | T)[]> {
  const move: fc.WeightedArbitrary<{ move: number } | T> = {
    weight: 9,
    arbitrary: fc.integer({ min: -600, max: 600 }).map((basisPoints) => ({ move: basisPoints / 10_000 })),
  };
  const step: fc.Arbitrary<{ move: number } | T> = fc.oneof(move, ...(extra as readonly fc.WeightedArbitrary<{ move: number } | T>[]));
  return fc
    .tuple(fc.integer({ min: -100, max: 100 }), fc.array(step, { minLength: 1, maxLength, size: 'max' }))
    .map(([drift, steps]) => steps.map((one) => ('move' in one ? { move: (one as { move: number }).move + drift / 10_000 } : one)));
}

/**
 * Candles of a random walk, on the grid when there is one: each opens at the previous close or
 * gaps away from it, with wicks around the body. A volatility scale per series mixes calm series
 * (long-lived stops, more gap exits) with wild ones.
 */
export function candlesArb(entryPrice: number, tick: Tick | null): fc.Arbitrary<Candle[]> {
  const wick = fc.integer({ min: 0, max: 150 }).map((basisPoints) => basisPoints / 10_000);
  const gap = fc.oneof(fc.constant(0), fc.integer({ min: -800, max: 800 }).map((basisPoints) => basisPoints / 10_000));
  return fc.tuple(walkArb<never>([], 40), fc.constantFrom(0.05, 0.2, 1)).chain(([moves, scale]) =>
    fc.array(fc.tuple(wick, wick, gap), { minLength: moves.length, maxLength: moves.length }).map((shapes) => {
      let previousClose = entryPrice;
      return moves.map((step, index) => {
        const [up, down, gapMove] = shapes[index]!;
        const open = index === 0 ? entryPrice : onGrid(previousClose * (1 + gapMove * scale), tick);
        const close = onGrid(open * (1 + step.move * scale), tick);
        const high = onGrid(Math.max(open, close) * (1 + up * scale), tick, 'up');
        const low = Math.min(onGrid(Math.min(open, close) * (1 - down * scale), tick, 'down'), open, close);
        previousClose = close;
        return { open, high, low, close };
      });
    }),
  );
}
