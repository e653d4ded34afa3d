/**
 * freqtrade's stop-loss parameters as a spec: the mapping table of docs/replay.md, as code, so the
 * ported cases run through exactly what the table tells a user to write.
 */
import type { ReplaySpec } from '../../src/policy/replay.js';
import type { FreqtradeParameters } from './freqtrade-cases.js';

/** `ratio` x 100 as the nearest double to the decimal (0.07 -> 7, not 7.000000000000001). */
function percentOf(ratio: number): number {
  const [mantissa, exponent = '0'] = String(ratio).split('e');
  return Number(`${mantissa}e${Number(exponent) + 2}`);
}

/** The spec that replays `parameters` under `order: 'freqtrade'` (and means the same live). */
export function specFromFreqtrade(side: 'long' | 'short', parameters: FreqtradeParameters): ReplaySpec {
  const stopLossPercent = percentOf(Math.abs(parameters.stoploss));
  if (parameters.trailing_stop !== true) return { side, stopLossPercent, trailing: false };
  const offsetPercent = percentOf(parameters.trailing_stop_positive_offset ?? 0);
  const positive = parameters.trailing_stop_positive;
  const callbackPercent = positive === undefined ? stopLossPercent : percentOf(positive);
  const onlyOffset = parameters.trailing_only_offset_is_reached === true;
  if (onlyOffset || offsetPercent === 0) return { side, stopLossPercent, activationPercent: offsetPercent, callbackPercent };
  // Trailing from the start: at the stop-loss distance, and at the positive one above the offset.
  if (positive === undefined) return { side, stopLossPercent, activationPercent: 0, callbackPercent };
  return {
    side,
    stopLossPercent,
    activationPercent: 0,
    steps: [
      { profitPercent: offsetPercent / 2, callbackPercent: stopLossPercent },
      { profitPercent: offsetPercent, callbackPercent },
    ],
  };
}
