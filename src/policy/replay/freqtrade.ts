/**
 * The `'freqtrade'` replay order: freqtrade's backtesting of `stoploss` and trailing stops, read
 * from freqtrade's `IStrategy.ft_stoploss_adjust` / `ft_stoploss_reached`,
 * `LocalTrade.adjust_stop_loss` and `Backtesting._get_close_rate_for_stoploss`, and reimplemented
 * here. It runs on freqtrade's five parameters, read from a spec (see {@link freqtradeRulesOf});
 * the registry's policy is not involved.
 */
import { ValidationError } from '../../errors.js';
import type { ValidatedSpec } from '../create-spec.js';
import { defaultTrailingParameters, type DistanceKind, type TrailingParameters } from '../parameters.js';
import { ratioFromPercent, roundProfitRatio, stopOnTickGrid } from './freqtrade-numbers.js';
import type { Candle, ReplayExit, ReplayResult, ReplaySpec } from './types.js';

/** freqtrade's stop-loss settings, as ratios (freqtrade's `stoploss: -0.10` is `stoploss: 0.1`). */
export interface FreqtradeRules {
  /** 1 for a long, -1 for a short. */
  readonly direction: 1 | -1;
  /** `abs(stoploss)`: the initial stop's distance from the entry, and the trailing distance while `positive` does not apply. */
  readonly stoploss: number;
  /** `trailing_stop`. */
  readonly trailing: boolean;
  /** `trailing_stop_positive`, or `undefined` when not set. */
  readonly positive: number | undefined;
  /** `trailing_stop_positive_offset`. */
  readonly offset: number;
  /** `trailing_only_offset_is_reached`. */
  readonly onlyOffset: boolean;
  /** Price grid (freqtrade's price precision in TICK_SIZE mode), or `null` for none. */
  readonly tickSize: number | null;
}

const distanceFields: Record<DistanceKind, string> = {
  percent: 'callbackPercent',
  amount: 'callbackAmount',
  ticks: 'callbackTicks',
  atr: 'atr',
  steps: 'steps',
};

const twoTierForm =
  '[{ profitPercent: <any below the offset>, callbackPercent: <stopLossPercent> }, { profitPercent: <offset>, callbackPercent: <trailing_stop_positive> }] with `activationPercent: 0`';

/**
 * Reads freqtrade's parameters from a replay spec (validated as `registry.create()` validates it)
 * and the replay's defaults; throws a {@link ValidationError} for what freqtrade cannot express.
 *
 * - `stopLossPercent` is `stoploss` (required; `initialStopPrice` is refused).
 * - `trailing: false` is `trailing_stop: false`; otherwise `trailing_stop: true` with:
 *   - `activationPercent` A > 0 and `callbackPercent` C: `trailing_stop_positive_offset` A / 100,
 *     `trailing_stop_positive` C / 100, `trailing_only_offset_is_reached: true`;
 *   - `activationPercent: 0` and `callbackPercent` C: offset 0, positive C / 100,
 *     `trailing_only_offset_is_reached: false`;
 *   - `activationPercent: 0` and two `steps`, the first at the stop-loss distance: offset and
 *     positive from the second tier, `trailing_only_offset_is_reached: false`.
 *   A callback equal to the stop loss reads as `trailing_stop_positive` not set: freqtrade then
 *   trails at `stoploss`, the same distance, and only the entry candle's fill differs.
 * - Breakeven, `activationPrice` and distances other than percent are refused; `tickSize` is
 *   freqtrade's price precision in TICK_SIZE mode.
 */
export function freqtradeRulesOf(spec: ReplaySpec, validated: ValidatedSpec, defaults: TrailingParameters): FreqtradeRules {
  const parameters = validated.parameters;
  const direction = validated.side === 'long' ? 1 : -1;
  const fieldOf = (name: keyof TrailingParameters, owned: boolean) => (owned ? name : `defaults.${name}`);
  if (spec.initialStopPrice !== undefined) {
    throw new ValidationError('initialStopPrice', "Order 'freqtrade' takes the stop loss as `stopLossPercent` (freqtrade's `stoploss`), not `initialStopPrice`");
  }
  const stopLossPercent = spec.stopLossPercent;
  if (stopLossPercent === undefined) {
    throw new ValidationError('stopLossPercent', "Order 'freqtrade' needs `stopLossPercent`: freqtrade's `stoploss` (10 for `stoploss: -0.10`)");
  }
  if (parameters.breakevenAtPercent !== null) {
    throw new ValidationError(
      fieldOf('breakevenAtPercent', spec.breakevenAtPercent !== undefined),
      "Order 'freqtrade' has no breakeven stop (freqtrade moves a stop to breakeven only in `custom_stoploss`)",
    );
  }
  const stoploss = ratioFromPercent(stopLossPercent);
  const base = { direction, stoploss, tickSize: parameters.tickSize } as const;
  if (spec.trailing === false) return { ...base, trailing: false, positive: undefined, offset: 0, onlyOffset: true };

  const ownsActivation = spec.activationPercent !== undefined || spec.activationPrice !== undefined;
  const activationSource = ownsActivation ? spec : defaults;
  if (activationSource.activationPrice !== undefined) {
    throw new ValidationError(
      fieldOf('activationPrice', ownsActivation),
      "Order 'freqtrade' takes the activation as `activationPercent` (freqtrade's `trailing_stop_positive_offset`), not `activationPrice`",
    );
  }
  const activationPercent = activationSource.activationPercent ?? defaultTrailingParameters.activationPercent;
  const ownsDistance = (Object.values(distanceFields) as (keyof TrailingParameters)[]).some((name) => spec[name] !== undefined);
  const positiveOf = (callbackPercent: number) => (callbackPercent === stopLossPercent ? undefined : ratioFromPercent(callbackPercent));

  switch (parameters.distanceKind) {
    case 'percent':
      // An offset of 0 trails from any profit either way; only the entry candle's fill tells them
      // apart, and `trailing_only_offset_is_reached` with offset 0 is the rarer of the two.
      return {
        ...base,
        trailing: true,
        positive: positiveOf(parameters.distanceValue),
        offset: ratioFromPercent(activationPercent),
        onlyOffset: activationPercent !== 0,
      };
    case 'steps': {
      const [first, second, ...more] = parameters.steps;
      if (second === undefined || more.length > 0 || first!.callbackPercent !== stopLossPercent || activationPercent !== 0) {
        throw new ValidationError(
          fieldOf('steps', ownsDistance),
          `Order 'freqtrade' takes \`steps\` only as freqtrade's \`trailing_only_offset_is_reached: false\`: ${twoTierForm}`,
        );
      }
      return { ...base, trailing: true, positive: positiveOf(second.callbackPercent), offset: ratioFromPercent(second.profitPercent), onlyOffset: false };
    }
    default:
      throw new ValidationError(
        fieldOf(distanceFields[parameters.distanceKind] as keyof TrailingParameters, ownsDistance),
        "Order 'freqtrade' trails by percent (freqtrade's `trailing_stop_positive`): use `callbackPercent`",
      );
  }
}

