import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ClosedError,
  ExchangeRejectedError,
  MemoryStateStore,
  PaperExchange,
  TrailingStopRegistry,
  ValidationError,
  WouldTriggerError,
  type CreateStopSpec,
} from '../../src/index.js';
import { longSpec, makeRegistry, recordEvents } from '../support/fixtures.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('create()', () => {
  it('places the initial stop and resolves a live, read-only stop', async () => {
    const { registry, exchange, store } = makeRegistry();
    const stop = await registry.create(longSpec());
    expect(stop.state).toBe('waiting');
    expect(stop.stopPrice).toBe(98);
    expect(stop.activationPrice).toBe(101);
    expect(stop.order).toMatchObject({ symbol: 'BTCUSDT', side: 'sell', quantity: 1, stopPrice: 98 });
    expect(exchange.liveOrders()).toHaveLength(1);
    const record = await store.load('BTCUSDT');
    expect(record).toMatchObject({ state: 'waiting', version: stop.version, order: { id: stop.order!.id } });
    expect(registry.get('BTCUSDT')).toBe(stop);
    expect(registry.has('BTCUSDT')).toBe(true);
    expect(registry.size).toBe(1);
    expect(registry.list()).toEqual([stop]);
    expect(stop.snapshot()).toMatchObject({ key: 'BTCUSDT', state: 'waiting', stopPrice: 98, exchangeStopPrice: 98 });
  });

  it('without an initial stop waits for activation and places the first order then', async () => {
    const { registry, exchange } = makeRegistry({ minUpdateIntervalMs: 0 });
    const stop = await registry.create(longSpec({ stopLossPercent: undefined, activationPercent: 2, callbackPercent: 1 }));
    expect(stop.state).toBe('waiting');
    expect(stop.order).toBeNull();
    expect(exchange.calls.placeStop).toBe(0);
    registry.updatePrice('BTCUSDT', 102);
    expect(stop.state).toBe('active');
    await registry.onIdle();
    expect(stop.order).toMatchObject({ stopPrice: 100.98 });
    expect(exchange.liveOrders()).toHaveLength(1);
  });

  it('with activation 0 trails from the start and places its stop at creation', async () => {
    const { registry, exchange } = makeRegistry();
    const stop = await registry.create(longSpec({ stopLossPercent: undefined, activationPercent: 0, callbackPercent: 1 }));
    expect(stop.state).toBe('active');
    expect(stop.order?.stopPrice).toBe(99);
    expect(exchange.liveOrders()).toHaveLength(1);
  });

  it('coalesces concurrent callers into one creation (single flight)', async () => {
    const { registry, exchange } = makeRegistry({}, { latencyMs: 5 });
    const stops = await Promise.all(Array.from({ length: 20 }, () => registry.create(longSpec())));
    for (const stop of stops) expect(stop).toBe(stops[0]);
    expect(exchange.calls.placeStop).toBe(1);
    expect(registry.stats).toMatchObject({ created: 1, coalesced: 19 });
    // A later call returns the live stop without any I/O.
    expect(await registry.create(longSpec())).toBe(stops[0]);
    expect(exchange.calls.placeStop).toBe(1);
  });

  it('runs a wave concurrently up to the concurrency bound, never serially', async () => {
    const { registry, exchange } = makeRegistry({ concurrency: 7 }, { latencyMs: 5 });
    const specs = Array.from({ length: 50 }, (_, index) => longSpec({ symbol: `COIN${index}` }));
    const results = await registry.createMany(specs);
    expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
    expect(exchange.maxInFlight).toBe(7);
    expect(exchange.liveOrders()).toHaveLength(50);
  });

  it('createMany settles each spec in order; one failure never aborts the others', async () => {
    const { registry, exchange } = makeRegistry();
    const results = await registry.createMany([
      longSpec({ symbol: 'A' }),
      longSpec({ symbol: 'B', entryPrice: Number.NaN }),
      longSpec({ symbol: 'C' }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    expect(exchange.liveOrders().map((order) => order.symbol).sort()).toEqual(['A', 'C']);
  });

  it('keeps the caller-given key apart from the symbol (hedge mode)', async () => {
    const { registry, exchange } = makeRegistry();
    const long = await registry.create(longSpec({ key: 'BTCUSDT:long' }));
    const short = await registry.create({ symbol: 'BTCUSDT', side: 'short', entryPrice: 100, quantity: 2, stopLossPercent: 2, key: 'BTCUSDT:short' });
    expect(long).not.toBe(short);
    expect(short.order).toMatchObject({ side: 'buy', stopPrice: 102 });
    expect(exchange.liveOrders('BTCUSDT')).toHaveLength(2);
  });

  it('a caller\'s AbortSignal detaches that caller only; the shared work completes', async () => {
    const { registry, exchange } = makeRegistry({}, { latencyMs: 20 });
    const controller = new AbortController();
    const detached = registry.create(longSpec(), { signal: controller.signal });
    const other = registry.create(longSpec());
    controller.abort();
    await expect(detached).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    const stop = await other;
    expect(stop.state).toBe('waiting');
    expect(exchange.liveOrders()).toHaveLength(1);
  });

  it('a failed creation rejects with a typed error, emits events, and stays visible as failed (I6)', async () => {
    const exchange = new PaperExchange({ fault: (call) => (call.operation === 'placeStop' ? new ExchangeRejectedError('Insufficient margin') : undefined) });
    const { registry } = makeRegistry({ placer: exchange });
    const events = recordEvents(registry);
    await expect(registry.create(longSpec())).rejects.toBeInstanceOf(ExchangeRejectedError);
    expect(registry.get('BTCUSDT')?.state).toBe('failed');
    expect(registry.stats.failed).toBe(1);
    expect(events.map((event) => event.name)).toEqual(['failed', 'error']);
  });

  it('a retryable failure is retried under the same client order id', async () => {
    let failures = 2;
    const exchange = new PaperExchange({
      find: false,
      fault: (call) => (call.operation === 'placeStop' && failures-- > 0 ? new Error('ECONNRESET') : undefined),
    });
    const { registry } = makeRegistry({ placer: exchange });
    const stop = await registry.create(longSpec());
    expect(exchange.calls.placeStop).toBe(3);
    expect(exchange.allOrders()).toHaveLength(1);
    expect(stop.order?.clientOrderId).toMatch(/^tsr-BTCUSDT-[a-z0-9]{10}-1$/);
  });

  it('after a failure, creating again replaces the failed stop', async () => {
    let reject = true;
    const exchange = new PaperExchange({ fault: (call) => (call.operation === 'placeStop' && reject ? new ExchangeRejectedError('no') : undefined) });
    const { registry } = makeRegistry({ placer: exchange });
    await expect(registry.create(longSpec())).rejects.toThrow();
    reject = false;
    const stop = await registry.create(longSpec());
    expect(stop.state).toBe('waiting');
    expect(exchange.liveOrders()).toHaveLength(1);
  });

  it('an initial stop the market already crossed takes the gap path (would immediately trigger)', async () => {
    const { registry, exchange } = makeRegistry({ closeOnGap: true });
    exchange.setPrice('BTCUSDT', 97);
    const events = recordEvents(registry);
    await expect(registry.create(longSpec())).rejects.toBeInstanceOf(WouldTriggerError);
    expect(registry.get('BTCUSDT')?.state).toBe('triggered');
    const triggered = events.find((event) => event.name === 'triggered')!.args[0] as { reason: string; closedByMarket: boolean };
    expect(triggered).toMatchObject({ reason: 'gap', closedByMarket: true });
    expect(exchange.closes).toHaveLength(1);
  });

  it('a new positionId for the key starts a fresh stop and retires the old one', async () => {
    const { registry, exchange } = makeRegistry();
    const first = await registry.create(longSpec({ positionId: 'p1' }));
    const second = await registry.create(longSpec({ positionId: 'p2', entryPrice: 200 }));
    expect(second).not.toBe(first);
    expect(first.state).toBe('closed');
    expect(second.entryPrice).toBe(200);
    expect(exchange.liveOrders()).toEqual([expect.objectContaining({ id: second.order!.id })]);
    expect(first.order!.clientOrderId).not.toBe(second.order!.clientOrderId);
  });

  it('a listener that creates the same key again (re-entrancy) gets the same stop, no deadlock', async () => {
    const { registry } = makeRegistry();
    const inner: Promise<unknown>[] = [];
    registry.on('created', () => inner.push(registry.create(longSpec())));
    const stop = await registry.create(longSpec());
    expect(await inner[0]).toBe(stop);
  });

  it('refuses new work after close() and waits for work in flight', async () => {
    const { registry, exchange } = makeRegistry({}, { latencyMs: 10 });
    const pending = registry.create(longSpec());
    const closing = registry.close();
    await expect(registry.create(longSpec({ symbol: 'ETH' }))).rejects.toBeInstanceOf(ClosedError);
    await closing;
    expect((await pending).state).toBe('waiting');
    expect(exchange.liveOrders()).toHaveLength(1);
    await expect(registry.remove('BTCUSDT')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });

  it('onIdle() resolves once nothing is in flight', async () => {
    const { registry } = makeRegistry({}, { latencyMs: 5 });
    void registry.create(longSpec());
    expect(registry.stats.inFlight).toBeGreaterThan(0);
    await registry.onIdle();
    expect(registry.stats.inFlight).toBe(0);
  });
});

describe('create() validation (I8: rejected before any I/O, nothing placed, nothing stored)', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['NaN entry price', { entryPrice: Number.NaN }, 'entryPrice'],
    ['Infinity entry price', { entryPrice: Number.POSITIVE_INFINITY }, 'entryPrice'],
    ['zero entry price', { entryPrice: 0 }, 'entryPrice'],
    ['negative quantity', { quantity: -1 }, 'quantity'],
    ['zero quantity', { quantity: 0 }, 'quantity'],
    ['string quantity', { quantity: '1' }, 'quantity'],
    ['unknown side', { side: 'up' }, 'side'],
    ['empty symbol', { symbol: '' }, 'symbol'],
    ['blank symbol', { symbol: '   ' }, 'symbol'],
    ['empty key', { key: '' }, 'key'],
    ['callback of 100 %', { callbackPercent: 100 }, 'callbackPercent'],
    ['negative callback', { callbackPercent: -1 }, 'callbackPercent'],
    ['stop loss of 0 %', { stopLossPercent: 0 }, 'stopLossPercent'],
    ['stop loss above 100 %', { stopLossPercent: 150 }, 'stopLossPercent'],
    ['negative activation', { activationPercent: -1 }, 'activationPercent'],
    ['unknown mode', { mode: 'magic' }, 'mode'],
    ['two distances', { callbackPercent: 1, callbackAmount: 2 }, 'callbackAmount'],
    ['initial stop above a long entry', { stopLossPercent: undefined, initialStopPrice: 101 }, 'initialStopPrice'],
    ['both initial stops', { initialStopPrice: 90 }, 'stopLossPercent'],
    ['tiers out of order', { steps: [{ profitPercent: 2, callbackPercent: 1 }, { profitPercent: 1, callbackPercent: 0.5 }] }, 'steps[1].profitPercent'],
    ['unknown field (typo)', { callbackPercnt: 1 }, 'callbackPercnt'],
    ['callbackTicks without tickSize', { callbackTicks: 3 }, 'callbackTicks'],
  ];
  it.each(cases)('%s', async (_name, overrides, field) => {
    const { registry, exchange, store } = makeRegistry();
    const error = await registry.create({ ...longSpec(), ...overrides } as CreateStopSpec).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as ValidationError).message).toMatch(/Expected|Set at most|must|Unknown|needs|Tiers/);
    expect(Object.values(exchange.calls).reduce((sum, count) => sum + count, 0)).toBe(0);
    expect(store.size).toBe(0);
  });

  it('a non-object spec is a ValidationError', async () => {
    const { registry } = makeRegistry();
    await expect(registry.create(null as unknown as CreateStopSpec)).rejects.toBeInstanceOf(ValidationError);
  });

  it('messages name the value and its type', async () => {
    const { registry } = makeRegistry();
    await expect(registry.create(longSpec({ callbackPercent: Number.NaN }))).rejects.toThrow(
      'Expected `callbackPercent` to be a finite number in (0, 100), got `NaN` (number)',
    );
  });
});

