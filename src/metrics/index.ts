/**
 * `trailing-stop-registry/metrics`: the registry's counters and gauges in a Prometheus registry
 * of the user's prom-client, read at scrape time from `registry.stats` and `registry.list()`.
 * Nothing is counted twice and nothing runs between scrapes: each scrape reads the registry.
 *
 * The package does not depend on prom-client: {@link PrometheusRegistry} describes the three
 * methods of prom-client's `Registry` this module calls.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { registerTrailingStopMetrics } from 'trailing-stop-registry/metrics';
 *
 * const metrics = new Registry();
 * registerTrailingStopMetrics(metrics, registry);
 * // GET /metrics: respond with `await metrics.metrics()`, content type `metrics.contentType`.
 * ```
 *
 * @packageDocumentation
 */
import type { StopState } from '../domain/position.js';
import type { StopOrder } from '../ports/order-placer.js';
import type { RegistryStats } from '../registry/registry.js';
import type { PrometheusAggregator, PrometheusMetric, PrometheusMetricSnapshot, PrometheusMetricType, PrometheusRegistry, PrometheusSample } from './prometheus.js';

export type * from './prometheus.js';

/** What the metrics read of one stop: a `TrailingStop` of `registry.list()` has these fields. */
export interface MetricsStopView {
  /** Lifecycle state. */
  readonly state: StopState;
  /** The venue order, `null` when none. */
  readonly order: StopOrder | null;
  /** Time of the last update (ms epoch). */
  readonly updatedAt: number;
}

/** What the metrics read of a registry: a `TrailingStopRegistry` has these members. */
export interface MetricsSource {
  /** Counters and gauges (`registry.stats`). */
  readonly stats: RegistryStats;
  /** Every stop the registry holds (`registry.list()`). */
  list(): readonly MetricsStopView[];
}

/** Options of {@link registerTrailingStopMetrics}. */
export interface TrailingStopMetricsOptions {
  /**
   * Labels added to every sample of this registry, e.g. `{ bot: 'btc-trend' }`. Required to
   * export several registries into one prom-client registry: each needs the same label names with
   * different values. Names follow Prometheus rules; `state` is taken. Default: none.
   */
  readonly labels?: Readonly<Record<string, string>>;
  /** Start of every metric name. Default `trailing_stop`. */
  readonly prefix?: string;
  /** Current time in ms epoch, for ages. Default `Date.now`. */
  readonly now?: () => number;
}

/** Handle returned by {@link registerTrailingStopMetrics}. */
export interface TrailingStopMetrics {
  /** Names of the metrics, as registered. */
  readonly names: readonly string[];
  /**
   * Stops exporting this registry. The metrics leave the prom-client registry with the last
   * registry exported into them. Calling it again does nothing.
   */
  unregister(): void;
}

/** One exported registry. */
interface Attached {
  readonly source: MetricsSource;
  readonly labels: Readonly<Record<string, string>>;
  readonly now: () => number;
}

/** How one metric computes its samples for one exported registry. */
interface Definition {
  readonly suffix: string;
  readonly type: PrometheusMetricType;
  readonly aggregator: PrometheusAggregator;
  readonly help: string;
  readonly samples: (attached: Attached) => readonly PrometheusSample[];
}

/** States always reported by the by-state gauge, so each series exists from the first scrape. */
const reportedStates: readonly StopState[] = ['pending', 'waiting', 'active', 'triggered', 'failed'];

const counter = (suffix: string, field: keyof RegistryStats, help: string, scale = 1): Definition => ({
  suffix,
  type: 'counter',
  aggregator: 'sum',
  help,
  samples: (attached) => [{ value: attached.source.stats[field] * scale, labels: attached.labels }],
});

