import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isOnTick, roundToTick, tickDecimals } from '../../src/policy/tick.js';

fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_250_611) });

/** Tick sizes seen on real venues, with their decimals. */
const ticks = [
  [1, 0],
  [5, 0],
  [0.5, 1],
  [0.1, 1],
  [0.25, 2],
  [0.01, 2],
  [0.001, 3],
  [0.0005, 4],
  [0.0001, 4],
  [0.00001234, 8],
  [1e-7, 7],
  [1e-8, 8],
] as const;

describe('tickDecimals', () => {
  it.each([
    [1, 0],
    [5, 0],
    [10, 0],
    [0.5, 1],
    [0.1, 1],
    [0.25, 2],
    [0.01, 2],
    [0.0005, 4],
    [0.00001234, 8],
    [1e-7, 7],
    [1.5e-7, 8],
    [1.234e-7, 10],
    [1e-8, 8],
  ])('tickDecimals(%s) is %i', (tickSize, decimals) => {
    expect(tickDecimals(tickSize)).toBe(decimals);
  });

  it('reads exponent notation (String(1e-8) is "1e-8")', () => {
    expect(String(1e-8)).toBe('1e-8');
    expect(tickDecimals(1e-8)).toBe(8);
  });
});

describe('roundToTick', () => {
  it('rounds down and up to the grid', () => {
    expect(roundToTick(93.14, 0.1, 1, 'down')).toBe(93.1);
    expect(roundToTick(93.14, 0.1, 1, 'up')).toBe(93.2);
    expect(roundToTick(101.303, 0.5, 1, 'down')).toBe(101);
    expect(roundToTick(101.303, 0.5, 1, 'up')).toBe(101.5);
    expect(roundToTick(0.000012345, 1e-8, 8, 'down')).toBe(0.00001234);
    expect(roundToTick(0.000012345, 1e-8, 8, 'up')).toBe(0.00001235);
    expect(roundToTick(0.000037, 0.00001234, 8, 'down')).toBe(0.00002468);
    expect(roundToTick(0.000037, 0.00001234, 8, 'up')).toBe(0.00003702);
  });

  it('returns exact decimals: 931 ticks of 0.1 is 93.1, never 93.10000000000001', () => {
    expect(931 * 0.1).toBe(93.10000000000001);
    expect(roundToTick(931 * 0.1, 0.1, 1, 'down')).toBe(93.1);
    expect(roundToTick(931 * 0.1, 0.1, 1, 'up')).toBe(93.1);
    // 93.1 - 0.3 is 92.79999999999998 in floating point.
    expect(roundToTick(93.1 - 3 * 0.1, 0.1, 1, 'down')).toBe(92.8);
    expect(roundToTick(93.1 - 3 * 0.1, 0.1, 1, 'up')).toBe(92.8);
  });

  it('keeps a value on the grid where it is, in both directions, for any number of ticks', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ticks), fc.integer({ min: 1, max: 1e12 }), ([tickSize, decimals], count) => {
        const value = Number((count * tickSize).toFixed(decimals));
        expect(roundToTick(value, tickSize, decimals, 'down')).toBe(value);
        expect(roundToTick(value, tickSize, decimals, 'up')).toBe(value);
        // The same value carrying float dust from a multiplication.
        expect(roundToTick(count * tickSize, tickSize, decimals, 'down')).toBe(value);
        expect(roundToTick(count * tickSize, tickSize, decimals, 'up')).toBe(value);
      }),
      { numRuns: 2_000 },
    );
  });

  it('brackets any value between two neighbouring grid points, as exact decimals', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ticks),
        fc.integer({ min: 1, max: 1e9 }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        ([tickSize, decimals], count, fraction) => {
          const value = (count + fraction) * tickSize;
          const down = roundToTick(value, tickSize, decimals, 'down');
          const up = roundToTick(value, tickSize, decimals, 'up');
          expect(down).toBe(Number((count * tickSize).toFixed(decimals)));
          expect(up).toBe(Number(((count + 1) * tickSize).toFixed(decimals)));
          expect(down).toBeLessThanOrEqual(value);
          expect(up).toBeGreaterThanOrEqual(value);
          expect(tickDecimals(down)).toBeLessThanOrEqual(decimals);
          expect(tickDecimals(up)).toBeLessThanOrEqual(decimals);
          expect(isOnTick(down, tickSize, decimals)).toBe(true);
          expect(isOnTick(up, tickSize, decimals)).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('isOnTick', () => {
  it('accepts exact grid decimals only', () => {
    expect(isOnTick(93.1, 0.1, 1)).toBe(true);
    expect(isOnTick(93.10000000000001, 0.1, 1)).toBe(false);
    expect(isOnTick(93.15, 0.1, 1)).toBe(false);
    expect(isOnTick(101.5, 0.5, 1)).toBe(true);
    expect(isOnTick(101.25, 0.5, 1)).toBe(false);
    expect(isOnTick(0.00001234, 1e-8, 8)).toBe(true);
    expect(isOnTick(0.000012345, 1e-8, 8)).toBe(false);
    expect(isOnTick(0.00003702, 0.00001234, 8)).toBe(true);
  });
});
