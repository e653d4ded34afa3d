/**
 * freqtrade's backtest detail cases whose exit is a stop loss or a trailing stop and that need no
 * ROI, exit signal, custom callback or custom entry price, ported as data from
 * `tests/optimize/test_backtest_detail.py` (freqtrade commit c9ae5e1e9ff25bb55dd61f5e5519f7c479291edb;
 * cases are `BTContainer`s from `tests/optimize/__init__.py`, run with fee 0 and no price precision).
 *
 * Each case keeps its name, its parameters as freqtrade's config spells them, and the candles from
 * the entry candle (`openTick`: the candle after the entry signal, entered at its open) to the end
 * of the data. freqtrade's test asserts the exit candle (`closeTick`), the exit reason and the
 * profit rounded to 3 decimals (`profitPercent`); the exact fill `price` is worked out from
 * freqtrade's rules in each case's `why`. ROI, where a case sets one, never decides the exit: a stop
 * loss is checked before ROI, and ROI was not reached before the trailing exits. tc3 and tc15 hold
 * two trades; each trade ported is its own case.
 */
import type { Candle } from '../../src/policy/replay.js';

/** freqtrade's stop-loss settings, as in a strategy or config (`stoploss` is negative). */
export interface FreqtradeParameters {
  readonly stoploss: number;
  readonly trailing_stop?: boolean;
  readonly trailing_stop_positive?: number;
  readonly trailing_stop_positive_offset?: number;
  readonly trailing_only_offset_is_reached?: boolean;
}

/** One trade of a freqtrade test case, replayed from its entry candle. */
export interface FreqtradeCase {
  /** The freqtrade test case (`tc11`), with the trade when the case has two. */
  readonly name: string;
  readonly side: 'long' | 'short';
  readonly parameters: FreqtradeParameters;
  /** Index in the case's data of the entry candle. */
  readonly openTick: number;
  /** From the entry candle on. */
  readonly candles: readonly Candle[];
  readonly exit: {
    /** freqtrade's `close_tick`. */
    readonly closeTick: number;
    /** The fill price under freqtrade's rules. */
    readonly price: number;
    /** `'stop'` for freqtrade's `stop_loss`, `'trailing'` for `trailing_stop_loss`. */
    readonly reason: 'stop' | 'trailing';
  };
  /** freqtrade's `profit_perc` for this trade: the profit ratio, asserted to 3 decimals. */
  readonly profitRatio: number;
  /** How the fill price follows from freqtrade's rules. */
  readonly why: string;
}

type Row = readonly [open: number, high: number, low: number, close: number];
const candles = (...rows: Row[]): Candle[] => rows.map(([open, high, low, close]) => ({ open, high, low, close }));

/** Trailing at 10 %, positive 3 % above 5 %, only once the offset is reached (tc11, tc12, tc31, tc32). */
const positiveAboveFivePercent = {
  stoploss: -0.1,
  trailing_stop: true,
  trailing_only_offset_is_reached: true,
  trailing_stop_positive_offset: 0.05,
  trailing_stop_positive: 0.03,
} as const;

