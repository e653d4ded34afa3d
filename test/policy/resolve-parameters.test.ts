import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import type { TrailingParameters } from '../../src/policy/parameters.js';
import { validateTrailingParameters } from '../../src/policy/resolve-parameters.js';
import { resolveSpec, type TestSpec } from './helpers.js';

/** The ValidationError `run` throws (fails the test when it throws nothing or something else). */
function validationErrorOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('Expected a ValidationError, nothing was thrown');
}

/** Expects `spec` to be rejected with a ValidationError naming `field` (and a message matching `message`). */
function expectRejected(spec: TestSpec, field: string, message?: RegExp, defaults: TrailingParameters = {}): void {
  const error = validationErrorOf(() => resolveSpec(spec, defaults));
  expect(error.field).toBe(field);
  expect(error.code).toBe('ERR_VALIDATION');
  if (message !== undefined) expect(error.message).toMatch(message);
}

describe('bad trailing parameters are rejected with a ValidationError naming the field', () => {
  it.each([
    ['callbackPercent', Number.NaN, /`callbackPercent`.*got `NaN` \(number\)/],
    ['callbackPercent', Number.POSITIVE_INFINITY, /got `Infinity` \(number\)/],
    ['callbackPercent', -1, /in \(0, 100\)/],
    ['callbackPercent', 0, /in \(0, 100\)/],
    ['callbackPercent', 100, /in \(0, 100\)/],
    ['callbackPercent', 150, /in \(0, 100\)/],
    ['callbackPercent', '1', /got `"1"` \(string\)/],
    ['callbackAmount', Number.NaN, undefined],
    ['callbackAmount', -2, undefined],
    ['callbackAmount', 0, undefined],
    ['callbackTicks', 1.5, /finite integer/],
    ['callbackTicks', 0, undefined],
    ['atr', Number.NEGATIVE_INFINITY, undefined],
    ['atr', -1, undefined],
    ['atrMultiplier', 0, undefined],
    ['activationPercent', -1, /\[0, \+inf\)/],
    ['activationPercent', Number.NaN, undefined],
    ['activationPrice', 0, undefined],
    ['activationPrice', -5, undefined],
    ['breakevenAtPercent', 0, undefined],
    ['breakevenAtPercent', -1, undefined],
    ['breakevenOffsetPercent', -0.1, undefined],
    ['minUpdateIntervalMs', -1, undefined],
    ['minImprovementPercent', 100, undefined],
    ['emergencyImprovementPercent', 0, undefined],
  ] as const)('%s = %s', (field, value, message) => {
    expectRejected({ side: 'long', tickSize: 0.01, [field]: value } as TestSpec, field, message);
  });

  it('an unknown mode', () => {
    expectRejected({ side: 'long', mode: 'paper' as never }, 'mode', /'exchange', 'emulated', 'native'.*"paper"/);
  });

  it('a non-boolean closeOnGap', () => {
    expectRejected({ side: 'long', closeOnGap: 'yes' as never }, 'closeOnGap');
  });

  it('two distances at once (the second named)', () => {
    expectRejected({ side: 'long', callbackPercent: 1, callbackAmount: 2 }, 'callbackAmount', /at most one trailing distance/);
    expectRejected({ side: 'long', atr: 1, steps: [{ profitPercent: 1, callbackPercent: 1 }] }, 'steps');
    expectRejected({ side: 'long', tickSize: 0.1, callbackTicks: 3, atr: 1 }, 'atr');
  });

  it('two activations at once', () => {
    expectRejected({ side: 'long', activationPercent: 1, activationPrice: 101 }, 'activationPrice', /at most one/);
  });

  it('callbackTicks without tickSize', () => {
    expectRejected({ side: 'long', callbackTicks: 5 }, 'callbackTicks', /needs `tickSize`/);
  });

  it('a breakeven offset at or above breakevenAtPercent', () => {
    expectRejected({ side: 'long', breakevenAtPercent: 1, breakevenOffsetPercent: 1 }, 'breakevenOffsetPercent', /must be below/);
    expectRejected({ side: 'long', breakevenAtPercent: 1, breakevenOffsetPercent: 2 }, 'breakevenOffsetPercent');
    // The offset may come from the defaults and still be checked against the stop's breakevenAtPercent.
    expectRejected({ side: 'long', breakevenAtPercent: 0.1 }, 'breakevenOffsetPercent', undefined, { breakevenOffsetPercent: 0.2 });
  });

  it("a short's activationPercent of 100 or more (it would activate at or below zero)", () => {
    expectRejected({ side: 'short', activationPercent: 100 }, 'activationPercent');
    expect(resolveSpec({ side: 'long', activationPercent: 100 }).parameters.activationPrice).toBe(200);
  });
});

