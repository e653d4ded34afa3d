import { describe, expect, it } from 'vitest';
import { ACTIVATED, BREAKEVEN, STOP_MOVED, TRIGGERED } from '../../src/policy/policy.js';
import { openPosition } from './helpers.js';

// Hand-computed cases. Entry 100 unless said; `activationPercent: 0` trails from the entry.

describe('flags', () => {
  it('are distinct bits', () => {
    expect([STOP_MOVED, ACTIVATED, TRIGGERED, BREAKEVEN]).toEqual([1, 2, 4, 8]);
  });
});

describe('percent distance', () => {
  it('long: trails the peak at peak x (1 - d) and triggers at price <= stop', () => {
    const position = openPosition({ side: 'long', activationPercent: 0, callbackPercent: 1 });
    expect(position.entryFlags).toBe(ACTIVATED | STOP_MOVED);
    expect(position.stop()).toBe(99);
    expect(position.feed(110)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(108.9);
    expect(position.feed(109.5)).toBe(0);
    expect(position.feed(108.91)).toBe(0);
    expect(position.stop()).toBe(108.9);
    expect(position.feed(108.9)).toBe(TRIGGERED);
  });

  it('short: trails the trough at trough x (1 + d) and triggers at price >= stop', () => {
    const position = openPosition({ side: 'short', activationPercent: 0, callbackPercent: 1 });
    expect(position.entryFlags).toBe(ACTIVATED | STOP_MOVED);
    expect(position.stop()).toBe(101);
    expect(position.feed(90)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(90.9);
    expect(position.feed(90.5)).toBe(0);
    expect(position.feed(90.89)).toBe(0);
    expect(position.feed(90.9)).toBe(TRIGGERED);
  });

  it('rounds away from the market on the tick grid: a long down, a short up', () => {
    // 93.1 x 0.995 = 92.6345; 93.1 x 1.005 = 93.5655.
    const long = openPosition({ side: 'long', entryPrice: 93.1, activationPercent: 0, callbackPercent: 0.5, tickSize: 0.01 });
    expect(long.stop()).toBe(92.63);
    const short = openPosition({ side: 'short', entryPrice: 93.1, activationPercent: 0, callbackPercent: 0.5, tickSize: 0.01 });
    expect(short.stop()).toBe(93.57);
  });

  it('is proportional, not a mirror image: the long and short distances differ around the entry', () => {
    // Mirror of the long's 110 -> 108.9 (1.1 below) would be 90 -> 91.1; the short's stop is 0.9 above.
    const long = openPosition({ side: 'long', activationPercent: 0, callbackPercent: 1 });
    long.feed(110);
    const short = openPosition({ side: 'short', activationPercent: 0, callbackPercent: 1 });
    short.feed(90);
    expect(long.stop()).toBe(108.9);
    expect(short.stop()).toBe(90.9);
    expect(200 - long.stop()!).not.toBe(short.stop());
  });
});

describe('amount distance', () => {
  it('long: peak - amount', () => {
    const position = openPosition({ side: 'long', activationPercent: 0, callbackAmount: 2.5 });
    expect(position.stop()).toBe(97.5);
    expect(position.feed(104)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(101.5);
    expect(position.feed(103)).toBe(0);
    expect(position.feed(101.5)).toBe(TRIGGERED);
  });

  it('short: trough + amount', () => {
    const position = openPosition({ side: 'short', activationPercent: 0, callbackAmount: 2.5 });
    expect(position.stop()).toBe(102.5);
    expect(position.feed(96)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(98.5);
    expect(position.feed(97)).toBe(0);
    expect(position.feed(98.5)).toBe(TRIGGERED);
  });

  it('never places a stop at or below zero (a long whose amount exceeds the peak has none)', () => {
    const position = openPosition({ side: 'long', activationPercent: 0, callbackAmount: 150 });
    expect(position.stop()).toBeNull();
    expect(position.feed(160)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(10);
  });
});

describe('ticks distance', () => {
  it('long: peak - n x tick', () => {
    const position = openPosition({ side: 'long', activationPercent: 0, callbackTicks: 3, tickSize: 0.5 });
    expect(position.stop()).toBe(98.5);
    expect(position.feed(103)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(101.5);
  });

  it('short: trough + n x tick', () => {
    const position = openPosition({ side: 'short', activationPercent: 0, callbackTicks: 3, tickSize: 0.5 });
    expect(position.stop()).toBe(101.5);
    expect(position.feed(97)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(98.5);
  });

  it('yields exact decimals (93.1 - 7 x 0.1 is 92.4, not 92.39999999999999)', () => {
    const long = openPosition({ side: 'long', entryPrice: 93.1, activationPercent: 0, callbackTicks: 7, tickSize: 0.1 });
    expect(long.stop()).toBe(92.4);
    const short = openPosition({ side: 'short', entryPrice: 93.1, activationPercent: 0, callbackTicks: 7, tickSize: 0.1 });
    expect(short.stop()).toBe(93.8);
  });
});

describe('atr distance', () => {
  it('long: peak - atr x multiplier; a smaller ATR tightens, a larger one never loosens', () => {
    const position = openPosition({ side: 'long', activationPercent: 0, atr: 1.5, atrMultiplier: 2 });
    expect(position.stop()).toBe(97);
    expect(position.feed(110)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(107);
    expect(position.atr(1)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(108);
    expect(position.atr(3)).toBe(0);
    expect(position.stop()).toBe(108);
    expect(position.feed(111)).toBe(0); // 111 - 6 = 105 < 108
    expect(position.stop()).toBe(108);
    expect(position.feed(115)).toBe(STOP_MOVED); // 115 - 6 = 109
    expect(position.stop()).toBe(109);
  });

  it('short: trough + atr x multiplier; a smaller ATR tightens, a larger one never loosens', () => {
    const position = openPosition({ side: 'short', activationPercent: 0, atr: 1.5, atrMultiplier: 2 });
    expect(position.stop()).toBe(103);
    expect(position.feed(90)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(93);
    expect(position.atr(1)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(92);
    expect(position.atr(3)).toBe(0);
    expect(position.stop()).toBe(92);
    expect(position.feed(89)).toBe(0); // 89 + 6 = 95 > 92
    expect(position.feed(85)).toBe(STOP_MOVED); // 85 + 6 = 91
    expect(position.stop()).toBe(91);
  });

  it('uses the default multiplier 2, and an ATR fed before activation applies from activation on', () => {
    const position = openPosition({ side: 'long', activationPercent: 5, atr: 2 });
    expect(position.atr(1)).toBe(0);
    expect(position.stop()).toBeNull();
    expect(position.feed(105)).toBe(ACTIVATED | STOP_MOVED);
    expect(position.stop()).toBe(103);
  });
});

describe('steps (profit tiers)', () => {
  const steps = [
    { profitPercent: 2, callbackPercent: 1 },
    { profitPercent: 5, callbackPercent: 0.5 },
  ];

  it('long: the first tier applies until one is reached, then the tier of the best profit', () => {
    const position = openPosition({ side: 'long', activationPercent: 0, steps, tickSize: 0.01 });
    expect(position.stop()).toBe(99);
    expect(position.state.tierIndex).toBe(-1);
    expect(position.feed(103)).toBe(STOP_MOVED); // tier 0: 103 x 0.99
    expect(position.stop()).toBe(101.97);
    expect(position.state.tierIndex).toBe(0);
    expect(position.feed(106)).toBe(STOP_MOVED); // tier 1: 106 x 0.995
    expect(position.stop()).toBe(105.47);
    expect(position.state.tierIndex).toBe(1);
    expect(position.feed(105.5)).toBe(0);
    expect(position.feed(107)).toBe(STOP_MOVED); // still tier 1 (never widens back): 107 x 0.995 = 106.465
    expect(position.stop()).toBe(106.46);
    expect(position.state.tierIndex).toBe(1);
  });

  it('short: the same tiers from above', () => {
    const position = openPosition({ side: 'short', activationPercent: 0, steps, tickSize: 0.01 });
    expect(position.stop()).toBe(101);
    expect(position.feed(97)).toBe(STOP_MOVED); // 97 x 1.01
    expect(position.stop()).toBe(97.97);
    expect(position.feed(94)).toBe(STOP_MOVED); // 94 x 1.005 = 94.47 (94.46999999999998 before rounding up)
    expect(position.stop()).toBe(94.47);
    expect(position.feed(93)).toBe(STOP_MOVED); // 93.465 rounds up
    expect(position.stop()).toBe(93.47);
  });
});

describe('activation', () => {
  it('long, by percent: no stop below entry x (1 + a), trailing from there', () => {
    const position = openPosition({ side: 'long', activationPercent: 2, callbackPercent: 1 });
    expect(position.parameters.activationPrice).toBe(102);
    expect(position.entryFlags).toBe(0);
    expect(position.feed(101)).toBe(0);
    expect(position.stop()).toBeNull();
    expect(position.state.activated).toBe(false);
    expect(position.feed(102)).toBe(ACTIVATED | STOP_MOVED);
    expect(position.stop()).toBe(100.98);
    expect(position.feed(103)).toBe(STOP_MOVED); // ACTIVATED only once
  });

  it('short, by percent: activation at entry x (1 - a)', () => {
    const position = openPosition({ side: 'short', activationPercent: 2, callbackPercent: 1 });
    expect(position.parameters.activationPrice).toBe(98);
    expect(position.feed(99)).toBe(0);
    expect(position.feed(98)).toBe(ACTIVATED | STOP_MOVED);
    expect(position.stop()).toBe(98.98);
  });

  it('by absolute price, long and short', () => {
    const long = openPosition({ side: 'long', activationPrice: 105, callbackPercent: 1 });
    expect(long.feed(104.99)).toBe(0);
    expect(long.feed(105)).toBe(ACTIVATED | STOP_MOVED);
    expect(long.stop()).toBe(103.95);
    const short = openPosition({ side: 'short', activationPrice: 95, callbackPercent: 1 });
    expect(short.feed(95.01)).toBe(0);
    expect(short.feed(95)).toBe(ACTIVATED | STOP_MOVED);
    expect(short.stop()).toBe(95.95);
  });

  it('0 trails from the start (activated by the entry price)', () => {
    const position = openPosition({ side: 'long', activationPercent: 0, callbackPercent: 0.5 });
    expect(position.entryFlags).toBe(ACTIVATED | STOP_MOVED);
    expect(position.state.activated).toBe(true);
    expect(position.stop()).toBe(99.5);
  });

  it('defaults to 1 % with a 0.5 % callback', () => {
    const position = openPosition({ side: 'long', tickSize: 0.01 });
    expect(position.feed(100.99)).toBe(0);
    expect(position.feed(101)).toBe(ACTIVATED | STOP_MOVED);
    expect(position.stop()).toBe(100.49); // 101 x 0.995 = 100.495, rounded down
  });

  it('an initial stop protects before activation; trailing replaces it once tighter', () => {
    const position = openPosition({ side: 'long', activationPercent: 2, callbackPercent: 1, stopLossPercent: 3 });
    expect(position.stop()).toBe(97);
    expect(position.feed(101)).toBe(0);
    expect(position.feed(102)).toBe(ACTIVATED | STOP_MOVED);
    expect(position.stop()).toBe(100.98);
  });
});

describe('breakeven', () => {
  it('long: moves the stop to entry x (1 + offset) once profit reaches breakevenAtPercent', () => {
    const position = openPosition({
      side: 'long',
      activationPercent: 10,
      breakevenAtPercent: 2,
      breakevenOffsetPercent: 0.5,
      initialStopPrice: 95,
      tickSize: 0.01,
    });
    expect(position.feed(101.99)).toBe(0);
    expect(position.stop()).toBe(95);
    expect(position.feed(102)).toBe(BREAKEVEN | STOP_MOVED);
    expect(position.stop()).toBe(100.5);
    expect(position.state.breakevenReached).toBe(true);
    expect(position.feed(103)).toBe(0); // once only
    expect(position.feed(100.5)).toBe(TRIGGERED);
  });

  it('short: moves the stop to entry x (1 - offset)', () => {
    const position = openPosition({
      side: 'short',
      activationPercent: 10,
      breakevenAtPercent: 2,
      breakevenOffsetPercent: 0.5,
      initialStopPrice: 105,
    });
    expect(position.feed(98.01)).toBe(0);
    expect(position.feed(98)).toBe(BREAKEVEN | STOP_MOVED);
    expect(position.stop()).toBe(99.5);
    expect(position.feed(99.5)).toBe(TRIGGERED);
  });

  it('without an offset, moves it to the entry; without an initial stop, creates one', () => {
    const position = openPosition({ side: 'long', activationPercent: 10, breakevenAtPercent: 2 });
    expect(position.stop()).toBeNull();
    expect(position.feed(102)).toBe(BREAKEVEN | STOP_MOVED);
    expect(position.stop()).toBe(100);
  });

  it('never loosens a tighter stop: BREAKEVEN is reported, the stop stays', () => {
    // Tick 5: entry 100 - 1 = 99 rounds to 95; peak 101.9 - 1 = 100.9 rounds to 100; at 102 the
    // trailing stop (101 -> 100) does not move and the breakeven stop (100) is not tighter.
    const position = openPosition({ side: 'long', activationPercent: 0, callbackAmount: 1, tickSize: 5, breakevenAtPercent: 2 });
    expect(position.stop()).toBe(95);
    expect(position.feed(101.9)).toBe(STOP_MOVED);
    expect(position.stop()).toBe(100);
    expect(position.feed(102)).toBe(BREAKEVEN);
    expect(position.stop()).toBe(100);
  });

  it('reports BREAKEVEN and the trailing move together when one price does both', () => {
    const position = openPosition({ side: 'long', activationPercent: 0, callbackPercent: 0.5, breakevenAtPercent: 2 });
    expect(position.feed(104)).toBe(BREAKEVEN | STOP_MOVED);
    expect(position.stop()).toBe(103.48); // 104 x 0.995, tighter than the breakeven stop 100
  });
});

describe('trigger', () => {
  it('long: iff price <= stop; then frozen', () => {
    const position = openPosition({ side: 'long', activationPercent: 10, initialStopPrice: 95 });
    expect(position.feed(95.01)).toBe(0);
    expect(position.feed(95)).toBe(TRIGGERED);
    expect(position.state.triggered).toBe(true);
    expect(position.feed(200)).toBe(0);
    expect(position.feed(1)).toBe(0);
    expect(position.stop()).toBe(95);
    expect(position.state.bestPrice).toBe(100);
  });

  it('short: iff price >= stop', () => {
    const position = openPosition({ side: 'short', activationPercent: 10, initialStopPrice: 105 });
    expect(position.feed(104.99)).toBe(0);
    expect(position.feed(105)).toBe(TRIGGERED);
  });

  it('fires on a gap through the stop', () => {
    const position = openPosition({ side: 'long', activationPercent: 10, stopLossPercent: 2 });
    expect(position.stop()).toBe(98);
    expect(position.feed(90)).toBe(TRIGGERED);
    const short = openPosition({ side: 'short', activationPercent: 10, stopLossPercent: 2 });
    expect(short.stop()).toBe(102);
    expect(short.feed(110)).toBe(TRIGGERED);
  });

  it('never fires without a stop', () => {
    const position = openPosition({ side: 'long', activationPercent: 10 });
    expect(position.feed(1)).toBe(0);
    expect(position.state.triggered).toBe(false);
  });

  it('updateAtr after a trigger changes nothing', () => {
    const position = openPosition({ side: 'long', activationPercent: 0, atr: 1 });
    expect(position.feed(98)).toBe(TRIGGERED);
    expect(position.atr(0.1)).toBe(0);
    expect(position.stop()).toBe(98);
  });
});

describe('initial stop', () => {
  it('is rounded away from the market on the tick grid', () => {
    const long = openPosition({ side: 'long', activationPercent: 10, initialStopPrice: 95.123, tickSize: 0.01 });
    expect(long.stop()).toBe(95.12);
    const short = openPosition({ side: 'short', activationPercent: 10, initialStopPrice: 104.567, tickSize: 0.01 });
    expect(short.stop()).toBe(104.57);
  });
});

describe('thresholds under float rounding', () => {
  it('activation, breakeven and tiers fire exactly at their percent (entry 0.07, +1 % is 0.0707)', () => {
    const activation = openPosition({ side: 'long', entryPrice: 0.07, tickSize: 0.0001, activationPercent: 1, callbackPercent: 0.5 });
    expect(activation.parameters.activationPrice).toBe(0.0707);
    expect(activation.feed(0.0707) & ACTIVATED).toBe(ACTIVATED);
    const breakeven = openPosition({ side: 'long', entryPrice: 0.07, tickSize: 0.0001, activationPercent: 50, breakevenAtPercent: 1 });
    expect(breakeven.feed(0.0707) & BREAKEVEN).toBe(BREAKEVEN);
    expect(breakeven.stop()).toBe(0.07);
    const tiers = openPosition({
      side: 'short',
      entryPrice: 0.07,
      tickSize: 0.0001,
      activationPercent: 0,
      steps: [
        { profitPercent: 0.5, callbackPercent: 2 },
        { profitPercent: 1, callbackPercent: 1 },
      ],
    });
    tiers.feed(0.0693);
    expect(tiers.state.tierIndex).toBe(1);
  });
});
