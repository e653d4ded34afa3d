/**
 * The words of candle replay: candles in, an exit and the stop's path out. Shared by the policy
 * orders and the freqtrade order; `replayCandles` (in `../replay.ts`) documents each order's rules.
 */
import type { CreateStopSpec } from '../create-spec.js';
import type { TrailingParameters } from '../parameters.js';

/** One OHLC candle. Prices are positive and finite, with `low <= open, close <= high`. */
export interface Candle {
  /** First traded price of the candle; the first candle's open is the position's entry price. */
  readonly open: number;
  /** Highest price of the candle: a long's favourable extreme, a short's adverse one. */
  readonly high: number;
  /** Lowest price of the candle: a long's adverse extreme, a short's favourable one. */
  readonly low: number;
  /** Last traded price of the candle. */
  readonly close: number;
  /** The candle's time, for your own bookkeeping; the replay does not read it. */
  readonly time?: number;
}

/**
 * How a candle is replayed. A candle says where the price went (open, high, low, close) but not in
 * which order high and low came; each order is one assumption, with its own fill rules.
 *
 * - `'favourable-first'` (default): open, then the favourable extreme (high for a long, low for a
 *   short), then the adverse extreme, then close, each through the registry's own policy.
 * - `'conservative'`: open, adverse extreme, favourable extreme, close: the worst case within a
 *   candle.
 * - `'freqtrade'`: freqtrade's backtesting of `stoploss` and trailing stops, rule for rule.
 *
 * `replayCandles` lists each order's rules and where the default order differs from freqtrade's.
 */
export type ReplayOrder = 'favourable-first' | 'conservative' | 'freqtrade';

/** Options of `replayCandles`. */
export interface ReplayOptions {
  /** How each candle is replayed. Default `'favourable-first'`. */
  readonly order?: ReplayOrder;
  /**
   * Trailing parameters the spec does not set, as a registry's options would supply them (pass the
   * same trailing options you give `new TrailingStopRegistry()`). Default: the library's defaults
   * (activation at 1 %, callback 0.5 %).
   */
  readonly defaults?: TrailingParameters;
}

/**
 * What `replayCandles` replays: a `registry.create()` spec. `symbol` and `quantity` may be left
 * out (they do not affect the stop); `entryPrice` is replaced by the first candle's open.
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
  /**
   * Fill price. Policy orders: the stop price, or the candle's open when the candle opened beyond
   * the stop (a gap). `'freqtrade'`: the stop price, the open when the whole candle lies beyond the
   * stop, or freqtrade's pessimistic price for a trailing exit on the entry candle.
   */
  readonly price: number;
  /** The stop price that fired. */
  readonly stopPrice: number;
  /**
   * `'trailing'` when the stop that fired had been set by the trailing distance; `'stop'` when it
   * was the initial stop (`initialStopPrice` / `stopLossPercent`) or the breakeven stop. Under
   * `'freqtrade'`: `'trailing'` once the stop has moved at all, as freqtrade's
   * `trailing_stop_loss` exit reason.
   */
  readonly reason: 'trailing' | 'stop';
}

/** Result of `replayCandles`. */
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
