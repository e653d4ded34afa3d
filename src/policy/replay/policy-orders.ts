/**
 * The policy orders, `'favourable-first'` and `'conservative'`: each candle's four prices go through
 * the registry's own trailing policy (`advancePolicy`), in the order the option names.
 */
import type { ValidatedSpec } from '../create-spec.js';
import type { ResolvedTrailingParameters } from '../parameters.js';
import { advancePolicy, BREAKEVEN, createPolicyState, STOP_MOVED, trailingStopPrice, TRIGGERED, type PolicyState } from '../policy.js';
import type { Candle, ReplayExit, ReplayResult } from './types.js';

/**
 * Replays `candles` through the policy of `validated` (whose entry price is the first open). With
 * `favourableFirst` a candle is open, favourable extreme, adverse extreme, close; without it, open,
 * adverse, favourable, close. The first price that crosses the stop closes the position: at the
 * open (a gap) when it is the open, else at the stop.
 */
export function replayPolicy(validated: ValidatedSpec, candles: readonly Candle[], favourableFirst: boolean): ReplayResult {
  const parameters = validated.parameters;
  const entryPrice = validated.entryPrice;
  const state = createPolicyState(validated.side, entryPrice, parameters, validated.initialStopPrice);
  // As the registry does at creation: the entry price is the first price the policy sees.
  let reason: ReplayExit['reason'] = 'stop';
  const entryFlags = advancePolicy(state, parameters, entryPrice);
  if (entryFlags & STOP_MOVED) reason = reasonOf(state, parameters, entryFlags);

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
