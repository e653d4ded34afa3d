import { describe, expect, it, vi } from 'vitest';
import {
  ClientOrderIdUsedError,
  ExchangeRejectedError,
  TimeoutError,
  TrailingStopError,
  ValidationError,
  hasErrorCode,
  isTrailingStopError,
} from '../src/errors.js';

/** A second, independent copy of the errors module, as the other build of the package would be. */
async function loadOtherCopy(): Promise<typeof import('../src/errors.js')> {
  vi.resetModules();
  return import('../src/errors.js');
}

describe('isTrailingStopError and hasErrorCode', () => {
  it('recognise the library errors and their codes', () => {
    const error = new ValidationError('entryPrice', 'Expected `entryPrice` to be positive');
    expect(isTrailingStopError(error)).toBe(true);
    expect(hasErrorCode(error, 'ERR_VALIDATION')).toBe(true);
    expect(hasErrorCode(error, 'ERR_TIMEOUT')).toBe(false);
    expect(hasErrorCode(new ClientOrderIdUsedError('tsr-1'), 'ERR_EXCHANGE_REJECTED')).toBe(true);
    expect(hasErrorCode(new TimeoutError('placeStop', 10), 'ERR_TIMEOUT')).toBe(true);
  });

  it('recognise an error of another copy of the package, which instanceof does not', async () => {
    const other = await loadOtherCopy();
    expect(other.ValidationError).not.toBe(ValidationError);
    const foreign = new other.ExchangeRejectedError('Insufficient margin', { key: 'BTCUSDT' });
    expect(foreign instanceof ExchangeRejectedError).toBe(false);
    expect(isTrailingStopError(foreign)).toBe(true);
    expect(hasErrorCode(foreign, 'ERR_EXCHANGE_REJECTED')).toBe(true);
    // And the other way round.
    const own = new TimeoutError('cancelStop', 5);
    expect(other.hasErrorCode(own, 'ERR_TIMEOUT')).toBe(true);
    expect(other.isTrailingStopError(own)).toBe(true);
  });

  it('refuse errors of other libraries even when they carry a code of the same shape', () => {
    const lookalike = Object.assign(new Error('timed out'), { code: 'ERR_TIMEOUT' });
    expect(isTrailingStopError(lookalike)).toBe(false);
    expect(hasErrorCode(lookalike, 'ERR_TIMEOUT')).toBe(false);
    expect(hasErrorCode({ code: 'ERR_VALIDATION', message: 'x' }, 'ERR_VALIDATION')).toBe(false);
  });

  it('refuse values that are not errors', () => {
    for (const value of [undefined, null, 'ERR_VALIDATION', 42, {}, []]) {
      expect(isTrailingStopError(value)).toBe(false);
      expect(hasErrorCode(value, 'ERR_VALIDATION')).toBe(false);
    }
  });

  it('refuse a branded object whose code is not one of the library codes', () => {
    const error = new TrailingStopError('ERR_VALIDATION', 'x');
    Object.defineProperty(error, 'code', { value: 'ERR_SOMETHING_ELSE' });
    expect(isTrailingStopError(error)).toBe(false);
  });

  it('keep the brand off the error itself: JSON and spreads show only the documented fields', () => {
    const error = new ValidationError('quantity', 'Expected `quantity` to be positive', { key: 'ETHUSDT' });
    expect(Object.getOwnPropertySymbols(error)).toEqual([]);
    expect(JSON.parse(JSON.stringify(error))).toEqual({ name: 'ValidationError', code: 'ERR_VALIDATION', key: 'ETHUSDT', field: 'quantity' });
  });
});
