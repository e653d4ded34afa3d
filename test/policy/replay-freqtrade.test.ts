import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { replayCandles, type Candle, type ReplaySpec } from '../../src/policy/replay.js';
import { ratioFromPercent, roundProfitRatio, stopOnTickGrid } from '../../src/policy/replay/freqtrade-numbers.js';
import { derivedCases, freqtradeCases } from './freqtrade-cases.js';
import { specFromFreqtrade } from './freqtrade-mapping.js';
import { freqtradeReferences } from './freqtrade-references.js';

const freqtrade = (spec: ReplaySpec, candles: readonly Candle[]) => replayCandles(spec, candles, { order: 'freqtrade' });

/** freqtrade's profit ratio of a trade closed at `price` (fee 0, leverage 1). */
const profitRatio = (side: 'long' | 'short', entry: number, price: number) => (side === 'long' ? price / entry - 1 : 1 - price / entry);

describe("order 'freqtrade': freqtrade's backtest detail cases", () => {
  it.each(freqtradeCases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    const result = freqtrade(specFromFreqtrade(testCase.side, testCase.parameters), testCase.candles);
    expect(result.exit).toMatchObject({
      index: testCase.exit.closeTick - testCase.openTick,
      price: testCase.exit.price,
      reason: testCase.exit.reason,
    });
    // freqtrade's own assertion: the profit, rounded to 3 decimals.
    const profit = profitRatio(testCase.side, result.entryPrice, result.exit!.price);
    expect(Number(profit.toFixed(3))).toBe(testCase.profitRatio);
  });

  it('the default order matches all of them but tc11, tc33, tc34 and tc35 (the documented differences)', () => {
    const differing = freqtradeCases
      .filter((testCase) => {
        const spec = specFromFreqtrade(testCase.side, testCase.parameters);
        const ours = replayCandles(spec, testCase.candles).exit;
        const theirs = freqtrade(spec, testCase.candles).exit;
        return ours?.index !== theirs?.index || ours?.price !== theirs?.price;
      })
      .map((testCase) => testCase.name);
    expect(differing).toEqual(['tc11', 'tc33', 'tc34', 'tc35']);
  });
});

describe("order 'freqtrade': rules the ported cases leave out", () => {
  it.each(derivedCases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    const spec = { ...specFromFreqtrade(testCase.side, testCase.parameters), ...(testCase.tickSize === undefined ? {} : { tickSize: testCase.tickSize }) };
    expect(freqtrade(spec, testCase.candles).exit).toEqual(testCase.exit);
  });

  it('path: the stop after each candle, the one that fired at the exit candle, null after it', () => {
    const tc11 = freqtradeCases.find((testCase) => testCase.name === 'tc11')!;
    const result = freqtrade(specFromFreqtrade('long', tc11.parameters), tc11.candles);
    expect(result).toEqual({
      entryPrice: 5000,
      exit: { index: 2, price: 5093.47, stopPrice: 5093.47, reason: 'trailing' },
      path: [4500, 5093.47, 5093.47, null],
    });
  });

  it('a fixed stop (`trailing: false`) never moves, whatever the price does', () => {
    const candles = [
      { open: 100, high: 150, low: 99, close: 149 },
      { open: 149, high: 160, low: 98.5, close: 99 },
    ];
    const result = freqtrade({ side: 'long', stopLossPercent: 1.5, trailing: false }, candles);
    expect(result).toEqual({ entryPrice: 100, exit: { index: 1, price: 98.5, stopPrice: 98.5, reason: 'stop' }, path: [98.5, 98.5] });
  });

  it('no exit: the path of the stop', () => {
    const candles = [
      { open: 100, high: 101, low: 99.5, close: 100.5 },
      { open: 101, high: 103, low: 101, close: 102.5 },
    ];
    // stoploss -0.10, trailing_stop_positive 0.02 from the start: the highs x (1 - 0.02), unrounded as in freqtrade.
    const result = freqtrade({ side: 'long', stopLossPercent: 10, activationPercent: 0, callbackPercent: 2 }, candles);
    expect(result).toEqual({ entryPrice: 100, exit: undefined, path: [101 * (1 - 0.02), 103 * (1 - 0.02)] });
  });

  it("takes the registry's defaults for what the spec leaves out (the library's: activation 1 %, callback 0.5 %)", () => {
    const candles = [
      { open: 100, high: 100.5, low: 99.5, close: 100.4 },
      { open: 100.8, high: 101.2, low: 100.8, close: 101 },
    ];
    // Offset 0.01, positive 0.005: +0.5 % does not trail; +1.2 % trails at 0.5 %, to 100.694, below the low 100.8.
    expect(freqtrade({ side: 'long', stopLossPercent: 5 }, candles)).toEqual({ entryPrice: 100, exit: undefined, path: [95, 101.2 * (1 - 0.005)] });
    const wider = replayCandles({ side: 'long', stopLossPercent: 5 }, candles, { order: 'freqtrade', defaults: { callbackPercent: 2 } });
    expect(wider.path).toEqual([95, 101.2 * (1 - 0.02)]);
  });
});

