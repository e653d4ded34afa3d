/**
 * The metrics subpath with a real prom-client Registry: the text exposition a Prometheus server
 * scrapes is read back and parsed, and each value checked against what the registry did.
 */
import { Counter, Registry, type OpenMetricsContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ExchangeRejectedError, PaperExchange, TrailingStopRegistry } from '../../src/index.js';
import { registerTrailingStopMetrics, type MetricsSource } from '../../src/metrics/index.js';

/** Parses the Prometheus text format into `name{labels}` -> value, plus the TYPE and HELP lines. */
function parseExposition(text: string): { samples: Map<string, number>; types: Map<string, string>; help: Map<string, string> } {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line === '# EOF') continue;
    const comment = /^# (TYPE|HELP) (\S+) (.*)$/.exec(line);
    if (comment !== null) {
      (comment[1] === 'TYPE' ? types : help).set(comment[2]!, comment[3]!);
      continue;
    }
    const sample = /^(\S+?)(\{[^}]*\})? (\S+)$/.exec(line);
    if (sample === null) throw new Error(`Unparsable exposition line: ${line}`);
    samples.set(`${sample[1]}${sample[2] ?? ''}`, Number(sample[3]));
  }
  return { samples, types, help };
}

async function scrape(prometheus: Registry): Promise<ReturnType<typeof parseExposition>> {
  return parseExposition(await prometheus.metrics());
}

const spec = (symbol: string) => ({ symbol, side: 'long' as const, entryPrice: 100, quantity: 1, stopLossPercent: 2 });

