/**
 * Trailing parameters: what a caller may set per stop (or as registry defaults), and their
 * resolved, validated form that the policy and the store use.
 */

/** One profit tier: once the best profit reaches `profitPercent`, trail at `callbackPercent`. */
export interface ProfitStep {
  /** Profit of the best price so far over entry, in percent (> 0). */
  readonly profitPercent: number;
  /** Distance from the best price, in percent (0 < x < 100). */
  readonly callbackPercent: number;
}

/** How a stop is kept on the venue. */
export type StopMode = 'exchange' | 'emulated' | 'native';

/**
 * Trailing parameters. At most one distance (`callbackPercent`, `callbackAmount`, `callbackTicks`,
 * `atr`, `steps`) and at most one activation (`activationPercent`, `activationPrice`) per stop;
 * what a stop leaves out comes from the registry's defaults.
 */
export interface TrailingParameters {
  /**
   * Profit in percent at which trailing starts: long at entry x (1 + a/100), short at
   * entry x (1 - a/100). 0 trails from the start. Registry default: 1.
   */
  readonly activationPercent?: number;
  /** Absolute activation price instead of `activationPercent`. */
  readonly activationPrice?: number;
  /** Distance from the best price, in percent (0 < x < 100). Registry default: 0.5. */
  readonly callbackPercent?: number;
  /** Distance from the best price, as an absolute price difference (> 0). */
  readonly callbackAmount?: number;
  /** Distance from the best price, in ticks (an integer > 0; needs `tickSize`). */
  readonly callbackTicks?: number;
  /** Average true range fed by the caller (> 0); distance = `atr` x `atrMultiplier`. */
  readonly atr?: number;
  /** Multiplier of `atr`. Default 2. */
  readonly atrMultiplier?: number;
  /**
   * Profit tiers, ascending `profitPercent`, non-increasing `callbackPercent`. The tier reached by
   * the best profit so far applies, so the distance never widens when profit falls back. Before
   * the first tier is reached the first tier's distance applies.
   */
  readonly steps?: readonly ProfitStep[];
  /** Moves the stop to entry (plus `breakevenOffsetPercent`) once profit reaches this, in percent. */
  readonly breakevenAtPercent?: number;
  /** Offset above entry (long) or below (short) for the breakeven stop, in percent, e.g. fees. Default 0. */
  readonly breakevenOffsetPercent?: number;
  /** How the stop is kept: on the venue (default), emulated by the registry, or natively trailed. */
  readonly mode?: StopMode;
  /** Minimum time between two exchange moves of one stop, in ms. Registry default: 1,000. */
  readonly minUpdateIntervalMs?: number;
  /** Minimum tightening, in percent of the venue's stop price, worth an exchange move. Default: 0.05. */
  readonly minImprovementPercent?: number;
  /** A tightening this large (percent) bypasses `minUpdateIntervalMs`. Default: 1. */
  readonly emergencyImprovementPercent?: number;
  /** On a gap (price crossed a stop the venue does not have yet), close by market order. Default false. */
  readonly closeOnGap?: boolean;
}

/** Which distance a stop trails at. */
export type DistanceKind = 'percent' | 'amount' | 'ticks' | 'atr' | 'steps';

/** Parameters after validation and defaults: complete, plain JSON, stored with the record. */
export interface ResolvedTrailingParameters {
  /** Absolute activation price (long: reached from below; short: from above). */
  readonly activationPrice: number;
  /** Which distance applies. */
  readonly distanceKind: DistanceKind;
  /** The distance's value: percent, amount, ticks, or ATR (see `atrMultiplier`). */
  readonly distanceValue: number;
  /** Multiplier when `distanceKind` is `atr`. */
  readonly atrMultiplier: number;
  /** Tiers when `distanceKind` is `steps`, else empty. */
  readonly steps: readonly ProfitStep[];
  /** Profit percent that moves the stop to breakeven; `null` for never. */
  readonly breakevenAtPercent: number | null;
  /** Breakeven offset in percent. */
  readonly breakevenOffsetPercent: number;
  /** Price grid; `null` for none. */
  readonly tickSize: number | null;
  /** How the stop is kept. */
  readonly mode: StopMode;
  /** Throttle: minimum ms between exchange moves. */
  readonly minUpdateIntervalMs: number;
  /** Throttle: minimum improvement in percent. */
  readonly minImprovementPercent: number;
  /** Throttle: improvement in percent that bypasses the interval. */
  readonly emergencyImprovementPercent: number;
  /** Close by market order on a gap. */
  readonly closeOnGap: boolean;
}

/** The library's defaults for everything a registry does not set. */
export const defaultTrailingParameters = {
  /** Trailing starts once the price is 1% in profit. */
  activationPercent: 1,
  /** The stop trails 0.5% behind the best price. */
  callbackPercent: 0.5,
  /** An ATR distance is 2 x ATR. */
  atrMultiplier: 2,
  /** Breakeven moves the stop to the entry price exactly. */
  breakevenOffsetPercent: 0,
  /** A resting stop order on the venue, moved as the price runs. */
  mode: 'exchange',
  /** At most one venue move per second per stop. */
  minUpdateIntervalMs: 1_000,
  /** Moves smaller than 0.05% wait for a larger one. */
  minImprovementPercent: 0.05,
  /** A tightening of 1% or more moves at once, throttle or not. */
  emergencyImprovementPercent: 1,
  /** A gap past a stop the venue does not hold yet is reported, not closed by market order. */
  closeOnGap: false,
} as const satisfies TrailingParameters;