/**
 * Replays `candles` under freqtrade's rules. The trade opens at the first candle's open with the
 * stop at open x (1 - stoploss) (short: 1 +), and each candle, the entry candle included, is one
 * `should_exit` call with its open, high and low:
 *
 * 1. Trailing, only while the stop is strictly inside the candle (long: stop < low; short:
 *    stop > high): the profit at the favourable extreme, rounded to 8 decimals, decides the
 *    distance: none with `onlyOffset` while profit < offset; `positive` when set and profit >
 *    offset; `stoploss` otherwise. The candidate (extreme x (1 - distance), on the tick grid) moves
 *    the stop only when strictly tighter.
 * 2. Exit when the adverse extreme reaches the stop (long: low <= stop; short: high >= stop).
 * 3. Fill: the open when the whole candle lies beyond the stop (long: stop > high); on the entry
 *    candle after the stop moved, open x (1 + offset - positive) with `onlyOffset` and a positive
 *    distance, else open x (1 - last distance), never beyond the candle (long: at least the low);
 *    otherwise the stop.
 */
export function replayFreqtrade(rules: FreqtradeRules, candles: readonly Candle[]): ReplayResult {
  const { direction, stoploss, trailing, positive, offset, onlyOffset, tickSize } = rules;
  const long = direction === 1;
  const onGrid = (price: number) => (tickSize === null ? price : stopOnTickGrid(price, tickSize, direction));
  const entryPrice = candles[0]!.open;
  let stop = onGrid(long ? entryPrice * (1 - stoploss) : entryPrice * (1 + stoploss));
  // freqtrade's stop_loss_pct (the distance that set the stop) and is_stop_loss_trailing.
  let distance = stoploss;
  let moved = false;
  const path: (number | null)[] = [];
  for (let index = 0; index < candles.length; index++) {
    const { open, high, low } = candles[index]!;
    const favourable = long ? high : low;
    if (trailing && (long ? stop < low : stop > high)) {
      const profit = roundProfitRatio(long ? favourable / entryPrice - 1 : 1 - favourable / entryPrice);
      if (!(onlyOffset && profit < offset)) {
        const candidateDistance = positive !== undefined && profit > offset ? positive : stoploss;
        const candidate = onGrid(long ? favourable * (1 - candidateDistance) : favourable * (1 + candidateDistance));
        if (long ? candidate > stop : candidate < stop) {
          stop = candidate;
          distance = candidateDistance;
          moved = true;
        }
      }
    }
    path.push(stop);
    if (long ? low <= stop : high >= stop) {
      while (path.length < candles.length) path.push(null);
      const exit: ReplayExit = { index, price: fillPrice(rules, candles[index]!, stop, index === 0 && moved, distance), stopPrice: stop, reason: moved ? 'trailing' : 'stop' };
      return { entryPrice, exit, path };
    }
  }
  return { entryPrice, exit: undefined, path };
}

/** freqtrade's close rate of a stop-loss exit (`_get_close_rate_for_stoploss`). */
function fillPrice(rules: FreqtradeRules, candle: Candle, stop: number, trailingOnEntryCandle: boolean, distance: number): number {
  const { direction, positive, offset, onlyOffset } = rules;
  const { open, high, low } = candle;
  if (direction === 1 ? stop > high : stop < low) return open;
  if (!trailingOnEntryCandle) return stop;
  // The worst case freqtrade assumes: the price rose just enough to move the stop, then fell to it.
  const rate =
    onlyOffset && positive !== undefined
      ? open * (1 + direction * offset - direction * positive)
      : open * (1 - direction * distance);
  return direction === 1 ? Math.max(low, rate) : Math.min(high, rate);
}
