/** Summaries of repeated measurements: median with min and max. */

/** One metric over the repetitions of a scenario. */
export interface Summary {
  /** Middle value (for an even count: the mean of the two middle values, or the lower one for counts). */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Every sample, in the order measured. */
  readonly samples: readonly number[];
}

/**
 * Summarizes `samples`. With `integer` (exact counts such as exchange calls) an even number of
 * samples takes the lower middle value, so the median stays an observed integer.
 */
export function summarize(samples: readonly number[], integer = false): Summary {
  if (samples.length === 0) throw new RangeError('Expected at least one sample, got none');
  const sorted = [...samples].sort((left, right) => left - right);
  const middle = Math.floor((sorted.length - 1) / 2);
  const median =
    sorted.length % 2 === 1 || integer ? sorted[middle]! : (sorted[middle]! + sorted[middle + 1]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)!, samples: [...samples] };
}

/** Rounds `value` to `digits` significant digits (for readable JSON; counts stay exact). */
export function significant(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0 || Number.isInteger(value)) return value;
  return Number(value.toPrecision(digits));
}