describe('registerTrailingStopMetrics with prom-client', () => {
  it("exposes the registry's counters and gauges under Prometheus names", async () => {
    let failPlacement = false;
    const exchange = new PaperExchange({
      fault: (call) => (failPlacement && call.operation === 'placeStop' ? new ExchangeRejectedError('Margin is insufficient') : undefined),
    });
    const registry = new TrailingStopRegistry({ placer: exchange, retry: { attempts: 1 }, minUpdateIntervalMs: 0, callbackPercent: 1 });
    registry.on('error', () => {});
    const prometheus = new Registry();
    registerTrailingStopMetrics(prometheus, registry);

    await registry.create(spec('BTCUSDT'));
    await registry.create(spec('ETHUSDT'));
    failPlacement = true;
    await expect(registry.create(spec('SOLUSDT'))).rejects.toThrow('Margin is insufficient');
    failPlacement = false;
    registry.updatePrice('ETHUSDT', 110);
    await registry.onIdle();
    exchange.setPrice('BTCUSDT', 90); // the venue fills the stop, and says so on its order stream
    registry.updatePrice('BTCUSDT', 90);
    await new Promise((resolve) => setImmediate(resolve)); // the stream's update arrives
    await registry.onIdle();

    const stats = registry.stats;
    const { samples, types } = await scrape(prometheus);
    expect(samples.get('trailing_stop_stops{state="pending"}')).toBe(0);
    expect(samples.get('trailing_stop_stops{state="active"}')).toBe(1);
    expect(samples.get('trailing_stop_stops{state="triggered"}')).toBe(1);
    expect(samples.get('trailing_stop_stops{state="failed"}')).toBe(1);
    expect(samples.get('trailing_stop_stops{state="waiting"}')).toBe(0);
    expect(samples.get('trailing_stop_created_total')).toBe(stats.created);
    expect(stats.created).toBeGreaterThanOrEqual(2);
    expect(samples.get('trailing_stop_failures_total')).toBe(1);
    expect(samples.get('trailing_stop_triggered_total')).toBe(1);
    expect(samples.get('trailing_stop_exchange_calls_total')).toBe(stats.exchangeCalls);
    expect(stats.exchangeCalls).toBeGreaterThan(3);
    expect(samples.get('trailing_stop_moves_total')).toBe(stats.moves);
    expect(stats.moves).toBeGreaterThan(0);
    expect(samples.get('trailing_stop_operations_in_flight')).toBe(0);
    expect(samples.get('trailing_stop_budget_requests_in_window')).toBe(stats.requestsInWindow);
    expect(samples.get('trailing_stop_budget_deferred')).toBe(0);
    expect(samples.get('trailing_stop_largest_lag_ratio')).toBe(stats.largestLagPercent / 100);
    expect(types.get('trailing_stop_budget_deferred')).toBe('gauge');
    expect(samples.get('trailing_stop_unprotected_seconds_total')).toBe(0);
    for (const name of ['created_total', 'failures_total', 'exchange_timeouts_total', 'races_lost_total', 'compensations_total']) {
      expect(types.get(`trailing_stop_${name}`)).toBe('counter');
    }
    expect(types.get('trailing_stop_stops')).toBe('gauge');
    expect(types.get('trailing_stop_oldest_update_age_seconds')).toBe('gauge');
    await registry.close();
  });

  it('counts timeouts, lost races, compensations and unprotected time from the stats', async () => {
    const stats = {
      created: 7,
      adopted: 1,
      coalesced: 4,
      racesLost: 2,
      compensated: 3,
      failed: 1,
      timedOut: 5,
      inFlight: 6,
      exchangeCalls: 40,
      moves: 11,
      removed: 2,
      triggered: 1,
      unprotectedMs: 1500,
      size: 0,
      requestsInWindow: 7,
      deferred: 3,
      largestLagPercent: 0.25,
      pauseRemainingMs: 0,
    };
    const source: MetricsSource = { stats, list: () => [] };
    const prometheus = new Registry();
    registerTrailingStopMetrics(prometheus, source);
    const { samples } = await scrape(prometheus);
    expect(Object.fromEntries([...samples].filter(([name]) => !name.startsWith('trailing_stop_stops')))).toEqual({
      trailing_stop_created_total: 7,
      trailing_stop_adopted_total: 1,
      trailing_stop_coalesced_creations_total: 4,
      trailing_stop_races_lost_total: 2,
      trailing_stop_compensations_total: 3,
      trailing_stop_failures_total: 1,
      trailing_stop_exchange_timeouts_total: 5,
      trailing_stop_exchange_calls_total: 40,
      trailing_stop_moves_total: 11,
      trailing_stop_removed_total: 2,
      trailing_stop_triggered_total: 1,
      trailing_stop_unprotected_seconds_total: 1.5,
      trailing_stop_operations_in_flight: 6,
      trailing_stop_oldest_update_age_seconds: 0,
      trailing_stop_budget_requests_in_window: 7,
      trailing_stop_budget_deferred: 3,
      trailing_stop_largest_lag_ratio: 0.0025,
    });
  });

  it('reads the values at scrape time, not at registration', async () => {
    const registry = new TrailingStopRegistry({ placer: new PaperExchange() });
    const prometheus = new Registry();
    registerTrailingStopMetrics(prometheus, registry);
    expect((await scrape(prometheus)).samples.get('trailing_stop_created_total')).toBe(0);
    await registry.create(spec('BTCUSDT'));
    expect((await scrape(prometheus)).samples.get('trailing_stop_created_total')).toBe(1);
    expect((await scrape(prometheus)).samples.get('trailing_stop_stops{state="waiting"}')).toBe(1);
    await registry.close();
  });

  it('reports the age of the least recently updated live stop with a venue order', async () => {
    const order = { id: '1', clientOrderId: 'tsr-a-1', symbol: 'A', side: 'sell' as const, quantity: 1, stopPrice: 98 };
    const source: MetricsSource = {
      stats: new TrailingStopRegistry({ placer: new PaperExchange() }).stats,
      list: () => [
        { state: 'active', order, updatedAt: 40_000 },
        { state: 'waiting', order, updatedAt: 10_000 },
        { state: 'waiting', order: null, updatedAt: 1_000 }, // no venue order to keep in sync
        { state: 'triggered', order, updatedAt: 0 }, // over
      ],
    };
    const prometheus = new Registry();
    registerTrailingStopMetrics(prometheus, source, { now: () => 70_000 });
    const { samples } = await scrape(prometheus);
    expect(samples.get('trailing_stop_oldest_update_age_seconds')).toBe(60);
    expect(samples.get('trailing_stop_stops{state="waiting"}')).toBe(2);
  });

  it('exports several registries into one prom-client registry, told apart by labels', async () => {
    const btc = new TrailingStopRegistry({ placer: new PaperExchange() });
    const eth = new TrailingStopRegistry({ placer: new PaperExchange() });
    await btc.create(spec('BTCUSDT'));
    const prometheus = new Registry();
    registerTrailingStopMetrics(prometheus, btc, { labels: { bot: 'btc' } });
    const second = registerTrailingStopMetrics(prometheus, eth, { labels: { bot: 'eth' } });
    let { samples } = await scrape(prometheus);
    expect(samples.get('trailing_stop_created_total{bot="btc"}')).toBe(1);
    expect(samples.get('trailing_stop_created_total{bot="eth"}')).toBe(0);
    expect(samples.get('trailing_stop_stops{bot="btc",state="waiting"}')).toBe(1);
    second.unregister();
    ({ samples } = await scrape(prometheus));
    expect(samples.has('trailing_stop_created_total{bot="eth"}')).toBe(false);
    expect(samples.get('trailing_stop_created_total{bot="btc"}')).toBe(1);
    await Promise.all([btc.close(), eth.close()]);
  });

  it('refuses a second registry without distinct labels, and a registry exported twice', () => {
    const prometheus = new Registry();
    const first = new TrailingStopRegistry({ placer: new PaperExchange() });
    registerTrailingStopMetrics(prometheus, first);
    expect(() => registerTrailingStopMetrics(prometheus, new TrailingStopRegistry({ placer: new PaperExchange() }))).toThrow(
      /give each one the same label names with different values/,
    );
    expect(() => registerTrailingStopMetrics(prometheus, first)).toThrow('already exported');
  });

  it('leaves the prom-client registry as it was after the last unregister', async () => {
    const prometheus = new Registry();
    const handle = registerTrailingStopMetrics(prometheus, new TrailingStopRegistry({ placer: new PaperExchange() }));
    expect(handle.names).toContain('trailing_stop_created_total');
    handle.unregister();
    handle.unregister();
    expect(await prometheus.metrics()).toBe('\n');
    registerTrailingStopMetrics(prometheus, new TrailingStopRegistry({ placer: new PaperExchange() }));
    expect(prometheus.getSingleMetric('trailing_stop_created_total')).toBeDefined();
  });

  it('refuses a name already taken in the prom-client registry, registering nothing', () => {
    const prometheus = new Registry();
    new Counter({ name: 'trailing_stop_moves_total', help: 'mine', registers: [prometheus] });
    expect(() => registerTrailingStopMetrics(prometheus, new TrailingStopRegistry({ placer: new PaperExchange() }))).toThrow(
      'already has metrics named trailing_stop_moves_total',
    );
    expect(prometheus.getSingleMetric('trailing_stop_created_total')).toBeUndefined();
  });

  it('takes a prefix, and works with default labels and the OpenMetrics format', async () => {
    const prometheus = new Registry<OpenMetricsContentType>();
    prometheus.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    prometheus.setDefaultLabels({ service: 'bot' });
    const registry = new TrailingStopRegistry({ placer: new PaperExchange() });
    await registry.create(spec('BTCUSDT'));
    registerTrailingStopMetrics(prometheus, registry, { prefix: 'app_stops' });
    for (let scrapeNumber = 0; scrapeNumber < 2; scrapeNumber++) {
      const text = await prometheus.metrics();
      expect(text.endsWith('# EOF\n')).toBe(true);
      const { samples, types } = parseExposition(text);
      expect(types.get('app_stops_created')).toBe('counter');
      expect(samples.get('app_stops_created_total{service="bot"}')).toBe(1);
      expect(samples.get('app_stops_stops{state="waiting",service="bot"}')).toBe(1);
    }
    await registry.close();
  });

  it('appears in getMetricsAsJSON with its aggregators, for cluster aggregation', async () => {
    const prometheus = new Registry();
    registerTrailingStopMetrics(prometheus, new TrailingStopRegistry({ placer: new PaperExchange() }));
    const json = await prometheus.getMetricsAsJSON();
    expect(json.find((metric) => metric.name === 'trailing_stop_created_total')).toMatchObject({ type: 'counter', aggregator: 'sum' });
    expect(json.find((metric) => metric.name === 'trailing_stop_oldest_update_age_seconds')).toMatchObject({ type: 'gauge', aggregator: 'max' });
  });

  it('refuses bad arguments with a TypeError before registering anything', () => {
    const prometheus = new Registry();
    const registry = new TrailingStopRegistry({ placer: new PaperExchange() });
    expect(() => registerTrailingStopMetrics({} as Registry, registry)).toThrow('has no registerMetric, getSingleMetric, removeSingleMetric method');
    expect(() => registerTrailingStopMetrics(prometheus, {} as MetricsSource)).toThrow(TypeError);
    expect(() => registerTrailingStopMetrics(prometheus, registry, { prefix: 'bad-prefix' })).toThrow('`prefix`');
    expect(() => registerTrailingStopMetrics(prometheus, registry, { labels: { state: 'x' } })).toThrow('`state` is taken');
    expect(() => registerTrailingStopMetrics(prometheus, registry, { labels: { '1bot': 'x' } })).toThrow('label name');
    expect(() => registerTrailingStopMetrics(prometheus, registry, { labels: { bot: 1 as unknown as string } })).toThrow('to be a string');
    expect(() => registerTrailingStopMetrics(prometheus, registry, { label: {} } as never)).toThrow('Unknown option `label`');
    expect(prometheus.getMetricsAsArray()).toEqual([]);
  });
});
