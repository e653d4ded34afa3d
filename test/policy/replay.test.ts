import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ValidationError } from '../../src/errors.js';
import { replayCandles, type Candle, type ReplayOptions, type ReplayResult, type ReplaySpec } from '../../src/policy/replay.js';
import { candlesArb, positionArb, specArb } from './arbitraries.js';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_250_611), numRuns: 300 });

const c = (open: number, high: number, low: number, close: number): Candle => ({ open, high, low, close });
const both = (spec: ReplaySpec, candles: readonly Candle[]) => ({
  favourable: replayCandles(spec, candles),
  conservative: replayCandles(spec, candles, { order: 'conservative' }),
});

// Hand-computed cases. The position enters at the first candle's open (100 throughout).

describe('replayCandles: long', () => {
  const trail2 = { side: 'long', activationPercent: 0, callbackPercent: 2, tickSize: 0.01 } as const;

  it('trailing exit: the high moves the stop, the low then crosses it (favourable-first); conservative survives the candle', () => {
    const candles = [c(100, 101, 99.5, 100.5), c(100.5, 104, 100.2, 103.5)];
    const { favourable, conservative } = both(trail2, candles);
    // Entry: stop 98. Candle 0: high 101 -> 98.98. Candle 1: high 104 -> 101.92; low 100.2 crosses it.
    expect(favourable).toEqual({
      entryPrice: 100,
      exit: { index: 1, price: 101.92, stopPrice: 101.92, reason: 'trailing' },
      path: [98.98, 101.92],
    });
    // Conservative: low 100.2 is tested against 98.98, then high 104 -> 101.92, close 103.5 stays above.
    expect(conservative).toEqual({ entryPrice: 100, exit: undefined, path: [98.98, 101.92] });
  });

  it('no exit: path is the stop after each candle', () => {
    const candles = [c(100, 101, 99.5, 100.8), c(100.8, 102, 100.5, 101.8)];
    const { favourable, conservative } = both(trail2, candles);
    expect(favourable).toEqual({ entryPrice: 100, exit: undefined, path: [98.98, 99.96] });
    expect(conservative).toEqual(favourable);
  });

  it('gap: a candle opening beyond the stop fills at its open, in both orders', () => {
    const candles = [c(100, 101, 99.5, 100.5), c(97, 98, 96, 96.5), c(96.5, 97, 96, 96.8)];
    const { favourable, conservative } = both(trail2, candles);
    const expected: ReplayResult = {
      entryPrice: 100,
      exit: { index: 1, price: 97, stopPrice: 98.98, reason: 'trailing' },
      path: [98.98, 98.98, null],
    };
    expect(favourable).toEqual(expected);
    expect(conservative).toEqual(expected);
  });

  it('initial stop exit: reason `stop`', () => {
    const spec = { side: 'long', activationPercent: 5, callbackPercent: 1, stopLossPercent: 2 } as const;
    const candles = [c(100, 101, 99, 100), c(100, 100.5, 97.5, 98)];
    const { favourable, conservative } = both(spec, candles);
    const expected = { entryPrice: 100, exit: { index: 1, price: 98, stopPrice: 98, reason: 'stop' }, path: [98, 98] };
    expect(favourable).toEqual(expected);
    expect(conservative).toEqual(expected);
  });

  it('an activated stop that never tightened past the initial stop still exits as `stop`', () => {
    // Trailing 5 % from the entry (95, then 95.95) stays below the initial stop 98.
    const spec = { side: 'long', activationPercent: 0, callbackPercent: 5, stopLossPercent: 2 } as const;
    const result = replayCandles(spec, [c(100, 101, 97, 98)]);
    expect(result.exit).toEqual({ index: 0, price: 98, stopPrice: 98, reason: 'stop' });
  });

  it('a trailing stop without a tick size (float-dust rounding) still exits as `trailing`', () => {
    // 1.1 x 0.985 is 1.0835000000000001 in floating point; the policy stores 1.0835.
    const spec = { side: 'long', activationPercent: 0, callbackPercent: 1.5 } as const;
    const result = replayCandles(spec, [c(1, 1.1, 1, 1.05)]);
    expect(result.exit).toEqual({ index: 0, price: 1.0835, stopPrice: 1.0835, reason: 'trailing' });
  });

  it('a breakeven stop above an activated trailing stop exits as `stop`', () => {
    // Trailing 5 % from 102 is 96.9; the breakeven stop 100.5 is tighter and is the one that fires.
    const spec = { side: 'long', activationPercent: 0, callbackPercent: 5, breakevenAtPercent: 2, breakevenOffsetPercent: 0.5 } as const;
    const result = replayCandles(spec, [c(100, 102, 99.5, 101.5)]);
    expect(result.exit).toEqual({ index: 0, price: 100.5, stopPrice: 100.5, reason: 'stop' });
  });

  it('breakeven exit: reason `stop`; favourable-first exits on the candle that reached breakeven, conservative later', () => {
    const spec = {
      side: 'long',
      activationPercent: 10,
      breakevenAtPercent: 2,
      breakevenOffsetPercent: 0.5,
      stopLossPercent: 3,
      tickSize: 0.01,
    } as const;
    const candles = [c(100, 102.5, 99.8, 102), c(102, 102.2, 100.2, 100.4)];
    const { favourable, conservative } = both(spec, candles);
    // Candle 0: high 102.5 reaches +2 % -> stop 100.5; favourable-first then sees low 99.8 cross it.
    expect(favourable).toEqual({
      entryPrice: 100,
      exit: { index: 0, price: 100.5, stopPrice: 100.5, reason: 'stop' },
      path: [100.5, null],
    });
    // Conservative tests low 99.8 against the initial stop 97 first; candle 1's low 100.2 crosses 100.5.
    expect(conservative).toEqual({
      entryPrice: 100,
      exit: { index: 1, price: 100.5, stopPrice: 100.5, reason: 'stop' },
      path: [100.5, 100.5],
    });
  });

  it('same candle, both orders: conservative tests the low before the high moves the stop', () => {
    const spec = { side: 'long', activationPercent: 0, callbackPercent: 1, stopLossPercent: 1 } as const;
    const candles = [c(100, 110, 98.5, 109)];
    const { favourable, conservative } = both(spec, candles);
    expect(favourable.exit).toEqual({ index: 0, price: 108.9, stopPrice: 108.9, reason: 'trailing' });
    expect(conservative.exit).toEqual({ index: 0, price: 99, stopPrice: 99, reason: 'stop' });
  });

  it('conservative tests the close against the stop the high moved', () => {
    const spec = { side: 'long', activationPercent: 0, callbackPercent: 1 } as const;
    const { conservative } = both(spec, [c(100, 105, 99.5, 103)]);
    // Low 99.5 above 99; high 105 -> 103.95; close 103 crosses it.
    expect(conservative.exit).toEqual({ index: 0, price: 103.95, stopPrice: 103.95, reason: 'trailing' });
  });

  it('path is null before activation', () => {
    const spec = { side: 'long', activationPercent: 5, callbackPercent: 1, tickSize: 0.01 } as const;
    const candles = [c(100, 102, 99, 101), c(101, 106, 100.5, 105.5)];
    const { favourable, conservative } = both(spec, candles);
    // Candle 1: high 106 activates (106 x 0.99 = 104.94); favourable-first sees low 100.5 cross it.
    expect(favourable).toEqual({
      entryPrice: 100,
      exit: { index: 1, price: 104.94, stopPrice: 104.94, reason: 'trailing' },
      path: [null, 104.94],
    });
    expect(conservative).toEqual({ entryPrice: 100, exit: undefined, path: [null, 104.94] });
  });

  it('the default order is not an upper bound over a series: conservative may exit later, higher', () => {
    const spec = { side: 'long', activationPercent: 0, callbackPercent: 1 } as const;
    const candles = [c(100, 110, 99.5, 109.5), c(109.5, 120, 109.5, 120), c(119, 119, 118, 118)];
    const { favourable, conservative } = both(spec, candles);
    expect(favourable.exit).toEqual({ index: 0, price: 108.9, stopPrice: 108.9, reason: 'trailing' });
    expect(conservative.exit).toEqual({ index: 2, price: 118.8, stopPrice: 118.8, reason: 'trailing' });
    expect(conservative.path).toEqual([108.9, 118.8, 118.8]);
  });
});

