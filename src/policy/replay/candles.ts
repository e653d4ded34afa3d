/** Validation of replay candles (I8): every price positive and finite, open and close within [low, high]. */
import { ValidationError } from '../../errors.js';
import { checkNumber, describeValue, positive } from '../../domain/validation.js';
import type { Candle } from './types.js';

const priceFields = ['open', 'high', 'low', 'close'] as const;

/** Throws a {@link ValidationError} naming the first bad candle field (`candles[3].low`). */
export function checkCandles(candles: unknown): asserts candles is readonly Candle[] {
  if (!Array.isArray(candles) || candles.length === 0) {
    throw new ValidationError('candles', `Expected \`candles\` to be a non-empty array of { open, high, low, close }, got ${describeValue(candles)}`);
  }
  for (let index = 0; index < candles.length; index++) {
    const candle: unknown = candles[index];
    const at = `candles[${index}]`;
    if (typeof candle !== 'object' || candle === null) {
      throw new ValidationError(at, `Expected \`${at}\` to be an object { open, high, low, close }, got ${describeValue(candle)}`);
    }
    for (const name of priceFields) {
      const message = checkNumber(`${at}.${name}`, (candle as Record<string, unknown>)[name], positive);
      if (message !== undefined) throw new ValidationError(`${at}.${name}`, message);
    }
    const { open, high, low, close } = candle as Candle;
    if (low > high) {
      throw new ValidationError(`${at}.low`, `Expected \`${at}.low\` (${low}) to be at most \`${at}.high\` (${high})`);
    }
    for (const [name, value] of [['open', open], ['close', close]] as const) {
      if (value < low || value > high) {
        throw new ValidationError(`${at}.${name}`, `Expected \`${at}.${name}\` (${value}) to lie within [low, high] = [${low}, ${high}]`);
      }
    }
  }
}
