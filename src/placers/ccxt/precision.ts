/**
 * Fitting amounts and prices to a market's precision through ccxt's own `decimalToPrecision`,
 * moving a value only in the direction asked for, so rounding never moves a stop towards the
 * market.
 */
import { ExchangeRejectedError } from '../../errors.js';
import type { CcxtExchangeLike } from './exchange.js';

// ccxt's public precision constants (ccxt.TRUNCATE, ccxt.ROUND, ccxt.DECIMAL_PLACES,
// ccxt.SIGNIFICANT_DIGITS, ccxt.TICK_SIZE, ccxt.NO_PADDING), unchanged since ccxt 1.x; repeated
// here so the adapter never imports ccxt. decimalToPrecision accepts only ROUND and TRUNCATE, so
// rounding up is built from those two.
const TRUNCATE = 0;
const ROUND = 1;
const DECIMAL_PLACES = 2;
const SIGNIFICANT_DIGITS = 3;
const TICK_SIZE = 4;
const NO_PADDING = 5;

/** Direction a value may move when it is fitted to the venue's precision. */
export type Rounding = 'down' | 'up';

/**
 * Fits `value` to the market's precision, moving it only in `rounding`'s direction. A value
 * within a millionth of a step of a grid point is that point (floating-point noise such as
 * 0.30000000000000004 is not a reason to move a whole step).
 *
 * @throws ExchangeRejectedError when the fitted value is not positive (below the precision).
 */
export function fitToPrecision(
  exchange: CcxtExchangeLike,
  symbol: string,
  kind: 'amount' | 'price',
  value: number,
  rounding: Rounding,
): string {
  const precision = exchange.market(symbol).precision[kind];
  if (precision === undefined || precision === null) {
    return kind === 'amount' ? (exchange.amountToPrecision(symbol, value) ?? String(value)) : String(value);
  }
  const mode = exchange.precisionMode ?? TICK_SIZE;
  const fit = (input: number, roundingMode: number) => exchange.decimalToPrecision(input, roundingMode, precision, mode, NO_PADDING);
  const nearest = fit(value, ROUND);
  const step = stepOf(precision, mode, value);
  let result: string;
  if (Math.abs(Number(nearest) - value) <= step * 1e-6) result = nearest;
  else if (rounding === 'down') result = fit(value, TRUNCATE);
  else result = Number(nearest) > value ? nearest : fit(Number(nearest) + step, ROUND);
  if (!(Number(result) > 0)) {
    throw new ExchangeRejectedError(`${exchange.id} ${symbol}: ${kind} ${value} is below the market's ${kind} precision ${precision}`);
  }
  return result;
}

/** One step of the price grid at `value` in ccxt's counting `mode`. */
function stepOf(precision: number, mode: number, value: number): number {
  if (mode === DECIMAL_PLACES) return 10 ** -precision;
  if (mode === SIGNIFICANT_DIGITS) return 10 ** (Math.floor(Math.log10(Math.abs(value))) - precision + 1);
  return precision;
}