describe('profit tiers (steps)', () => {
  it('must be a non-empty array of objects', () => {
    expectRejected({ side: 'long', steps: [] }, 'steps', /non-empty array/);
    expectRejected({ side: 'long', steps: 'x' as never }, 'steps');
    expectRejected({ side: 'long', steps: [null] as never }, 'steps[0]');
  });

  it('must be in ascending profitPercent', () => {
    const steps = [
      { profitPercent: 2, callbackPercent: 1 },
      { profitPercent: 1, callbackPercent: 0.5 },
    ];
    expectRejected({ side: 'long', steps }, 'steps[1].profitPercent', /ascending/);
    const equal = [
      { profitPercent: 2, callbackPercent: 1 },
      { profitPercent: 2, callbackPercent: 0.5 },
    ];
    expectRejected({ side: 'long', steps: equal }, 'steps[1].profitPercent');
  });

  it('must not widen', () => {
    const steps = [
      { profitPercent: 1, callbackPercent: 0.5 },
      { profitPercent: 2, callbackPercent: 1 },
    ];
    expectRejected({ side: 'long', steps }, 'steps[1].callbackPercent', /must not widen/);
  });

  it('name the bad field of a tier', () => {
    expectRejected({ side: 'long', steps: [{ profitPercent: Number.NaN, callbackPercent: 1 }] }, 'steps[0].profitPercent');
    expectRejected({ side: 'long', steps: [{ profitPercent: 1, callbackPercent: 100 }] }, 'steps[0].callbackPercent');
  });

  it('accept equal callbacks on rising profits', () => {
    const steps = [
      { profitPercent: 1, callbackPercent: 1 },
      { profitPercent: 2, callbackPercent: 1 },
    ];
    expect(resolveSpec({ side: 'long', steps }).parameters).toMatchObject({ distanceKind: 'steps', distanceValue: 1, steps });
  });
});

describe('the create spec around the parameters', () => {
  it('refuses unknown fields (a typo must not fall back to a default)', () => {
    expectRejected({ side: 'long', callbackPercnt: 1 } as TestSpec, 'callbackPercnt', /Unknown field/);
  });

  it('refuses an initial stop on the wrong side of the entry', () => {
    expectRejected({ side: 'long', initialStopPrice: 100 }, 'initialStopPrice', /below/);
    expectRejected({ side: 'short', initialStopPrice: 99 }, 'initialStopPrice', /above/);
    expectRejected({ side: 'long', initialStopPrice: 95, stopLossPercent: 5 }, 'stopLossPercent', /at most one/);
  });

  it('refuses bad positions', () => {
    expectRejected({ side: 'flat' as never }, 'side');
    expectRejected({ side: 'long', entryPrice: 0 }, 'entryPrice');
    expectRejected({ side: 'long', quantity: Number.NaN }, 'quantity');
    expectRejected({ side: 'long', tickSize: -0.01 }, 'tickSize');
    expectRejected({ side: 'long', symbol: '' }, 'symbol');
  });
});

describe('validateTrailingParameters (registry defaults)', () => {
  it('prefixes the field', () => {
    const error = validationErrorOf(() => validateTrailingParameters({ callbackPercent: Number.NaN }, 'defaults.'));
    expect(error.field).toBe('defaults.callbackPercent');
  });
});

describe('resolution', () => {
  it('fills in the library defaults: activation 1 %, callback 0.5 %, multiplier 2, exchange mode', () => {
    expect(resolveSpec({ side: 'long' }).parameters).toEqual({
      activationPrice: 101,
      distanceKind: 'percent',
      distanceValue: 0.5,
      atrMultiplier: 2,
      steps: [],
      breakevenAtPercent: null,
      breakevenOffsetPercent: 0,
      tickSize: null,
      mode: 'exchange',
      minUpdateIntervalMs: 1_000,
      minImprovementPercent: 0.05,
      emergencyImprovementPercent: 1,
      closeOnGap: false,
    });
  });

  it("takes the registry's defaults for what the stop leaves out; the stop's own distance replaces the default one whole", () => {
    const defaults: TrailingParameters = { callbackAmount: 3, activationPrice: 105, breakevenAtPercent: 2 };
    const inherited = resolveSpec({ side: 'long' }, defaults).parameters;
    expect(inherited).toMatchObject({ distanceKind: 'amount', distanceValue: 3, activationPrice: 105, breakevenAtPercent: 2 });
    const own = resolveSpec({ side: 'long', callbackPercent: 1, activationPercent: 0 }, defaults).parameters;
    expect(own).toMatchObject({ distanceKind: 'percent', distanceValue: 1, activationPrice: 100, breakevenAtPercent: 2 });
  });

  it('computes the activation price per side', () => {
    expect(resolveSpec({ side: 'long', activationPercent: 2 }).parameters.activationPrice).toBe(102);
    expect(resolveSpec({ side: 'short', activationPercent: 2 }).parameters.activationPrice).toBe(98);
    expect(resolveSpec({ side: 'short', activationPrice: 90 }).parameters.activationPrice).toBe(90);
  });

  it('derives the initial stop from stopLossPercent per side', () => {
    expect(resolveSpec({ side: 'long', stopLossPercent: 2 }).initialStopPrice).toBe(98);
    expect(resolveSpec({ side: 'short', stopLossPercent: 2 }).initialStopPrice).toBe(102);
  });
});