describe('constructor options', () => {
  const placer = new PaperExchange();
  it.each([
    ['missing placer', {}, TypeError, /placer/],
    ['zero concurrency', { placer, concurrency: 0 }, RangeError, /concurrency/],
    ['fractional timeout', { placer, timeoutMs: 1.5 }, RangeError, /timeoutMs/],
    ['string lease', { placer, leaseMs: '5' }, TypeError, /leaseMs/],
    ['bad prefix', { placer, clientOrderIdPrefix: 'has space' }, TypeError, /clientOrderIdPrefix/],
    ['bad default callback', { placer, callbackPercent: 200 }, RangeError, /callbackPercent/],
    ['store missing methods', { placer, store: { load() {} } }, TypeError, /store/],
    ['zero retry attempts', { placer, retry: { attempts: 0 } }, RangeError, /retry.attempts/],
  ] as const)('%s', (_name, options, type, message) => {
    expect(() => new TrailingStopRegistry(options as never)).toThrow(type);
    expect(() => new TrailingStopRegistry(options as never)).toThrow(message);
  });

  it('registry-level defaults apply to every stop, and a stop may override them', async () => {
    const { registry } = makeRegistry({ callbackAmount: 3, activationPercent: 0 });
    const byDefault = await registry.create(longSpec({ symbol: 'A', stopLossPercent: undefined }));
    expect(byDefault.stopPrice).toBe(97);
    const own = await registry.create(longSpec({ symbol: 'B', stopLossPercent: undefined, callbackPercent: 1 }));
    expect(own.stopPrice).toBe(99);
  });

  it('uses the in-memory store by default', async () => {
    const registry = new TrailingStopRegistry({ placer: new PaperExchange() });
    await registry.create(longSpec());
    expect(registry.size).toBe(1);
    await registry.close();
  });

  it('owner ids default to distinct random ids', () => {
    const placer = new PaperExchange();
    const store = new MemoryStateStore();
    expect(new TrailingStopRegistry({ placer, store }).owner).not.toBe(new TrailingStopRegistry({ placer, store }).owner);
  });
});