describe('replayCandles: short', () => {
  const trail2 = { side: 'short', activationPercent: 0, callbackPercent: 2, tickSize: 0.01 } as const;

  it('trailing exit: favourable-first trails the low, then the high crosses; conservative crosses the older stop', () => {
    const candles = [c(100, 100.5, 99, 99.5), c(99.5, 101.5, 96, 97)];
    const { favourable, conservative } = both(trail2, candles);
    // Entry: stop 102. Candle 0: low 99 -> 100.98. Candle 1: low 96 -> 97.92; high 101.5 crosses it.
    expect(favourable).toEqual({
      entryPrice: 100,
      exit: { index: 1, price: 97.92, stopPrice: 97.92, reason: 'trailing' },
      path: [100.98, 97.92],
    });
    // Conservative: high 101.5 is tested first, against 100.98.
    expect(conservative).toEqual({
      entryPrice: 100,
      exit: { index: 1, price: 100.98, stopPrice: 100.98, reason: 'trailing' },
      path: [100.98, 100.98],
    });
  });

  it('gap: opening above the stop fills at the open', () => {
    const candles = [c(100, 100.5, 99, 99.5), c(103, 104, 102.5, 103.5)];
    const { favourable, conservative } = both(trail2, candles);
    const expected = { entryPrice: 100, exit: { index: 1, price: 103, stopPrice: 100.98, reason: 'trailing' }, path: [100.98, 100.98] };
    expect(favourable).toEqual(expected);
    expect(conservative).toEqual(expected);
  });

  it('initial stop exit and no exit', () => {
    const spec = { side: 'short', activationPercent: 5, callbackPercent: 1, stopLossPercent: 2 } as const;
    const stopped = both(spec, [c(100, 101, 99, 100), c(100, 102.5, 99.5, 102)]);
    const expected = { entryPrice: 100, exit: { index: 1, price: 102, stopPrice: 102, reason: 'stop' }, path: [102, 102] };
    expect(stopped.favourable).toEqual(expected);
    expect(stopped.conservative).toEqual(expected);
    const calm = both(spec, [c(100, 101, 99, 100), c(100, 101.5, 99.5, 101)]);
    expect(calm.favourable).toEqual({ entryPrice: 100, exit: undefined, path: [102, 102] });
    expect(calm.conservative).toEqual(calm.favourable);
  });

  it('breakeven exit: reason `stop`', () => {
    const spec = { side: 'short', activationPercent: 10, breakevenAtPercent: 2, breakevenOffsetPercent: 0.5, stopLossPercent: 3 } as const;
    const candles = [c(100, 100.2, 97.5, 98), c(98, 99.8, 97.8, 99.6)];
    const { favourable, conservative } = both(spec, candles);
    // Candle 0: low 97.5 reaches +2 % -> stop 99.5; favourable-first then sees high 100.2 cross it.
    expect(favourable.exit).toEqual({ index: 0, price: 99.5, stopPrice: 99.5, reason: 'stop' });
    // Conservative: high 100.2 below the initial stop 103; candle 1's high 99.8 crosses 99.5.
    expect(conservative).toEqual({
      entryPrice: 100,
      exit: { index: 1, price: 99.5, stopPrice: 99.5, reason: 'stop' },
      path: [99.5, 99.5],
    });
  });
});

