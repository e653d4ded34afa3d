/**
 * Venue truth (issue 11): what the venue says about a stop's order decides what the stop is. Order
 * updates handed in (or streamed), triggers confirmed with the venue, lost orders repaired, and a
 * restart that one bad or slow symbol cannot break. Deterministic: fake timers decide time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ExchangeRejectedError,
  MemoryStateStore,
  PaperExchange,
  TrailingStopRegistry,
  ValidationError,
  type OrderPlacer,
  type OrderUpdate,
} from '../../src/index.js';
import { clientOrderIdBaseOf, clientOrderIdFor } from '../../src/domain/client-order-id.js';
import { longSpec, makeRegistry, recordEvents } from '../support/fixtures.js';

afterEach(() => {
  vi.useRealTimers();
});

const trailing = { activationPercent: 0, callbackPercent: 1, minUpdateIntervalMs: 0, minImprovementPercent: 0 };

function eventsNamed(events: { name: string; args: unknown[] }[], name: string): unknown[] {
  return events.filter((event) => event.name === name).map((event) => event.args[0]);
}

/** Records the venue-truth events too (the shared recorder predates them). */
function recordAll(registry: TrailingStopRegistry): { name: string; args: unknown[] }[] {
  const seen = recordEvents(registry);
  for (const name of ['partiallyFilled', 'orderLost'] as const) registry.on(name, (...args: unknown[]) => seen.push({ name, args }));
  return seen;
}

