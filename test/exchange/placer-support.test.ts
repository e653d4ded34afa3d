import { describe, expect, it } from 'vitest';
import { validateCreateSpec } from '../../src/policy/create-spec.js';
import { fitSpecToPlacer } from '../../src/exchange/placer-support.js';
import { UnsupportedError, ValidationError } from '../../src/errors.js';
import type { OrderPlacer } from '../../src/ports/order-placer.js';
import { idlePlacer } from '../policy/helpers.js';

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

describe('fitSpecToPlacer', () => {
  it('native mode trails by percent only, within the venue limits', () => {
    const nativePlacer: OrderPlacer = { ...idlePlacer, placeTrailingStop: () => Promise.reject(new Error('not used')) };
    const spec = { symbol: 'X', side: 'long', entryPrice: 100, quantity: 1, mode: 'native' } as const;
    expect(validationErrorOf(() => fitSpecToPlacer(validateCreateSpec({ ...spec, callbackAmount: 1 }, {}), nativePlacer)).field).toBe('mode');
    expect(validationErrorOf(() => fitSpecToPlacer(validateCreateSpec({ ...spec, callbackPercent: 20 }, {}), nativePlacer)).field).toBe('callbackPercent');
    expect(fitSpecToPlacer(validateCreateSpec({ ...spec, callbackPercent: 1 }, {}), nativePlacer).parameters.mode).toBe('native');
    // Without native support it falls back to an exchange stop.
    expect(fitSpecToPlacer(validateCreateSpec({ ...spec, callbackAmount: 1 }, {}), idlePlacer).parameters.mode).toBe('exchange');
  });

  it('emulated mode needs a placer that can close positions', () => {
    const { closePosition: _unused, ...placer } = idlePlacer;
    expect(() => fitSpecToPlacer(validateCreateSpec({ symbol: 'X', side: 'long', entryPrice: 100, quantity: 1, mode: 'emulated' }, {}), placer)).toThrow(
      UnsupportedError,
    );
  });
});