describe('replayCandles: spec and options', () => {
  it('enters at the first open: spec.entryPrice is replaced, activation and stop-loss percentages follow the open', () => {
    const result = replayCandles({ side: 'long', entryPrice: 50, activationPercent: 0, callbackPercent: 1 }, [c(200, 200, 199, 199.5)]);
    expect(result.entryPrice).toBe(200);
    expect(result.path).toEqual([198]);
    // An initial stop is checked against the first open, as create() checks it against entryPrice.
    expect(() => replayCandles({ side: 'long', initialStopPrice: 210 }, [c(200, 200, 199, 199.5)])).toThrow(/below `entryPrice` \(200\)/);
  });

  it("takes a full create() spec, and the registry's trailing defaults", () => {
    const spec = { symbol: 'BTC/USDT:USDT', side: 'long', entryPrice: 100, quantity: 0.5, key: 'BTC:long', activationPercent: 0 } as const;
    expect(replayCandles(spec, [c(100, 100, 100, 100)]).path).toEqual([99.5]); // library default: 0.5 %
    expect(replayCandles(spec, [c(100, 100, 100, 100)], { defaults: { callbackAmount: 3 } }).path).toEqual([97]);
  });

  it('accepts every mode (nothing is placed)', () => {
    for (const mode of ['exchange', 'emulated', 'native'] as const) {
      expect(replayCandles({ side: 'long', mode, activationPercent: 0 }, [c(100, 100, 100, 100)]).path).toEqual([99.5]);
    }
  });

  it('does not modify its inputs', () => {
    const candles = Object.freeze([Object.freeze(c(100, 101, 99, 100))]);
    const spec = Object.freeze({ side: 'long', activationPercent: 0 } as const);
    expect(() => replayCandles(spec, candles, Object.freeze({ order: 'conservative' }))).not.toThrow();
  });
});