describe('handleOrderUpdate', () => {
  it('refuses a malformed update with a ValidationError, changing nothing', async () => {
    const { registry, exchange } = makeRegistry();
    const stop = await registry.create(longSpec());
    const order = stop.order!;
    const bad: unknown[] = [
      null,
      { ...order, status: 'done' },
      { clientOrderId: '', symbol: 'BTCUSDT', status: 'filled' },
      { clientOrderId: order.clientOrderId, symbol: 'BTCUSDT', status: 'filled', averagePrice: Number.NaN },
      { clientOrderId: order.clientOrderId, symbol: 'BTCUSDT', status: 'partially-filled', filledQuantity: -1 },
    ];
    for (const update of bad) expect(() => registry.handleOrderUpdate(update as OrderUpdate)).toThrow(ValidationError);
    expect(stop.state).toBe('waiting');
    expect(exchange.liveOrders()).toHaveLength(1);
  });

  it('answers false for an order that is not one of its stops', async () => {
    const { registry } = makeRegistry();
    await registry.create(longSpec());
    expect(registry.handleOrderUpdate({ clientOrderId: 'someone-else-1', symbol: 'BTCUSDT', status: 'filled' })).toBe(false);
    expect(registry.get('BTCUSDT')?.state).toBe('waiting');
  });

  it('a fill ends the stop exactly once, with source venue and the fill price; nothing of it is left', async () => {
    const { registry, exchange, store } = makeRegistry();
    const events = recordAll(registry);
    const stop = await registry.create(longSpec());
    const order = stop.order!;
    exchange.setPrice('BTCUSDT', 97); // the venue fills its stop at 98
    const fill: OrderUpdate = { clientOrderId: order.clientOrderId, id: order.id, symbol: 'BTCUSDT', status: 'filled', filledQuantity: 1, averagePrice: 97.9, timestamp: 2 };
    expect(registry.handleOrderUpdate(fill)).toBe(true);
    expect(registry.handleOrderUpdate(fill)).toBe(true); // duplicate
    expect(registry.handleOrderUpdate({ ...fill, status: 'open', timestamp: 1 })).toBe(true); // older
    await registry.onIdle();
    expect(eventsNamed(events, 'triggered')).toEqual([expect.objectContaining({ source: 'venue', price: 97.9, reason: 'stop' })]);
    expect(registry.stats.triggered).toBe(1);
    expect(stop.state).toBe('triggered');
    expect(exchange.liveOrders()).toHaveLength(0);
    expect(await store.load('BTCUSDT')).toBeUndefined();
    // The ended stop never blocks the next position on the key.
    exchange.setPrice('BTCUSDT', 100);
    const next = await registry.create(longSpec());
    expect(next.state).toBe('waiting');
    expect(exchange.liveOrders()).toHaveLength(1);
  });

  it('a fill of the old half of a make-before-break move cancels the new half: zero live orders', async () => {
    const { registry, exchange } = makeRegistry({ ...trailing });
    const stop = await registry.create(longSpec());
    const old = stop.order!;
    registry.updatePrice('BTCUSDT', 105); // the move places the new stop first
    await registry.onIdle();
    expect(stop.order!.id).not.toBe(old.id);
    registry.handleOrderUpdate({ clientOrderId: old.clientOrderId, id: old.id, symbol: 'BTCUSDT', status: 'filled', averagePrice: 98 });
    await registry.onIdle();
    expect(stop.state).toBe('triggered');
    expect(exchange.liveOrders()).toHaveLength(0);
  });

  it('a partial fill shrinks the stop to the rest; it keeps protecting', async () => {
    const { registry, store } = makeRegistry();
    const events = recordAll(registry);
    const stop = await registry.create(longSpec({ quantity: 3 }));
    const order = stop.order!;
    registry.handleOrderUpdate({ clientOrderId: order.clientOrderId, symbol: 'BTCUSDT', status: 'partially-filled', filledQuantity: 1, averagePrice: 98 });
    await registry.onIdle();
    expect(stop.quantity).toBe(2);
    expect(stop.state).toBe('waiting');
    expect((await store.load('BTCUSDT'))?.quantity).toBe(2);
    expect(eventsNamed(events, 'partiallyFilled')).toEqual([expect.objectContaining({ filledQuantity: 1, averagePrice: 98 })]);
  });

  it('a cancel by hand is repaired at once under a fresh client order id', async () => {
    const { registry, exchange } = makeRegistry({ confirmTriggerMs: 5 });
    const events = recordAll(registry);
    const stop = await registry.create(longSpec());
    const order = stop.order!;
    exchange.cancelByHand(order.id);
    registry.handleOrderUpdate({ clientOrderId: order.clientOrderId, id: order.id, symbol: 'BTCUSDT', status: 'cancelled' });
    await registry.onIdle();
    const live = exchange.liveOrders();
    expect(live).toHaveLength(1);
    expect(live[0]!.clientOrderId).not.toBe(order.clientOrderId);
    expect(stop.order?.id).toBe(live[0]!.id);
    expect(eventsNamed(events, 'orderLost')).toEqual([expect.objectContaining({ status: 'cancelled', action: 'replaced' })]);
  });

  it("a repair answered with another registry's tighter order under the same id takes that order's price as the stop", async () => {
    // Another registry moved the stop to 99 under the next client order id, cancelled the old
    // order and died before its write: this registry sees only the cancel, and places the stop
    // again under that id, which the venue answers with the resting order at 99.
    const { registry, exchange, store } = makeRegistry({ confirmTriggerMs: 5 });
    const stop = await registry.create(longSpec());
    const order = stop.order!;
    const base = clientOrderIdBaseOf(order.clientOrderId);
    const moved = await exchange.placeStop(
      { symbol: 'BTCUSDT', side: 'sell', quantity: 1, stopPrice: 99, clientOrderId: clientOrderIdFor(base, 2) },
      { signal: new AbortController().signal },
    );
    exchange.cancelByHand(order.id);
    registry.handleOrderUpdate({ clientOrderId: order.clientOrderId, id: order.id, symbol: 'BTCUSDT', status: 'cancelled' });
    await registry.onIdle();
    expect(exchange.liveOrders().map((live) => live.id)).toEqual([moved.id]);
    expect(stop.order?.id).toBe(moved.id);
    // The venue holds 99: the stop is there, not at 98 with an order it disagrees with.
    expect(stop.stopPrice).toBe(99);
    const record = await store.load('BTCUSDT');
    expect(record).toMatchObject({ stopPrice: 99, order: { id: moved.id, stopPrice: 99 } });
  });

  it("with onExternalCancel 'release' a cancel by hand removes the stop", async () => {
    const { registry, exchange, store } = makeRegistry({ onExternalCancel: 'release', confirmTriggerMs: 5 });
    const events = recordAll(registry);
    const stop = await registry.create(longSpec());
    exchange.cancelByHand(stop.order!.id);
    registry.handleOrderUpdate({ clientOrderId: stop.order!.clientOrderId, symbol: 'BTCUSDT', status: 'expired' });
    await registry.onIdle();
    expect(registry.has('BTCUSDT')).toBe(false);
    expect(await store.load('BTCUSDT')).toBeUndefined();
    expect(exchange.liveOrders()).toHaveLength(0);
    expect(events.find((event) => event.name === 'removed')?.args[0]).toMatchObject({ reason: 'released' });
  });

  it('an update without a client order id matches by venue id; a cancel after a partial fill protects the rest', async () => {
    const { registry, exchange } = makeRegistry({ confirmTriggerMs: 5 });
    const stop = await registry.create(longSpec({ quantity: 3 }));
    const order = stop.order!;
    exchange.cancelByHand(order.id);
    expect(registry.handleOrderUpdate({ clientOrderId: '', id: order.id, symbol: 'BTCUSDT', status: 'cancelled', filledQuantity: 1 })).toBe(true);
    await registry.onIdle();
    expect(stop.quantity).toBe(2);
    expect(exchange.liveOrders()).toEqual([expect.objectContaining({ quantity: 2 })]);
    expect(() => registry.handleOrderUpdate({ clientOrderId: '', symbol: 'BTCUSDT', status: 'cancelled' })).toThrow(ValidationError);
  });

  it("the registry's own cancels (the old half of a move) change nothing", async () => {
    const { registry, exchange } = makeRegistry({ ...trailing });
    const events = recordAll(registry);
    const stop = await registry.create(longSpec());
    const old = stop.order!;
    registry.updatePrice('BTCUSDT', 105);
    await registry.onIdle();
    const moved = stop.order!;
    expect(registry.handleOrderUpdate({ clientOrderId: old.clientOrderId, id: old.id, symbol: 'BTCUSDT', status: 'cancelled' })).toBe(true);
    await registry.onIdle();
    expect(stop.order?.id).toBe(moved.id);
    expect(eventsNamed(events, 'orderLost')).toEqual([]);
    expect(exchange.liveOrders()).toHaveLength(1);
  });
});