const definitions: readonly Definition[] = [
  {
    suffix: 'stops',
    type: 'gauge',
    aggregator: 'sum',
    help: 'Stops the registry holds, by state (failed: the position is not protected as intended).',
    samples: (attached) => {
      const counts = new Map<string, number>(reportedStates.map((state) => [state, 0]));
      for (const stop of attached.source.list()) counts.set(stop.state, (counts.get(stop.state) ?? 0) + 1);
      return [...counts].map(([state, value]) => ({ value, labels: { ...attached.labels, state } }));
    },
  },
  counter('created_total', 'created', 'Stops this registry created.'),
  counter('adopted_total', 'adopted', "Stops taken over from another registry's record."),
  counter('coalesced_creations_total', 'coalesced', 'create() calls that joined a creation already in flight for the key.'),
  counter('races_lost_total', 'racesLost', 'Creations that lost the store double-check to another writer.'),
  counter('compensations_total', 'compensated', 'Orders cancelled after a lost race, a late answer or a concurrent removal.'),
  counter('failures_total', 'failed', 'Creations and syncs that failed: the position was not protected as intended.'),
  counter('exchange_calls_total', 'exchangeCalls', 'Exchange calls made.'),
  counter('exchange_timeouts_total', 'timedOut', 'Exchange calls that timed out (outcome unknown, resolved by client order id).'),
  counter('moves_total', 'moves', 'Stop moves decided by the trailing policy.'),
  counter('removed_total', 'removed', 'Stops removed.'),
  counter('triggered_total', 'triggered', 'Stops whose price was crossed.'),
  counter('unprotected_seconds_total', 'unprotectedMs', 'Time positions spent without a stop on the venue during cancel-then-place moves.', 1 / 1000),
  {
    suffix: 'budget_requests_in_window',
    type: 'gauge',
    aggregator: 'sum',
    help: 'Venue requests counted in the current window of the rateLimit budget.',
    samples: (attached) => [{ value: attached.source.stats.requestsInWindow, labels: attached.labels }],
  },
  {
    suffix: 'budget_deferred',
    type: 'gauge',
    aggregator: 'sum',
    help: 'Venue calls waiting for the rateLimit budget (deferred).',
    samples: (attached) => [{ value: attached.source.stats.deferred, labels: attached.labels }],
  },
  {
    suffix: 'largest_lag_ratio',
    type: 'gauge',
    aggregator: 'max',
    help: 'Largest gap between the stop the policy wants and the stop the venue holds, as a fraction of the price.',
    samples: (attached) => [{ value: attached.source.stats.largestLagPercent / 100, labels: attached.labels }],
  },
  {
    suffix: 'operations_in_flight',
    type: 'gauge',
    aggregator: 'sum',
    help: 'Creations, removals, syncs and exchange calls in flight.',
    samples: (attached) => [{ value: attached.source.stats.inFlight, labels: attached.labels }],
  },
  {
    suffix: 'oldest_update_age_seconds',
    type: 'gauge',
    aggregator: 'max',
    help: 'Age of the least recently updated live stop with a venue order (0 when there is none).',
    samples: (attached) => {
      const now = attached.now();
      let oldest = now;
      for (const stop of attached.source.list()) {
        if ((stop.state === 'waiting' || stop.state === 'active') && stop.order !== null && stop.updatedAt < oldest) {
          oldest = stop.updatedAt;
        }
      }
      return [{ value: Math.max(0, now - oldest) / 1000, labels: attached.labels }];
    },
  },
];

/** The metrics of one prefix in one prom-client registry, shared by the registries exported there. */
interface Collection {
  readonly names: readonly string[];
  readonly attached: Attached[];
}

const collections = new WeakMap<PrometheusRegistry, Map<string, Collection>>();

const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const optionNames: ReadonlySet<string> = new Set(['labels', 'prefix', 'now']);

/**
 * Exports a registry's counters and gauges into the user's prom-client `Registry`. Values are read
 * on each scrape; nothing runs in between. Names (with the default prefix):
 *
 * - `trailing_stop_stops{state}` (gauge): stops held, by state `pending`, `waiting`, `active`,
 *   `triggered`, `failed`.
 * - Counters: `trailing_stop_created_total`, `_adopted_total`, `_coalesced_creations_total`,
 *   `_races_lost_total`, `_compensations_total`, `_failures_total`, `_exchange_calls_total`,
 *   `_exchange_timeouts_total`, `_moves_total`, `_removed_total`, `_triggered_total`,
 *   `_unprotected_seconds_total`.
 * - Gauges: `trailing_stop_operations_in_flight`; `trailing_stop_oldest_update_age_seconds`, the
 *   age of the least recently updated live stop that has a venue order.
 *
 * Counters restart from zero with the process, as Prometheus expects; `resetMetrics()` does not
 * reset them (they are the registry's own counts).
 *
 * @param prometheus A prom-client `Registry` (the global `register`, or `new Registry()`).
 * @param registry A `TrailingStopRegistry`.
 * @param options See {@link TrailingStopMetricsOptions}.
 * @returns A handle to stop exporting the registry.
 * @throws TypeError on a bad argument or option; Error when a metric name is taken in
 *   `prometheus`, or another registry is already exported there with the same labels.
 *
 * @example
 * ```ts
 * import { collectDefaultMetrics, Registry } from 'prom-client';
 * import { registerTrailingStopMetrics } from 'trailing-stop-registry/metrics';
 *
 * const metrics = new Registry();
 * collectDefaultMetrics({ register: metrics });
 * registerTrailingStopMetrics(metrics, btcRegistry, { labels: { bot: 'btc' } });
 * registerTrailingStopMetrics(metrics, ethRegistry, { labels: { bot: 'eth' } });
 * ```
 */