describe("order 'freqtrade': freqtrade's own results on random trades", () => {
  it.each(freqtradeReferences.map((reference, index) => [index, JSON.stringify(reference.parameters), reference] as const))(
    'trade %i %s',
    (_index, _parameters, reference) => {
      const spec = { ...specFromFreqtrade(reference.side, reference.parameters), ...(reference.tickSize === undefined ? {} : { tickSize: reference.tickSize }) };
      const candles = reference.candles.map(([open, high, low, close]) => ({ open, high, low, close }));
      const result = freqtrade(spec, candles);
      expect(result.exit ?? null).toEqual(reference.exit);
      expect(result.path.slice(0, reference.path.length)).toEqual(reference.path);
    },
  );
});

describe("order 'freqtrade': what freqtrade cannot express is refused, naming the field", () => {
  function fieldOf(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).field;
    }
    throw new Error('Expected a ValidationError');
  }
  const candles = [{ open: 100, high: 101, low: 99, close: 100 }];
  const run = (spec: ReplaySpec, defaults = {}) => () => replayCandles(spec, candles, { order: 'freqtrade', defaults });

  it.each([
    ['stopLossPercent', run({ side: 'long', callbackPercent: 1 })],
    ['initialStopPrice', run({ side: 'long', initialStopPrice: 95 })],
    ['breakevenAtPercent', run({ side: 'long', stopLossPercent: 5, breakevenAtPercent: 2 })],
    ['defaults.breakevenAtPercent', run({ side: 'long', stopLossPercent: 5 }, { breakevenAtPercent: 2 })],
    ['activationPrice', run({ side: 'long', stopLossPercent: 5, activationPrice: 103 })],
    ['defaults.activationPrice', run({ side: 'long', stopLossPercent: 5 }, { activationPrice: 103 })],
    ['callbackAmount', run({ side: 'long', stopLossPercent: 5, callbackAmount: 1 })],
    ['defaults.atr', run({ side: 'long', stopLossPercent: 5 }, { atr: 1 })],
    ['callbackTicks', run({ side: 'long', stopLossPercent: 5, tickSize: 0.01, callbackTicks: 10 })],
    // Steps: only the two-tier form, first tier at the stop-loss distance, activation 0.
    ['steps', run({ side: 'long', stopLossPercent: 5, activationPercent: 0, steps: [{ profitPercent: 1, callbackPercent: 2 }] })],
    ['steps', run({ side: 'long', stopLossPercent: 5, activationPercent: 0, steps: [{ profitPercent: 1, callbackPercent: 4 }, { profitPercent: 2, callbackPercent: 2 }] })],
    ['steps', run({ side: 'long', stopLossPercent: 5, steps: [{ profitPercent: 1, callbackPercent: 5 }, { profitPercent: 2, callbackPercent: 2 }] })],
    // The spec is validated as registry.create() validates it, first.
    ['callbackPercent', run({ side: 'long', stopLossPercent: 5, callbackPercent: 100 })],
  ])('%s', (field, replay) => {
    expect(fieldOf(replay)).toBe(field);
  });

  it('accepts what does not change the replay: mode, throttle, closeOnGap, symbol, quantity', () => {
    const spec = { side: 'long', stopLossPercent: 5, mode: 'emulated', minUpdateIntervalMs: 0, closeOnGap: true, symbol: 'BTC/USDT', quantity: 3 } as const;
    // High 100.5 is +0.5 %, below the default 1 % offset: the stop stays at 95.
    expect(freqtrade(spec, [{ open: 100, high: 100.5, low: 99, close: 100 }]).path).toEqual([95]);
  });
});

describe('freqtrade numbers', () => {
  it('ratioFromPercent is the double nearest to the decimal ratio', () => {
    expect(ratioFromPercent(1.1)).toBe(0.011);
    expect(1.1 / 100).not.toBe(0.011); // why the decimal shift is needed
    expect(ratioFromPercent(7)).toBe(0.07);
    expect(ratioFromPercent(1e-7)).toBe(1e-9);
    expect(ratioFromPercent(2.5e-7)).toBe(2.5e-9);
  });

  it("roundProfitRatio rounds as Python's f\"{x:.8f}\": correctly, a tie to even", () => {
    expect(roundProfitRatio(105 / 100 - 1)).toBe(0.05); // 0.050000000000000044
    expect(roundProfitRatio(0.123456785)).toBe(0.12345678); // not a tie in binary: 0.12345678499999999944
    // Exact ties (odd multiples of 2^-9): Python gives 0.00195312, 0.00585938, -0.00195312.
    expect(roundProfitRatio(0.001953125)).toBe(0.00195312);
    expect(roundProfitRatio(0.005859375)).toBe(0.00585938);
    expect(roundProfitRatio(-0.001953125)).toBe(-0.00195312);
    expect(Number((0.001953125).toFixed(8))).toBe(0.00195313); // what toFixed alone would give
  });

  it("stopOnTickGrid: exact decimals, a long's stop up, a short's down, a price on the grid unchanged", () => {
    expect(stopOnTickGrid(97.3589, 0.05, 1)).toBe(97.4);
    expect(stopOnTickGrid(97.3589, 0.05, -1)).toBe(97.35);
    expect(stopOnTickGrid(93.1, 0.1, 1)).toBe(93.1);
    // One unit in the last place above the grid is off the grid for freqtrade's decimal arithmetic.
    expect(stopOnTickGrid(4500.000000000001, 0.01, 1)).toBe(4500.01);
    expect(stopOnTickGrid(0.25607998, 1e-8, -1)).toBe(0.25607998);
    expect(stopOnTickGrid(1.23456789e-5, 1e-7, -1)).toBe(1.23e-5);
    expect(stopOnTickGrid(1234567, 5, 1)).toBe(1234570);
  });
});