describe('triggers confirmed by the venue', () => {
  it('a feed-only crossing the venue did not fill leaves the stop trailing; no triggered event', async () => {
    vi.useFakeTimers();
    const { registry, exchange } = makeRegistry({ ...trailing, confirmTriggerMs: 10 });
    const events = recordAll(registry);
    const stop = await registry.create(longSpec());
    registry.updatePrice('BTCUSDT', 110);
    await registry.onIdle();
    expect(stop.stopPrice).toBe(108.9);
    // A last-price wick to 108 the venue (triggering on the mark price) never saw.
    registry.updatePrice('BTCUSDT', 108);
    registry.updatePrice('BTCUSDT', 110.5);
    await vi.advanceTimersByTimeAsync(10);
    await registry.onIdle();
    expect(stop.state).toBe('active');
    expect(eventsNamed(events, 'triggered')).toEqual([]);
    registry.updatePrice('BTCUSDT', 120);
    await registry.onIdle();
    expect(stop.stopPrice).toBe(118.8);
    expect(exchange.liveOrders()).toEqual([expect.objectContaining({ stopPrice: 118.8 })]);
  });

  it('while the price stays crossed and the venue holds the order, the stop waits: no move, no trigger', async () => {
    vi.useFakeTimers();
    const { registry, exchange } = makeRegistry({ confirmTriggerMs: 10 });
    const events = recordAll(registry);
    const stop = await registry.create(longSpec());
    registry.updatePrice('BTCUSDT', 97); // crosses the stop at 98 on the feed; the venue has not seen it
    registry.updatePrice('BTCUSDT', 96);
    await vi.advanceTimersByTimeAsync(1_000);
    await registry.onIdle();
    expect(stop.state).toBe('waiting');
    expect(exchange.liveOrders()).toHaveLength(1);
    expect(eventsNamed(events, 'triggered')).toEqual([]);
    // Then the venue fills: the next look-up ends the stop, with the venue as the source.
    exchange.setPrice('BTCUSDT', 97);
    await vi.advanceTimersByTimeAsync(10_000);
    await registry.onIdle();
    expect(stop.state).toBe('triggered');
    expect(eventsNamed(events, 'triggered')).toEqual([expect.objectContaining({ source: 'venue' })]);
    expect(exchange.liveOrders()).toHaveLength(0);
  });

  it('a placer that can neither stream nor look orders up keeps the price trigger (source price)', async () => {
    const venue = new PaperExchange({ find: false });
    const placer: OrderPlacer = { placeStop: (request, options) => venue.placeStop(request, options), cancelStop: (order, options) => venue.cancelStop(order, options) };
    const registry = new TrailingStopRegistry({ placer });
    const events = recordAll(registry);
    const stop = await registry.create(longSpec());
    registry.updatePrice('BTCUSDT', 97);
    await registry.onIdle();
    expect(stop.state).toBe('triggered');
    expect(eventsNamed(events, 'triggered')).toEqual([expect.objectContaining({ source: 'price' })]);
  });

  it('subscribes to the placer stream on the first create(), feeds it to the stop, and aborts it on close()', async () => {
    const venue = new PaperExchange();
    let listener: ((update: OrderUpdate) => void) | undefined;
    let signal: AbortSignal | undefined;
    let subscriptions = 0;
    const placer: OrderPlacer = {
      placeStop: (request, options) => venue.placeStop(request, options),
      cancelStop: (order, options) => venue.cancelStop(order, options),
      watchOrders: (heard, options) => {
        subscriptions++;
        listener = heard;
        signal = options.signal;
        return new Promise<void>((resolve) => options.signal.addEventListener('abort', () => resolve()));
      },
    };
    const registry = new TrailingStopRegistry({ placer });
    const events = recordAll(registry);
    const stop = await registry.create(longSpec());
    await registry.create(longSpec('ETHUSDT'));
    expect(subscriptions).toBe(1);
    listener!({ clientOrderId: stop.order!.clientOrderId, symbol: 'BTCUSDT', status: 'filled', averagePrice: 98 });
    await registry.onIdle();
    expect(eventsNamed(events, 'triggered')).toEqual([expect.objectContaining({ source: 'venue', price: 98 })]);
    await registry.close();
    expect(signal?.aborted).toBe(true);
  });
});

