/** Every metric the benchmarks report: its unit, whether it is an exact count, and how to print it. */

export type MetricName =
  | 'wallMs'
  | 'idealMs'
  | 'exchangeCalls'
  | 'liveOrders'
  | 'orphans'
  | 'ticksPerSecond'
  | 'ratio'
  | 'createsPerSecond'
  | 'microsPerCreate'
  | 'bytesPerStop'
  | 'cancels'
  | 'unprotectedMs'
  | 'keys'
  | 'rateLimitErrors'
  | 'requests'
  | 'lagPercentMean'
  | 'lagPercentMax'
  | 'newPositionProtectedMsMax'
  | 'venueRequests'
  | 'storeRoundTrips';

interface MetricInfo {
  /** Column heading. */
  readonly label: string;
  /** Exact integer (counts): printed without decimals, median never averaged. */
  readonly count: boolean;
  /** Decimals when printed (non-counts). */
  readonly decimals: number;
}

const metrics: Record<MetricName, MetricInfo> = {
  wallMs: { label: 'wall ms', count: false, decimals: 1 },
  idealMs: { label: 'ideal ms', count: false, decimals: 0 },
  exchangeCalls: { label: 'exchange calls', count: true, decimals: 0 },
  liveOrders: { label: 'live orders', count: true, decimals: 0 },
  orphans: { label: 'orphans', count: true, decimals: 0 },
  ticksPerSecond: { label: 'ticks/s', count: false, decimals: 0 },
  ratio: { label: 'ratio to baseline', count: false, decimals: 3 },
  createsPerSecond: { label: 'creates/s', count: false, decimals: 0 },
  microsPerCreate: { label: 'µs/create', count: false, decimals: 2 },
  bytesPerStop: { label: 'bytes/stop', count: false, decimals: 0 },
  cancels: { label: 'cancels', count: true, decimals: 0 },
  unprotectedMs: { label: 'unprotected ms', count: false, decimals: 1 },
  keys: { label: 'keys', count: true, decimals: 0 },
  rateLimitErrors: { label: 'rate-limit errors', count: true, decimals: 0 },
  requests: { label: 'requests', count: true, decimals: 0 },
  lagPercentMean: { label: 'lag % mean', count: false, decimals: 3 },
  lagPercentMax: { label: 'lag % max', count: false, decimals: 3 },
  newPositionProtectedMsMax: { label: 'new position protected ms (max)', count: false, decimals: 0 },
  venueRequests: { label: 'venue requests', count: true, decimals: 0 },
  storeRoundTrips: { label: 'store round trips', count: true, decimals: 0 },
};

/** True for exact counts. */
export function isCountMetric(name: MetricName): boolean {
  return metrics[name].count;
}

/** Column heading of a metric. */
export function metricLabel(name: MetricName): string {
  return metrics[name].label;
}

/** A value printed for a table: counts exact, large numbers grouped, others to the metric's decimals. */
export function formatValue(name: MetricName, value: number): string {
  const info = metrics[name];
  const decimals = info.count ? 0 : Math.abs(value) >= 10_000 ? 0 : info.decimals;
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Rounds a value for the JSON: counts exact, other numbers to 4 significant digits (at least 3 decimals for ratios). */
export function roundForJson(name: MetricName, value: number): number {
  if (metrics[name].count) return Math.round(value);
  if (Math.abs(value) >= 1_000) return Math.round(value);
  return Number(value.toPrecision(4));
}