export function registerTrailingStopMetrics(
  prometheus: PrometheusRegistry,
  registry: MetricsSource,
  options: TrailingStopMetricsOptions = {},
): TrailingStopMetrics {
  assertPrometheusRegistry(prometheus);
  if (typeof registry !== 'object' || registry === null || typeof registry.list !== 'function' || !('stats' in registry)) {
    throw new TypeError('Expected `registry` to be a TrailingStopRegistry (with `stats` and `list()`)');
  }
  if (typeof options !== 'object' || options === null) throw new TypeError('Expected `options` to be an object');
  const unknown = Object.keys(options).filter((name) => !optionNames.has(name));
  if (unknown.length > 0) {
    throw new TypeError(`Unknown option${unknown.length === 1 ? '' : 's'} ${unknown.map((name) => `\`${name}\``).join(', ')} for registerTrailingStopMetrics`);
  }
  const prefix = options.prefix ?? 'trailing_stop';
  if (typeof prefix !== 'string' || !metricNamePattern.test(prefix) || prefix.endsWith('_')) {
    throw new TypeError(`Expected \`prefix\` to be a Prometheus metric name without a trailing underscore, got ${JSON.stringify(prefix)}`);
  }
  const labels = validateLabels(options.labels ?? {});
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw new TypeError('Expected `now` to be a function returning ms epoch');
  const attached: Attached = { source: registry, labels, now };

  let byPrefix = collections.get(prometheus);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    collections.set(prometheus, byPrefix);
  }
  const existing = byPrefix.get(prefix);
  const collection = existing ?? createCollection(prometheus, prefix);
  if (existing !== undefined) assertJoinable(collection, attached);
  collection.attached.push(attached);
  byPrefix.set(prefix, collection);

  let registered = true;
  return {
    names: collection.names,
    unregister() {
      if (!registered) return;
      registered = false;
      const index = collection.attached.indexOf(attached);
      if (index !== -1) collection.attached.splice(index, 1);
      if (collection.attached.length > 0) return;
      for (const name of collection.names) prometheus.removeSingleMetric(name);
      byPrefix.delete(prefix);
    },
  };
}

function assertPrometheusRegistry(prometheus: unknown): asserts prometheus is PrometheusRegistry {
  const methods = ['registerMetric', 'getSingleMetric', 'removeSingleMetric'] as const;
  const missing = methods.filter((name) => typeof (prometheus as Record<string, unknown> | null | undefined)?.[name] !== 'function');
  if (missing.length > 0) {
    throw new TypeError(`Expected \`prometheus\` to be a prom-client Registry; it has no ${missing.join(', ')} method`);
  }
}

function validateLabels(labels: unknown): Readonly<Record<string, string>> {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new TypeError('Expected `labels` to be an object of label names to string values');
  }
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (!labelNamePattern.test(name) || name.startsWith('__')) {
      throw new TypeError(`Expected label name ${JSON.stringify(name)} to match [a-zA-Z_][a-zA-Z0-9_]* and not start with __`);
    }
    if (name === 'state') throw new TypeError('The label name `state` is taken by the stops-by-state gauge');
    if (typeof value !== 'string') throw new TypeError(`Expected label \`${name}\` to be a string, got ${typeof value}`);
    result[name] = value;
  }
  return Object.freeze(result);
}

function createCollection(prometheus: PrometheusRegistry, prefix: string): Collection {
  const names = definitions.map((definition) => `${prefix}_${definition.suffix}`);
  const taken = names.filter((name) => prometheus.getSingleMetric(name) !== undefined);
  if (taken.length > 0) throw new Error(`The prom-client registry already has metrics named ${taken.join(', ')}`);
  const collection: Collection = { names, attached: [] };
  definitions.forEach((definition, index) => {
    prometheus.registerMetric(createMetric(names[index]!, definition, collection) as never);
  });
  return collection;
}

function createMetric(name: string, definition: Definition, collection: Collection): PrometheusMetric {
  const { help, type, aggregator } = definition;
  return {
    name,
    help,
    type,
    aggregator,
    async get(): Promise<PrometheusMetricSnapshot> {
      return { name: this.name, help, type, aggregator, values: collection.attached.flatMap((attached) => definition.samples(attached)) };
    },
    reset() {
      // The values are the registry's own counts; there is nothing here to reset.
    },
  };
}

/** A second registry in the same metrics must use the same label names, with other values. */
function assertJoinable(collection: Collection, attached: Attached): void {
  const namesOf = (labels: Readonly<Record<string, string>>): string => Object.keys(labels).sort().join(',');
  const valuesOf = (labels: Readonly<Record<string, string>>): string =>
    JSON.stringify(Object.keys(labels).sort().map((name) => labels[name]));
  for (const other of collection.attached) {
    if (other.source === attached.source) throw new Error('This registry is already exported into this prom-client registry');
    if (namesOf(other.labels) !== namesOf(attached.labels) || valuesOf(other.labels) === valuesOf(attached.labels)) {
      throw new Error(
        'Another registry is already exported into this prom-client registry; give each one the same label names ' +
          `with different values (e.g. \`labels: { bot: 'btc' }\`), got {${namesOf(attached.labels)}} next to {${namesOf(other.labels)}}`,
      );
    }
  }
}