describe('restarts and reconciliation that keep going', () => {
  it('a symbol the venue refuses and a slow symbol are reported; the rest are restored and reconciled', async () => {
    vi.useFakeTimers();
    const venue = new PaperExchange();
    const store = new MemoryStateStore();
    const first = new TrailingStopRegistry({ placer: venue, store });
    for (const symbol of ['BTCUSDT', 'BADUSDT', 'SLOWUSDT']) await first.create(longSpec(symbol));
    venue.cancelByHand(venue.liveOrders('BTCUSDT')[0]!.id); // something for reconciliation to repair
    const placer: OrderPlacer = {
      placeStop: (request, options) => venue.placeStop(request, options),
      cancelStop: (order, options) => venue.cancelStop(order, options),
      openStops: (options) => {
        const symbol = options.symbols?.[0];
        if (symbol === 'BADUSDT') return Promise.reject(new ExchangeRejectedError('Invalid symbol'));
        if (symbol === 'SLOWUSDT') return new Promise(() => {});
        return venue.openStops(options);
      },
    };
    const restarted = new TrailingStopRegistry({ placer, store, timeoutMs: 100, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const errors: unknown[] = [];
    restarted.on('error', ({ error }) => errors.push(error));
    const restoring = restarted.restore();
    await vi.advanceTimersByTimeAsync(1_000);
    const report = await restoring;
    expect(report.restored.sort()).toEqual(['BADUSDT', 'BTCUSDT', 'SLOWUSDT']);
    expect(report.reconciliation?.failedSymbols.map((failure) => failure.symbol).sort()).toEqual(['BADUSDT', 'SLOWUSDT']);
    expect(report.reconciliation?.actions).toEqual([expect.objectContaining({ key: 'BTCUSDT', action: 'replaced' })]);
    expect(errors).toHaveLength(2);
    expect(venue.liveOrders('BTCUSDT')).toHaveLength(1);
  });

  it('a rejected reconcile() also emits error', async () => {
    const store = new MemoryStateStore();
    const { registry } = makeRegistry({ store });
    const errors: unknown[] = [];
    registry.on('error', ({ error }) => errors.push(error));
    vi.spyOn(store, 'list').mockRejectedValueOnce(new Error('disk gone'));
    await expect(registry.reconcile()).rejects.toThrow();
    expect(errors).toHaveLength(1);
  });
});
