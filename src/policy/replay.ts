/**
 * Candle replay: a stop over OHLC candles, for backtests and for choosing parameters before going
 * live. Pure: no I/O, no timers, no registry. Two orders run the registry's own policy
 * (`replay/policy-orders.ts`); `'freqtrade'` runs freqtrade's backtesting rules
 * (`replay/freqtrade.ts`). docs/replay.md has the rules, the differences and the parameter mapping.
 */
import { validateCreateSpec } from './create-spec.js';
import { ValidationError } from '../errors.js';
import { describeValue } from '../domain/validation.js';
import type { TrailingParameters } from './parameters.js';
import { validateTrailingParameters } from './resolve-parameters.js';
import { checkCandles } from './replay/candles.js';
import { freqtradeRulesOf, replayFreqtrade } from './replay/freqtrade.js';
import { replayPolicy } from './replay/policy-orders.js';
import type { Candle, ReplayOptions, ReplayOrder, ReplayResult, ReplaySpec } from './replay/types.js';

export type { Candle, ReplayExit, ReplayOptions, ReplayOrder, ReplayResult, ReplaySpec } from './replay/types.js';

const orders: readonly ReplayOrder[] = ['favourable-first', 'conservative', 'freqtrade'];

/**
 * Replays a stop over candles: the position enters at the first candle's open (which replaces
 * `spec.entryPrice`), and the replay ends at the first candle that reaches the stop. Slippage and
 * fees are not modelled.
 *
 * `'favourable-first'` (default): the registry's policy, favourable extreme first.
 * - The policy sees the entry price, then per candle open, favourable extreme (long: high; short:
 *   low), adverse extreme, close: the prices `registry.updatePrice()` would get.
 * - Activation, tiers and breakeven apply from their threshold on, inclusive; the stop trails from
 *   the best price, rounded away from the market to the tick (without `tickSize`, to 12
 *   significant digits), and never loosens.
 * - Exit at the first price at or beyond the stop; fill at the open when the open is beyond it (a
 *   gap), else at the stop.
 *
 * `'conservative'`: as the default, with open, adverse extreme, favourable extreme, close: the
 * stop is tested before the candle's run tightens it, and the close against the tightened stop.
 *
 * `'freqtrade'`: freqtrade's backtesting of `stoploss` and trailing stops, for a spec that maps
 * freqtrade's parameters (docs/replay.md; others throw a {@link ValidationError}).
 * - One step per candle: trail from the favourable extreme only while the stop lies strictly inside
 *   the candle (long: stop < low), then exit when the adverse extreme reaches the stop (low <= stop).
 * - The profit at the favourable extreme, rounded to 8 decimals, picks the distance: none below the
 *   offset (`activationPercent`); `callbackPercent` strictly above it; the stop-loss distance at it
 *   exactly (and below it in the two-tier form of `trailing_only_offset_is_reached: false`).
 * - Fill at the open only when the whole candle lies beyond the stop (long: stop > high), else at
 *   the stop; but a trailing exit on the entry candle fills at `max(low, open x (1 + offset -
 *   callback))` with an activation above 0 (and a callback other than the stop loss), else at
 *   `max(low, open x (1 - distance))` (short: mirrored).
 * - No rounding without `tickSize`; with it, a long's stop rounds up to the tick, a short's down.
 *
 * Where the default order differs from `'freqtrade'` on the same spec and candles:
 * - a candle opening beyond the stop fills at its open; freqtrade fills at the stop when the
 *   candle's range reaches it (freqtrade's test tc11);
 * - a candle whose adverse extreme reaches the stop it opened with still trails from its
 *   favourable extreme first; freqtrade exits at the stop it opened with (tc33);
 * - a trailing exit on the entry candle fills at the stop; freqtrade at its pessimistic price
 *   (tc34, tc35);
 * - the callback applies from the activation on, inclusive, and from the entry price itself;
 *   freqtrade applies it strictly above the offset, from the candles' extremes;
 * - the rounding of stops (see above).
 *
 * The default order never exits later than `'conservative'`, and on the same candle never at a
 * worse price; over a whole series it is NOT an upper bound. Within the domain docs/replay.md
 * states, `'freqtrade'` never exits earlier than the default order, nor at a better price on the
 * same candle except by its gap and entry-candle fills.
 *
 * Throws a {@link ValidationError} naming the field for a bad spec (as `registry.create()` would),
 * bad options, a bad candle (`candles[3].low`), or a spec the freqtrade order cannot express.
 *
 * @example
 * ```ts
 * import { replayCandles } from 'trailing-stop-registry';
 *
 * const { exit, path } = replayCandles(
 *   { side: 'long', activationPercent: 0, callbackPercent: 2, tickSize: 0.01 },
 *   [
 *     { open: 100, high: 101, low: 99.5, close: 100.5 }, // high 101: stop 98 -> 98.98
 *     { open: 100.5, high: 104, low: 100.2, close: 103.5 }, // high 104: stop 101.92; low 100.2 crosses it
 *   ],
 * );
 * // exit: { index: 1, price: 101.92, stopPrice: 101.92, reason: 'trailing' }
 * // path: [98.98, 101.92]
 *
 * // freqtrade's test tc11: stoploss -0.10, trailing_stop_positive 0.03 above an offset of 0.05,
 * // trailing_only_offset_is_reached
 * const tc11 = replayCandles(
 *   { side: 'long', stopLossPercent: 10, activationPercent: 5, callbackPercent: 3 },
 *   [
 *     { open: 5000, high: 5100, low: 4950, close: 5100 },
 *     { open: 5100, high: 5251, low: 5100, close: 5100 }, // +5.02 %: stop 5251 x 0.97 = 5093.47
 *     { open: 5000, high: 5150, low: 4650, close: 4750 }, // opens below the stop, its high above it
 *   ],
 *   { order: 'freqtrade' },
 * );
 * // tc11.exit: { index: 2, price: 5093.47, stopPrice: 5093.47, reason: 'trailing' }
 * // (the default order fills this candle at its open, 5000)
 * ```
 */
export function replayCandles(spec: ReplaySpec, candles: readonly Candle[], options: ReplayOptions = {}): ReplayResult {
  const { order, defaults } = checkOptions(options);
  checkCandles(candles);
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ValidationError('spec', `Expected the spec to be an object, got ${describeValue(spec)}`);
  }
  const entryPrice = candles[0]!.open;
  const validated = validateCreateSpec(
    { ...spec, symbol: spec.symbol ?? 'replay', quantity: spec.quantity ?? 1, entryPrice },
    defaults,
  );
  if (order === 'freqtrade') return replayFreqtrade(freqtradeRulesOf(spec, validated, defaults), candles);
  return replayPolicy(validated, candles, order === 'favourable-first');
}

function checkOptions(options: unknown): { order: ReplayOrder; defaults: TrailingParameters } {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError('options', `Expected \`options\` to be an object, got ${describeValue(options)}`);
  }
  const { order = 'favourable-first', defaults = {} } = options as ReplayOptions;
  if (!orders.includes(order)) {
    throw new ValidationError('order', `Expected \`order\` to be one of ${orders.map((name) => `'${name}'`).join(', ')}, got ${describeValue(order)}`);
  }
  if (typeof defaults !== 'object' || defaults === null || Array.isArray(defaults)) {
    throw new ValidationError('defaults', `Expected \`defaults\` to be an object of trailing parameters, got ${describeValue(defaults)}`);
  }
  validateTrailingParameters(defaults, 'defaults.');
  return { order, defaults };
}