export const freqtradeCases: readonly FreqtradeCase[] = [
  {
    name: 'tc1',
    side: 'long',
    parameters: { stoploss: -0.01 },
    openTick: 1,
    candles: candles([5000, 5025, 4975, 4987], [4987, 5012, 4600, 4600], [4975, 5000, 4975, 4977], [4977, 4995, 4977, 4995], [4995, 4995, 4950, 4950]),
    exit: { closeTick: 2, price: 4950, reason: 'stop' },
    profitRatio: -0.01,
    why: 'stop 5000 x 0.99 = 4950; candle 2 low 4600 reaches it, its high 5012 is above it: fill at the stop',
  },
  {
    name: 'tc2',
    side: 'long',
    parameters: { stoploss: -0.03 },
    openTick: 1,
    candles: candles([5000, 5025, 4975, 4987], [4987, 5012, 4962, 4975], [4975, 5000, 4800, 4962], [4962, 4987, 4937, 4950], [4950, 4975, 4925, 4950]),
    exit: { closeTick: 3, price: 4850, reason: 'stop' },
    profitRatio: -0.03,
    why: 'stop 4850; candle 3 low 4800 reaches it',
  },
  {
    name: 'tc3 (trade A)',
    side: 'long',
    parameters: { stoploss: -0.02 },
    openTick: 1,
    candles: candles([5000, 5025, 4975, 4987], [4987, 5012, 4800, 4975], [4975, 5000, 4950, 4962], [4975, 5000, 4950, 4962], [4962, 4987, 4000, 4000], [4950, 4975, 4950, 4950]),
    exit: { closeTick: 2, price: 4900, reason: 'stop' },
    profitRatio: -0.02,
    why: 'stop 4900; candle 2 low 4800 reaches it',
  },
  {
    name: 'tc3 (trade B)',
    side: 'long',
    parameters: { stoploss: -0.02 },
    openTick: 4,
    candles: candles([4975, 5000, 4950, 4962], [4962, 4987, 4000, 4000], [4950, 4975, 4950, 4950]),
    exit: { closeTick: 5, price: 4875.5, reason: 'stop' },
    profitRatio: -0.02,
    why: 'enters at 4975: stop 4875.5; candle 5 low 4000 reaches it, its high 4987 is above it',
  },
  {
    name: 'tc4',
    side: 'long',
    parameters: { stoploss: -0.02 },
    openTick: 1,
    candles: candles([5000, 5025, 4975, 4987], [4987, 5750, 4850, 5750], [4975, 5000, 4950, 4962], [4962, 4987, 4937, 4950], [4950, 4975, 4925, 4950]),
    exit: { closeTick: 2, price: 4900, reason: 'stop' },
    profitRatio: -0.02,
    why: 'stop 4900; candle 2 low 4850 reaches it (its high reaches the 6 % ROI too, but a stop loss is checked first)',
  },
  {
    name: 'tc6',
    side: 'long',
    parameters: { stoploss: -0.02 },
    openTick: 1,
    candles: candles([5000, 5025, 4975, 4987], [4987, 5300, 4850, 5050], [4975, 5000, 4950, 4962], [4962, 4987, 4950, 4950], [4950, 4975, 4925, 4950]),
    exit: { closeTick: 2, price: 4900, reason: 'stop' },
    profitRatio: -0.02,
    why: 'stop 4900; candle 2 low 4850 reaches it (stop loss before the 5 % ROI)',
  },
  {
    name: 'tc8',
    side: 'long',
    parameters: { stoploss: -0.1, trailing_stop: true },
    openTick: 1,
    candles: candles([5000, 5050, 4950, 5000], [5000, 5250, 4750, 4850], [4850, 5050, 4650, 4750], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 3, price: 4725, reason: 'trailing' },
    profitRatio: -0.055,
    why: 'trails at 10 %: 4545 (high 5050), 4725 (high 5250, low 4750 above it); candle 3 low 4650 reaches 4725',
  },
  {
    name: 'tc9',
    side: 'long',
    parameters: { stoploss: -0.1, trailing_stop: true },
    openTick: 1,
    candles: candles([5000, 5050, 4950, 5000], [5000, 5050, 4950, 5000], [5000, 5200, 4550, 4850], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 3, price: 4680, reason: 'trailing' },
    profitRatio: -0.064,
    why: 'stop 4545; candle 3: 4545 < low 4550, so high 5200 moves it to 4680, which the low then reaches',
  },
  {
    name: 'tc10',
    side: 'long',
    parameters: { ...positiveAboveFivePercent, trailing_stop_positive_offset: 0.1 },
    openTick: 1,
    candles: candles([5000, 5100, 4950, 5100], [5100, 5251, 5100, 5100], [4850, 5050, 4650, 4750], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 4, price: 4500, reason: 'stop' },
    profitRatio: -0.1,
    why: 'the best profit, 5.02 %, stays below the 10 % offset: no trailing; candle 4 low 4350 reaches the stop 4500',
  },
  {
    name: 'tc11',
    side: 'long',
    parameters: positiveAboveFivePercent,
    openTick: 1,
    candles: candles([5000, 5100, 4950, 5100], [5100, 5251, 5100, 5100], [5000, 5150, 4650, 4750], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 3, price: 5093.47, reason: 'trailing' },
    profitRatio: 0.019,
    why: 'high 5251 (+5.02 %) moves the stop to 5251 x 0.97 = 5093.47; candle 3 opens below it at 5000 but its high 5150 is above it: fill at the stop',
  },
  {
    name: 'tc12',
    side: 'long',
    parameters: positiveAboveFivePercent,
    openTick: 1,
    candles: candles([5000, 5100, 4950, 5100], [5100, 5251, 4650, 5100], [4850, 5050, 4650, 4750], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 2, price: 5093.47, reason: 'trailing' },
    profitRatio: 0.019,
    why: 'candle 2: stop 4500 < low 4650, high 5251 moves it to 5093.47, the low reaches it',
  },
  {
    name: 'tc14',
    side: 'long',
    parameters: { stoploss: -0.05 },
    openTick: 1,
    candles: candles([5000, 5100, 4600, 5100], [5100, 5251, 4850, 5100], [4850, 5050, 4750, 4750], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 1, price: 4750, reason: 'stop' },
    profitRatio: -0.05,
    why: 'entry candle: low 4600 reaches the stop 4750 (a plain stop loss: no entry-candle price rule)',
  },
  {
    name: 'tc15 (trade B)',
    side: 'long',
    parameters: { stoploss: -0.05 },
    openTick: 2,
    candles: candles([5100, 5251, 4650, 5100], [4850, 5050, 4750, 4750], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 2, price: 4845, reason: 'stop' },
    profitRatio: -0.05,
    why: 'enters at 5100 (after trade A left by ROI on candle 1): stop 4845; entry candle low 4650 reaches it (stop loss before ROI)',
  },
  {
    name: 'tc25',
    side: 'long',
    parameters: { stoploss: -0.01 },
    openTick: 1,
    candles: candles([5000, 5025, 4975, 4987], [4987, 5012, 4986, 4986], [5010, 5010, 4855, 5010], [5010, 5010, 4977, 4995], [4995, 4995, 4950, 4950]),
    exit: { closeTick: 3, price: 4950, reason: 'stop' },
    profitRatio: -0.01,
    why: 'stop 4950; candle 3 low 4855 reaches it (the exit signal on candle 3 would act one candle later)',
  },
  {
    name: 'tc31',
    side: 'long',
    parameters: positiveAboveFivePercent,
    openTick: 1,
    candles: candles([5000, 5100, 4950, 5100], [5100, 5251, 5100, 5100], [4850, 5050, 4650, 4750], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 3, price: 4850, reason: 'trailing' },
    profitRatio: -0.03,
    why: 'stop 5093.47 as in tc11; candle 3 lies wholly below it (high 5050): fill at its open 4850',
  },
  {
    name: 'tc32',
    side: 'short',
    parameters: positiveAboveFivePercent,
    openTick: 1,
    candles: candles([5000, 5050, 4890, 4890], [4890, 4890, 4749, 4890], [5150, 5350, 4950, 4950], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 3, price: 5150, reason: 'trailing' },
    profitRatio: -0.03,
    why: 'short: stop 5500; candle 2 low 4749 (+5.02 %) moves it down to 4749 x 1.03 = 4891.47; candle 3 lies wholly above it (low 4950): fill at its open 5150',
  },
  {
    name: 'tc33',
    side: 'long',
    parameters: { stoploss: -0.1, trailing_stop: true, trailing_stop_positive: 0.03 },
    openTick: 1,
    candles: candles([5000, 5050, 5000, 5000], [4900, 5250, 4500, 5100], [5100, 5100, 4650, 4750], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 2, price: 4898.5, reason: 'trailing' },
    profitRatio: -0.02,
    why: 'entry candle high 5050 (+1 %, above the 0 offset) moves the stop to 4898.5; candle 2 low 4500 reaches it, so its high 5250 does not trail: fill at 4898.5',
  },
  {
    name: 'tc34',
    side: 'long',
    parameters: { stoploss: -0.1, trailing_stop: true, trailing_stop_positive: 0.01 },
    openTick: 1,
    candles: candles([5000, 5500, 4900, 4900], [4900, 5250, 4500, 5100], [5100, 5100, 4650, 4750], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 1, price: 4950, reason: 'trailing' },
    profitRatio: -0.01,
    why: 'entry candle: high 5500 moves the stop to 5445, low 4900 reaches it; a trailing exit on the entry candle fills at max(low, open x (1 - 0.01)) = 4950',
  },
  {
    name: 'tc35',
    side: 'long',
    parameters: { stoploss: -0.1, trailing_stop: true, trailing_only_offset_is_reached: true, trailing_stop_positive_offset: 0.02, trailing_stop_positive: 0.01 },
    openTick: 1,
    candles: candles([5000, 5500, 4900, 4900], [4900, 5250, 4500, 5100], [5100, 5100, 4650, 4750], [4750, 4950, 4350, 4750]),
    exit: { closeTick: 1, price: 5050, reason: 'trailing' },
    profitRatio: 0.01,
    why: 'entry candle as tc34, with only_offset_is_reached: fill at max(low, open x (1 + 0.02 - 0.01)) = 5050',
  },
];