describe('replayCandles: validation', () => {
  function fieldOf(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).field;
    }
    throw new Error('Expected a ValidationError');
  }
  const spec = { side: 'long' } as const;
  const good = c(100, 101, 99, 100);

  it.each([
    ['candles', () => replayCandles(spec, [])],
    ['candles', () => replayCandles(spec, 'x' as never)],
    ['candles[1]', () => replayCandles(spec, [good, null as never])],
    ['candles[0].high', () => replayCandles(spec, [{ ...good, high: Number.NaN }])],
    ['candles[0].open', () => replayCandles(spec, [{ ...good, open: undefined as never }])],
    ['candles[1].low', () => replayCandles(spec, [good, { ...good, low: -1 }])],
    ['candles[0].close', () => replayCandles(spec, [{ ...good, close: Number.POSITIVE_INFINITY }])],
    ['candles[0].low', () => replayCandles(spec, [c(100, 99, 101, 100)])],
    ['candles[2].open', () => replayCandles(spec, [good, good, c(102, 101, 99, 100)])],
    ['candles[0].close', () => replayCandles(spec, [c(100, 101, 99, 98)])],
    ['order', () => replayCandles(spec, [good], { order: 'optimistic' } as unknown as ReplayOptions)],
    ['options', () => replayCandles(spec, [good], null as never)],
    ['defaults', () => replayCandles(spec, [good], { defaults: 5 as never })],
    ['defaults.callbackPercent', () => replayCandles(spec, [good], { defaults: { callbackPercent: 100 } })],
    ['spec', () => replayCandles(null as never, [good])],
    ['side', () => replayCandles({ side: 'up' as never }, [good])],
    ['callbackPercent', () => replayCandles({ side: 'long', callbackPercent: Number.NaN }, [good])],
    ['callbackAmount', () => replayCandles({ side: 'long', callbackPercent: 1, callbackAmount: 1 }, [good])],
    ['quantity', () => replayCandles({ side: 'long', quantity: -1 }, [good])],
    ['callbackPercnt', () => replayCandles({ side: 'long', callbackPercnt: 1 } as never, [good])],
  ])('names %s', (field, run) => {
    expect(fieldOf(run)).toBe(field);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random candle series and random parameters.

const replayScenarioArb = positionArb.chain(({ side, tick, entryPrice }) =>
  fc.record({ spec: specArb(side, entryPrice, tick), candles: candlesArb(entryPrice, tick), tick: fc.constant(tick) }),
);

const exitIndex = (result: ReplayResult) => result.exit?.index ?? Number.POSITIVE_INFINITY;

describe('replayCandles: properties', () => {
  it('favourable-first never exits later than conservative, nor at a worse price on the same candle; paths agree until then', () => {
    fc.assert(
      fc.property(replayScenarioArb, ({ spec, candles }) => {
        const { favourable, conservative } = both(spec, candles);
        expect(exitIndex(favourable)).toBeLessThanOrEqual(exitIndex(conservative));
        const direction = spec.side === 'long' ? 1 : -1;
        if (favourable.exit !== undefined && conservative.exit?.index === favourable.exit.index) {
          expect(direction * (favourable.exit.price - conservative.exit.price)).toBeGreaterThanOrEqual(0);
        }
        const agreeUntil = Math.min(exitIndex(favourable), candles.length);
        expect(conservative.path.slice(0, agreeUntil)).toEqual(favourable.path.slice(0, agreeUntil));
      }),
    );
  });

  it('fills within the exit candle, at the stop or beyond it (a gap), and never at a loosened stop', () => {
    fc.assert(
      fc.property(replayScenarioArb, fc.constantFrom<ReplayOptions['order']>('favourable-first', 'conservative'), ({ spec, candles, tick }, order) => {
        const result = replayCandles(spec, candles, { order });
        const direction = spec.side === 'long' ? 1 : -1;
        expect(result.path).toHaveLength(candles.length);
        // I5 along the path; nulls only before the first stop and after the exit.
        let previous: number | null = null;
        result.path.forEach((stop, index) => {
          if (index > exitIndex(result)) {
            expect(stop).toBeNull();
            return;
          }
          if (previous !== null) {
            expect(stop).not.toBeNull();
            expect(direction * (stop! - previous)).toBeGreaterThanOrEqual(0);
          }
          if (stop !== null && tick !== null) expect(stop).toBe(Number(stop.toFixed(tick[1])));
          previous = stop;
        });
        const exit = result.exit;
        if (exit === undefined) return;
        const candle = candles[exit.index]!;
        expect(result.path[exit.index]).toBe(exit.stopPrice);
        expect(exit.price).toBeGreaterThanOrEqual(candle.low);
        expect(exit.price).toBeLessThanOrEqual(candle.high);
        // A long fills at or below its stop, a short at or above; beyond it only at the open.
        expect(direction * (exit.stopPrice - exit.price)).toBeGreaterThanOrEqual(0);
        if (exit.price !== exit.stopPrice) expect(exit.price).toBe(candle.open);
      }),
    );
  });
});
