/**
 * Exchange sync: one operation per key at a time, latest-wins coalescing, throttle with an
 * emergency bypass, make-before-break moves, retries with a budget, the gap path, resize, and the
 * emulated and native modes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ClientOrderIdUsedError,
  ExchangeUnavailableError,
  MemoryStateStore,
  PaperExchange,
  StoreError,
  WouldTriggerError,
  type OrderPlacer,
  type StopOrder,
} from '../../src/index.js';
import { longSpec, makeRegistry, recordEvents } from '../support/fixtures.js';
import { interceptStore } from '../support/intercept.js';
import { unhandledRejectionsOf } from '../support/campaign-run.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Trailing from the start at 1 %, no throttle: every tick that raises the peak moves the stop. */
const trailing = { stopLossPercent: undefined, activationPercent: 0, callbackPercent: 1, minUpdateIntervalMs: 0, minImprovementPercent: 0 };

describe('exchange sync', () => {
  it('coalesces: 1,000 stop-moving ticks during one slow call cause at most one more call', async () => {
    vi.useFakeTimers();
    const { registry, exchange } = makeRegistry({}, { latencyMs: 50 });
    const creation = registry.create(longSpec(trailing));
    await vi.advanceTimersByTimeAsync(50);
    const stop = await creation;
    const placementsAfterCreate = exchange.calls.placeStop;
    for (let tick = 1; tick <= 1_000; tick++) registry.updatePrice('BTCUSDT', 100 + tick / 10);
    expect(registry.stats.moves).toBe(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    await registry.onIdle();
    expect(exchange.calls.placeStop - placementsAfterCreate).toBeLessThanOrEqual(2);
    // The venue ends at the latest target.
    expect(stop.order?.stopPrice).toBe(stop.stopPrice);
    expect(stop.stopPrice).toBe(198);
    expect(exchange.liveOrders()).toHaveLength(1);
  });

  it('a store failure while re-reading after a spent client order id is reported, never an unhandled rejection', async () => {
    const inner = new PaperExchange();
    let placements = 0;
    const placer: OrderPlacer = {
      capabilities: inner.capabilities,
      // The move's id was spent by another registry; reading the record again then fails.
      placeStop: (request, options) => (++placements === 2 ? Promise.reject(new ClientOrderIdUsedError(request.clientOrderId)) : inner.placeStop(request, options)),
      cancelStop: (order, options) => inner.cancelStop(order, options),
    };
    let storeDown = false;
    const store = interceptStore(new MemoryStateStore(), (operation, _argument, call) =>
      storeDown && operation === 'load' ? Promise.reject(new StoreError('store down')) : call(),
    ) as MemoryStateStore;
    const { registry } = makeRegistry({ placer: placer as never, store });
    const events = recordEvents(registry);
    await registry.create(longSpec(trailing));
    storeDown = true;
    const unhandled = await unhandledRejectionsOf(async () => {
      registry.updatePrice('BTCUSDT', 110);
      await registry.onIdle();
    });
    expect(unhandled).toEqual([]);
    expect(placements).toBeGreaterThanOrEqual(2);
    expect(events.some((event) => event.name === 'error' && (event.args[0] as { error: unknown }).error instanceof StoreError)).toBe(true);
    storeDown = false;
    await registry.close();
  });

  it('moves make-before-break: the new stop exists before the old one is cancelled, at every step', async () => {
    const inner = new PaperExchange({ latencyMs: 1 });
    const liveAtCancel: number[] = [];
    const placer: OrderPlacer = {
      capabilities: inner.capabilities,
      placeStop: (request, options) => inner.placeStop(request, options),
      cancelStop: (order, options) => {
        liveAtCancel.push(inner.liveOrders(order.symbol).length);
        return inner.cancelStop(order, options);
      },
      findStop: inner.findStop,
    };
    const { registry } = makeRegistry({ placer: placer as never });
    await registry.create(longSpec(trailing));
    for (const price of [101, 102, 103, 104]) {
      registry.updatePrice('BTCUSDT', price);
      await registry.onIdle();
    }
    expect(liveAtCancel).toEqual([2, 2, 2, 2]);
    expect(inner.unprotectedMs('BTCUSDT')).toBe(0);
    expect(registry.stats.unprotectedMs).toBe(0);
  });

  it('a cancel-then-place venue reports its unprotected window in stats', async () => {
    vi.useFakeTimers();
    const { registry, exchange } = makeRegistry({}, { latencyMs: 50, cancelBeforePlace: true });
    const creation = registry.create(longSpec(trailing));
    await vi.advanceTimersByTimeAsync(50);
    await creation;
    registry.updatePrice('BTCUSDT', 105);
    await vi.advanceTimersByTimeAsync(500);
    await registry.onIdle();
    expect(registry.stats.unprotectedMs).toBe(50);
    expect(exchange.unprotectedMs('BTCUSDT')).toBe(50);
    expect(exchange.liveOrders()).toHaveLength(1);
  });

  it('amends in place when the placer can', async () => {
    const { registry, exchange } = makeRegistry({}, { amend: true });
    const stop = await registry.create(longSpec(trailing));
    const orderId = stop.order!.id;
    registry.updatePrice('BTCUSDT', 110);
    await registry.onIdle();
    expect(exchange.calls.amendStop).toBe(1);
    expect(exchange.calls.placeStop).toBe(1);
    expect(stop.order).toMatchObject({ id: orderId, stopPrice: 108.9 });
  });

  it('throttles moves to minUpdateIntervalMs, and lets a large move bypass it', async () => {
    vi.useFakeTimers();
    const { registry, exchange } = makeRegistry();
    const stop = await registry.create(
      longSpec({ ...trailing, minUpdateIntervalMs: 1_000, minImprovementPercent: 0, emergencyImprovementPercent: 5 }),
    );
    const base = exchange.calls.placeStop;
    registry.updatePrice('BTCUSDT', 100.5);
    await vi.advanceTimersByTimeAsync(0);
    await registry.onIdle();
    expect(exchange.calls.placeStop - base).toBe(0); // created just now: within the interval
    await vi.advanceTimersByTimeAsync(1_000);
    await registry.onIdle();
    expect(exchange.calls.placeStop - base).toBe(1);
    expect(stop.order?.stopPrice).toBe(stop.stopPrice);
    registry.updatePrice('BTCUSDT', 101);
    await vi.advanceTimersByTimeAsync(0);
    expect(exchange.calls.placeStop - base).toBe(1); // throttled
    registry.updatePrice('BTCUSDT', 110); // +9 %: emergency
    await vi.advanceTimersByTimeAsync(0);
    await registry.onIdle();
    expect(exchange.calls.placeStop - base).toBe(2);
    expect(stop.order?.stopPrice).toBe(108.9);
  });

  it('skips moves smaller than minImprovementPercent', async () => {
    const { registry, exchange } = makeRegistry();
    await registry.create(longSpec({ ...trailing, minImprovementPercent: 1 }));
    const base = exchange.calls.placeStop;
    registry.updatePrice('BTCUSDT', 100.5);
    await registry.onIdle();
    expect(exchange.calls.placeStop).toBe(base);
    registry.updatePrice('BTCUSDT', 102);
    await registry.onIdle();
    expect(exchange.calls.placeStop).toBe(base + 1);
  });

  it('after the retry budget the stop is failed, an event fires, and the old stop stays in place', async () => {
    let failMoves = false;
    const exchange = new PaperExchange({
      find: false,
      fault: (call) => (failMoves && call.operation === 'placeStop' ? new ExchangeUnavailableError('503', { unknownOutcome: false }) : undefined),
    });
    const { registry } = makeRegistry({ placer: exchange, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    const events = recordEvents(registry);
    const stop = await registry.create(longSpec(trailing));
    const original = stop.order!;
    failMoves = true;
    registry.updatePrice('BTCUSDT', 110);
    await registry.onIdle();
    expect(stop.state).toBe('failed');
    expect(exchange.calls.placeStop).toBe(1 + 3);
    expect(exchange.liveOrders()).toEqual([expect.objectContaining({ id: original.id, stopPrice: 99 })]);
    expect(events.map((event) => event.name)).toEqual(expect.arrayContaining(['failed', 'error']));
    // A failed stop no longer follows prices.
    registry.updatePrice('BTCUSDT', 120);
    await registry.onIdle();
    expect(exchange.calls.placeStop).toBe(4);
  });

  it('"would immediately trigger" on a move takes the gap path and closes when enabled', async () => {
    const exchange = new PaperExchange({
      fault: (call) => (call.operation === 'placeStop' && call.sequence > 1 ? new WouldTriggerError('-2021') : undefined),
    });
    const { registry } = makeRegistry({ placer: exchange, closeOnGap: true });
    const events = recordEvents(registry);
    const stop = await registry.create(longSpec(trailing));
    registry.updatePrice('BTCUSDT', 110);
    await registry.onIdle();
    expect(stop.state).toBe('triggered');
    const triggered = events.find((event) => event.name === 'triggered')!.args[0] as { reason: string; closedByMarket: boolean };
    expect(triggered).toMatchObject({ reason: 'gap', closedByMarket: true });
    expect(exchange.closes).toHaveLength(1);
    expect(exchange.liveOrders()).toHaveLength(0);
  });

  it('triggers with reason `stop` when the price crosses the stop the venue holds, once the venue confirms the fill', async () => {
    vi.useFakeTimers();
    const { registry, exchange } = makeRegistry({ confirmTriggerMs: 10 });
    const events = recordEvents(registry);
    const stop = await registry.create(longSpec(trailing));
    registry.updatePrice('BTCUSDT', 110);
    await registry.onIdle();
    exchange.setPrice('BTCUSDT', 108);
    registry.updatePrice('BTCUSDT', 108);
    await vi.advanceTimersByTimeAsync(10);
    await registry.onIdle();
    expect(stop.state).toBe('triggered');
    // The venue filled its stop at the price that crossed it: that is the price reported, with the venue as the source.
    expect(events.find((event) => event.name === 'triggered')!.args[0]).toMatchObject({ reason: 'stop', price: 108, closedByMarket: false, source: 'venue' });
    expect(exchange.liveOrders()).toHaveLength(0);
    expect((await registry.remove('BTCUSDT'))).toBe(true);
  });

  it('resize re-places the stop for the new quantity, make-before-break', async () => {
    const { registry, exchange } = makeRegistry({}, { amend: true });
    const stop = await registry.create(longSpec());
    const old = stop.order!;
    await registry.resize('BTCUSDT', 2.5);
    expect(stop.quantity).toBe(2.5);
    expect(stop.order).toMatchObject({ quantity: 2.5, stopPrice: 98 });
    expect(stop.order!.id).not.toBe(old.id);
    expect(exchange.liveOrders()).toEqual([expect.objectContaining({ quantity: 2.5 })]);
    await expect(registry.resize('BTCUSDT', 0)).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(registry.resize('NOPE', 1)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('a stale move for an old position never attaches to, or moves, the new one', async () => {
    vi.useFakeTimers();
    const { registry, exchange } = makeRegistry({}, { latencyMs: 100 });
    const first = registry.create(longSpec({ ...trailing, positionId: 'old' }));
    await vi.advanceTimersByTimeAsync(100);
    const old = await first;
    registry.updatePrice('BTCUSDT', 120); // a slow move of the old position starts
    const second = registry.create(longSpec({ ...trailing, positionId: 'new', entryPrice: 50 }));
    await vi.advanceTimersByTimeAsync(2_000);
    const fresh = await second;
    await registry.onIdle();
    expect(old.state).toBe('closed');
    expect(fresh.stopPrice).toBe(49.5);
    expect(exchange.liveOrders()).toEqual([expect.objectContaining({ id: fresh.order!.id, stopPrice: 49.5 })]);
  });

  it('emits stopMoved once per move and stopSynced when the venue confirms', async () => {
    const { registry } = makeRegistry();
    const events = recordEvents(registry);
    await registry.create(longSpec(trailing));
    registry.updatePrice('BTCUSDT', 101);
    registry.updatePrice('BTCUSDT', 100.5); // no new peak: no move
    registry.updatePrice('BTCUSDT', 102);
    await registry.onIdle();
    const moves = events.filter((event) => event.name === 'stopMoved').map((event) => event.args[0] as { previousStopPrice: number; stopPrice: number; onExchange: boolean });
    expect(moves.map((move) => [move.previousStopPrice, move.stopPrice, move.onExchange])).toEqual([
      [99, 99.99, false],
      [99.99, 100.98, false],
    ]);
    const synced = events.filter((event) => event.name === 'stopSynced').map((event) => (event.args[0] as { order: StopOrder }).order.stopPrice);
    expect(synced.at(-1)).toBe(100.98);
  });

  it('updatePrice rejects bad prices and ignores stale ticks', async () => {
    const { registry } = makeRegistry();
    const stop = await registry.create(longSpec(trailing));
    expect(() => registry.updatePrice('BTCUSDT', Number.NaN)).toThrow(/price/);
    expect(() => registry.updatePrice('BTCUSDT', -1)).toThrow(/price/);
    registry.updatePrice('BTCUSDT', 101, 2_000);
    registry.updatePrice('BTCUSDT', 150, 1_000); // older than the last tick: ignored
    expect(stop.stopPrice).toBe(99.99);
  });

  it('updateAtr tightens an ATR stop and never loosens it', async () => {
    const { registry } = makeRegistry();
    const stop = await registry.create(longSpec({ ...trailing, callbackPercent: undefined, atr: 2, atrMultiplier: 1.5 }));
    expect(stop.stopPrice).toBe(97);
    registry.updateAtr('BTCUSDT', 1);
    expect(stop.stopPrice).toBe(98.5);
    registry.updateAtr('BTCUSDT', 4);
    expect(stop.stopPrice).toBe(98.5);
    await registry.onIdle();
  });
});

describe('modes', () => {
  it('emulated: no resting order; on trigger the registry closes the position', async () => {
    const { registry, exchange, store } = makeRegistry();
    const events = recordEvents(registry);
    const stop = await registry.create(longSpec({ ...trailing, mode: 'emulated' }));
    expect(stop.order).toBeNull();
    registry.updatePrice('BTCUSDT', 110);
    await registry.onIdle();
    expect((await store.load('BTCUSDT'))?.stopPrice).toBe(108.9);
    expect(exchange.calls.placeStop).toBe(0);
    registry.updatePrice('BTCUSDT', 108.5);
    await registry.onIdle();
    expect(stop.state).toBe('triggered');
    expect(exchange.closes).toEqual([expect.objectContaining({ symbol: 'BTCUSDT', side: 'sell', quantity: 1 })]);
    expect(events.find((event) => event.name === 'triggered')!.args[0]).toMatchObject({ closedByMarket: true });
  });

  it('emulated mode needs closePosition on the placer', async () => {
    const inner = new PaperExchange();
    const placer = { placeStop: inner.placeStop.bind(inner), cancelStop: inner.cancelStop.bind(inner) };
    const { registry } = makeRegistry({ placer: placer as never });
    await expect(registry.create(longSpec({ mode: 'emulated' }))).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
  });

  it('native: one venue trailing order, validated against the venue limits', async () => {
    const { registry, exchange } = makeRegistry({}, { nativeTrailing: { min: 0.1, max: 10 } });
    const stop = await registry.create(longSpec({ stopLossPercent: undefined, mode: 'native', callbackPercent: 1, activationPercent: 2 }));
    expect(exchange.calls.placeTrailingStop).toBe(1);
    expect(stop.order).toBeTruthy();
    registry.updatePrice('BTCUSDT', 110);
    await registry.onIdle();
    expect(exchange.calls.placeStop + exchange.calls.amendStop).toBe(0);
    await expect(registry.create(longSpec({ symbol: 'X', stopLossPercent: undefined, mode: 'native', callbackPercent: 20 }))).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      field: 'callbackPercent',
    });
  });

  it('native falls back to exchange mode when the placer has no native trailing orders', async () => {
    const { registry, exchange } = makeRegistry();
    const stop = await registry.create(longSpec({ mode: 'native', callbackPercent: 1 }));
    expect(stop.mode).toBe('exchange');
    expect(exchange.calls.placeStop).toBe(1);
  });
});