/** A case of our own, for a rule the ported cases leave out (shorts, offsets, ticks). */
export interface DerivedCase {
  readonly name: string;
  readonly side: 'long' | 'short';
  readonly parameters: FreqtradeParameters;
  /** freqtrade's price precision in TICK_SIZE mode. */
  readonly tickSize?: number;
  readonly candles: readonly Candle[];
  readonly exit: { readonly index: number; readonly price: number; readonly stopPrice: number; readonly reason: 'stop' | 'trailing' };
  readonly why: string;
}

/**
 * Cases worked out from freqtrade's rules for what the ported cases leave out: shorts (tc32 is
 * freqtrade's only short stop exit without a custom callback), the exact offset, the inclusive and
 * strict comparisons, the two-tier form, tick sizes. Each was checked against freqtrade's own
 * functions (`ft_stoploss_adjust`, `ft_stoploss_reached`, `adjust_stop_loss`,
 * `_get_close_rate_for_stoploss`, run outside this repository).
 */
export const derivedCases: readonly DerivedCase[] = [
  {
    name: 'short, tc34 mirrored: a trailing exit on the entry candle fills at min(high, open x (1 + 0.01))',
    side: 'short',
    parameters: { stoploss: -0.1, trailing_stop: true, trailing_stop_positive: 0.01 },
    candles: candles([5000, 5100, 4500, 5100], [5100, 5150, 5000, 5050]),
    exit: { index: 0, price: 5050, stopPrice: 4545, reason: 'trailing' },
    why: 'stop 5500 > high 5100, so low 4500 (+10 %) moves it to 4545; high 5100 reaches it on the entry candle',
  },
  {
    name: 'short, tc35 mirrored: with only_offset_is_reached, min(high, open x (1 - 0.02 + 0.01))',
    side: 'short',
    parameters: { stoploss: -0.1, trailing_stop: true, trailing_only_offset_is_reached: true, trailing_stop_positive_offset: 0.02, trailing_stop_positive: 0.01 },
    candles: candles([5000, 5100, 4500, 5100], [5100, 5150, 5000, 5050]),
    exit: { index: 0, price: 4950, stopPrice: 4545, reason: 'trailing' },
    why: 'as above; the fill assumes the price fell just to the offset and turned: 5000 x 0.99',
  },
  {
    name: 'short, tc11 mirrored: a candle opening above the stop fills at the stop when its low is below it',
    side: 'short',
    parameters: positiveAboveFivePercent,
    candles: candles([5000, 5010, 4950, 4960], [4800, 4800, 4700, 4720], [4900, 4950, 4820, 4830], [4830, 4900, 4800, 4850]),
    exit: { index: 2, price: 4841, stopPrice: 4841, reason: 'trailing' },
    why: 'candle 1 low 4700 (+6 %) moves the stop to 4841; candle 2 opens at 4900, above it, but its low 4820 is below it',
  },
  {
    name: 'short, tc33 mirrored: no trailing from a candle whose high reaches the stop it opened with',
    side: 'short',
    parameters: { stoploss: -0.1, trailing_stop: true, trailing_stop_positive: 0.03 },
    candles: candles([5000, 5000, 4950, 5000], [5050, 5200, 4500, 4900], [4900, 4950, 4850, 4900]),
    exit: { index: 1, price: 5098.5, stopPrice: 5098.5, reason: 'trailing' },
    why: 'entry candle low 4950 moves the stop to 5098.5; candle 2 high 5200 reaches it, so its low 4500 does not trail',
  },
  {
    name: 'a profit exactly at the offset trails at the stop-loss distance, not the positive one',
    side: 'long',
    parameters: positiveAboveFivePercent,
    candles: candles([100, 105, 100, 104], [104, 104, 94, 95], [95, 96, 93, 94]),
    exit: { index: 1, price: 94.5, stopPrice: 94.5, reason: 'trailing' },
    why: 'high 105 is +5 %: not below the offset (trails), not above it (distance 10 %): 94.5',
  },
  {
    name: 'a trailing exit on the entry candle with only_offset_is_reached may fill above its stop',
    side: 'long',
    parameters: positiveAboveFivePercent,
    candles: candles([100, 105.01, 100, 104], [104, 104, 94, 95]),
    exit: { index: 0, price: 102, stopPrice: 101.8597, reason: 'trailing' },
    why: 'high 105.01 (+5.01 %) moves the stop to 101.8597, the low 100 reaches it; fill at 100 x (1 + 0.05 - 0.03) = 102',
  },
  {
    name: 'a low exactly at the stop exits (inclusive)',
    side: 'long',
    parameters: { stoploss: -0.02 },
    candles: candles([100, 101, 98, 99], [99, 100, 97, 98]),
    exit: { index: 0, price: 98, stopPrice: 98, reason: 'stop' },
    why: 'stop 98, low 98',
  },
  {
    name: 'a low exactly at the stop does not trail (strict)',
    side: 'long',
    parameters: { stoploss: -0.1, trailing_stop: true, trailing_stop_positive: 0.03 },
    candles: candles([100, 100, 100, 100], [100, 110, 90, 100], [100, 101, 99, 100]),
    exit: { index: 1, price: 90, stopPrice: 90, reason: 'stop' },
    why: 'the entry candle is flat (profit 0: distance 10 %, 90 does not move the stop 90); candle 1 low 90 is not above the stop, so high 110 does not trail',
  },
  {
    name: 'trailing_only_offset_is_reached false with an offset: the stop-loss distance, then the positive one (freqtrade docs example)',
    side: 'long',
    parameters: { stoploss: -0.1, trailing_stop: true, trailing_stop_positive: 0.02, trailing_stop_positive_offset: 0.03 },
    candles: candles([100, 102, 100, 101], [101, 103.5, 101, 103], [103, 104, 102, 103]),
    // 103.5 x 0.98 in floating point, as freqtrade computes it.
    exit: { index: 1, price: 101.42999999999999, stopPrice: 101.42999999999999, reason: 'trailing' },
    why: 'high 102 (+2 %, not above 3 %): 10 % below it, 91.8; high 103.5 (+3.5 %): 2 % below it, 101.43, which the low 101 reaches',
  },
  {
    name: 'the same for a short',
    side: 'short',
    parameters: { stoploss: -0.1, trailing_stop: true, trailing_stop_positive: 0.02, trailing_stop_positive_offset: 0.03 },
    candles: candles([100, 100, 98, 99], [99, 99, 96.5, 97], [97, 98, 96, 97]),
    exit: { index: 1, price: 98.43, stopPrice: 98.43, reason: 'trailing' },
    why: 'low 98 (+2 %): 98 x 1.1; low 96.5 (+3.5 %): 96.5 x 1.02 = 98.43, which the high 99 reaches',
  },
  {
    name: "a tick size rounds a long's stop up",
    side: 'long',
    parameters: { stoploss: -0.03 },
    tickSize: 0.05,
    candles: candles([100.37, 100.5, 97.38, 97.5], [97.5, 98, 97, 97.2]),
    exit: { index: 0, price: 97.4, stopPrice: 97.4, reason: 'stop' },
    why: '100.37 x 0.97 = 97.3589, up to the tick: 97.4 (the registry rounds it down, to 97.35)',
  },
  {
    name: "a tick size rounds a short's stop down",
    side: 'short',
    parameters: { stoploss: -0.03 },
    tickSize: 0.05,
    candles: candles([100.37, 103.36, 100, 103], [103, 104, 102, 103.5]),
    exit: { index: 0, price: 103.35, stopPrice: 103.35, reason: 'stop' },
    why: '100.37 x 1.03 = 103.3811, down to the tick: 103.35',
  },
];
