/**
 * How far a stop the venue holds lags its target: what orders waiting moves in the
 * {@link OrderBudget}, and what the registry's stats report as the largest lag.
 */

/**
 * How far the stop the venue holds lags the stop the policy wants, as a fraction of the venue's
 * stop price (the same measure as the sync's `minImprovementPercent`, divided by 100): 0 when the
 * venue is at or past the target, `Infinity` when the venue's price is unknown.
 */
export function stopLag(stop: { readonly direction: 1 | -1; readonly stopPrice: number; readonly syncedStopPrice: number }): number {
  const synced = stop.syncedStopPrice;
  if (!(synced > 0)) return Number.POSITIVE_INFINITY;
  const gap = (stop.direction * (stop.stopPrice - synced)) / synced;
  return gap > 0 ? gap : 0;
}
