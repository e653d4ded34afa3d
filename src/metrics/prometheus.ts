/**
 * The subset of prom-client that the metrics module uses, described here so the package never
 * imports prom-client: the user passes their own `Registry` in.
 */

/** Kind of a metric, as written on its `# TYPE` line. */
export type PrometheusMetricType = 'counter' | 'gauge';

/** How prom-client's `AggregatorRegistry` combines the values of cluster workers. */
export type PrometheusAggregator = 'sum' | 'max';

/** One sample of a metric: a value and its labels. */
export interface PrometheusSample {
  /** The value. */
  readonly value: number;
  /** Label names to values. */
  readonly labels: Readonly<Record<string, string>>;
}

/** What a metric reports on each scrape; prom-client renders it as text. */
export interface PrometheusMetricSnapshot {
  /** Metric name (prom-client may have rewritten it, see {@link PrometheusMetric.name}). */
  readonly name: string;
  /** Help text. */
  readonly help: string;
  /** Kind of metric. */
  readonly type: PrometheusMetricType;
  /** Aggregation across cluster workers. */
  readonly aggregator: PrometheusAggregator;
  /** The samples. */
  readonly values: readonly PrometheusSample[];
}

/**
 * A metric as prom-client's `Registry` holds it: it reads `name` when registering, calls `get()`
 * on every scrape (`registry.metrics()`, `getMetricsAsJSON()`) and `reset()` from
 * `resetMetrics()`.
 */
export interface PrometheusMetric {
  /**
   * Metric name. Writable: in OpenMetrics mode prom-client strips a counter's `_total` suffix
   * here before it calls `get()`, and appends it again to each sample.
   */
  name: string;
  /** Help text. */
  readonly help: string;
  /** Kind of metric. */
  readonly type: PrometheusMetricType;
  /** Aggregation across cluster workers. */
  readonly aggregator: PrometheusAggregator;
  /** The current samples. */
  get(): Promise<PrometheusMetricSnapshot>;
  /** Called by `registry.resetMetrics()`. */
  reset(): void;
}

/**
 * The subset of prom-client's `Registry` that `registerTrailingStopMetrics` uses. A
 * prom-client `Registry` (the global `register` or `new Registry()`, versions 13 to 15)
 * satisfies it as is.
 *
 * `registerMetric` is declared loosely because prom-client's typings admit only its own metric
 * classes, while its registry accepts any object with the members of {@link PrometheusMetric}.
 */
export interface PrometheusRegistry {
  /** Adds a metric under its `name`; throws when another metric has that name. */
  registerMetric(metric: never): void;
  /** The metric registered under `name`, if any. */
  getSingleMetric(name: string): unknown;
  /** Removes the metric registered under `name`. */
  removeSingleMetric(name: string): void;
}
