/**
 * Candle replay: runs the trailing policy over OHLC candles, the same policy the registry runs on
 * live prices, for backtests and for choosing parameters before going live. Pure: no I/O, no
 * timers, no registry.
 *
 * A candle says where the price went (open, high, low, close) but not in which order high and low
 * came; {@link ReplayOrder} names the two assumptions offered.
 */
import { validateCreateSpec, type CreateStopSpec } from './create-spec.js';
import { ValidationError } from '../errors.js';
import { checkNumber, describeValue, positive } from '../domain/validation.js';
import type { ResolvedTrailingParameters, TrailingParameters } from './parameters.js';
import { advancePolicy, BREAKEVEN, createPolicyState, STOP_MOVED, trailingStopPrice, TRIGGERED, type PolicyState } from './policy.js';
import { validateTrailingParameters } from './resolve-parameters.js';

/** One OHLC candle. Prices are positive and finite, with `low <= open, close <= high`. */
export interface Candle {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** The candle's time, for your own bookkeeping; the replay does not read it. */
  readonly time?: number;
}

/**
 * The order in which a candle's prices are fed to the policy.
 *
 * - `'favourable-first'` (default): open, then the favourable extreme (high for a long, low for a
 *   short), then the adverse extreme, then close. The favourable extreme moves the stop before the
 *   adverse one is checked against it, as freqtrade's backtesting does (it trails with the candle's
 *   high, then tests the low against the moved stop). One difference: the open comes first here,
 *   so a candle that opens beyond the stop fills at the open; freqtrade fills at the open only when
 *   the whole candle lies beyond the stop.
 * - `'conservative'`: open, adverse extreme, favourable extreme, close: within each candle, the
 *   worst case for the trader (the stop is tested before the candle's run can tighten it, and the
 *   close is tested against the tightened stop).
 */
export type ReplayOrder = 'favourable-first' | 'conservative';

/** Options of {@link replayCandles}. */
export interface ReplayOptions {
  /** Intra-candle price order. Default `'favourable-first'`. */
  readonly order?: ReplayOrder;
  /**
   * Trailing parameters the spec does not set, as a registry's options would supply them (pass the
   * same trailing options you give `new TrailingStopRegistry()`). Default: the library's defaults
   * (activation at 1 %, callback 0.5 %).
   */
  readonly defaults?: TrailingParameters;
}

/**
 * What {@link replayCandles} replays: a `registry.create()` spec. `symbol` and `quantity` may be
 * left out (they do not affect the policy); `entryPrice` is replaced by the first candle's open.
 */
export type ReplaySpec = Omit<CreateStopSpec, 'entryPrice' | 'symbol' | 'quantity'> & {
  /** Ignored: the position enters at the first candle's open. */
  readonly entryPrice?: number;
  /** Validated when given; default `'replay'`. */
  readonly symbol?: string;
  /** Validated when given; default 1. */
  readonly quantity?: number;
};

/** Where and why the replayed position was closed. */
export interface ReplayExit {
  /** Index into the candles of the candle that closed the position. */
  readonly index: number;
  /** Fill price: the stop price, or the candle's open when the candle opened beyond the stop (a gap). */
  readonly price: number;
  /** The stop price that fired. */
  readonly stopPrice: number;
  /**
   * `'trailing'` when the stop that fired had been set by the trailing distance; `'stop'` when it
   * was the initial stop (`initialStopPrice` / `stopLossPercent`) or the breakeven stop.
   */
  readonly reason: 'trailing' | 'stop';
}

/** Result of {@link replayCandles}. */
export interface ReplayResult {
  /** The entry price: the first candle's open. */
  readonly entryPrice: number;
  /** The exit, or `undefined` when the stop never fired. */
  readonly exit: ReplayExit | undefined;
  /**
   * The stop price after each candle, one entry per candle: `null` while there is no stop (no
   * initial stop, not activated yet) and after the exit candle. At the exit candle, the stop that
   * fired.
   */
  readonly path: (number | null)[];
}

const orders: readonly ReplayOrder[] = ['favourable-first', 'conservative'];

/**
 * Replays a trailing stop over candles: the position enters at the first candle's open (which
 * replaces `spec.entryPrice`), and each candle's prices go through the same policy as
 * `registry.updatePrice()`, in the order `options.order` says. The replay stops at the first
 * candle whose prices cross the stop.
 *
 * Fills: a candle that opens beyond the stop fills at its open (a gap); any other crossing fills at
 * the stop price. Slippage and fees are not modelled.
 *
 * The default order never exits later than `'conservative'`, and on the same candle never at a
 * worse price. Over a whole series it is NOT an upper bound: a stop that survives a candle under
 * `'conservative'` may later exit higher (long) than the default order's earlier exit.
 *
 * Throws a {@link ValidationError} naming the field for a bad spec (as `registry.create()` would),
 * bad options, or a bad candle (`candles[3].low`).
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
  const parameters = validated.parameters;
  const state = createPolicyState(validated.side, entryPrice, parameters, validated.initialStopPrice);
  // As the registry does at creation: the entry price is the first price the policy sees.
  let reason: ReplayExit['reason'] = 'stop';
  const entryFlags = advancePolicy(state, parameters, entryPrice);
  if (entryFlags & STOP_MOVED) reason = reasonOf(state, parameters, entryFlags);

  const favourableFirst = order === 'favourable-first';
  const long = state.direction === 1;
  const path: (number | null)[] = [];
  const prices = [0, 0, 0, 0];
  for (let index = 0; index < candles.length; index++) {
    const candle = candles[index]!;
    const favourable = long ? candle.high : candle.low;
    const adverse = long ? candle.low : candle.high;
    prices[0] = candle.open;
    prices[1] = favourableFirst ? favourable : adverse;
    prices[2] = favourableFirst ? adverse : favourable;
    prices[3] = candle.close;
    for (let step = 0; step < 4; step++) {
      const flags = advancePolicy(state, parameters, prices[step]!);
      if (flags & STOP_MOVED) reason = reasonOf(state, parameters, flags);
      if (flags & TRIGGERED) {
        path.push(state.stopPrice);
        while (path.length < candles.length) path.push(null);
        // Only the open can jump past the stop; later prices reach it continuously.
        const price = step === 0 ? candle.open : state.stopPrice;
        return { entryPrice, exit: { index, price, stopPrice: state.stopPrice, reason }, path };
      }
    }
    path.push(state.stopPrice === state.stopPrice ? state.stopPrice : null);
  }
  return { entryPrice, exit: undefined, path };
}

/**
 * Which rule set the stop, after a call of `advancePolicy` that returned `flags` with STOP_MOVED.
 * Only breakeven (reported by BREAKEVEN in the same call) and trailing move a stop; when both ran,
 * the tighter candidate is the stop (rounding is monotone, so comparing before rounding is enough).
 */
function reasonOf(state: PolicyState, parameters: ResolvedTrailingParameters, flags: number): ReplayExit['reason'] {
  if (!(flags & BREAKEVEN)) return 'trailing';
  if (!state.activated) return 'stop';
  const direction = state.direction;
  const breakevenStop = state.entryPrice * (1 + (direction * parameters.breakevenOffsetPercent) / 100);
  return direction * (trailingStopPrice(state, parameters) - breakevenStop) > 0 ? 'trailing' : 'stop';
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

const priceFields = ['open', 'high', 'low', 'close'] as const;

function checkCandles(candles: unknown): asserts candles is readonly Candle[] {
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
