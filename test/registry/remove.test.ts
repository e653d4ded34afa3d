import { describe, expect, it } from 'vitest';
import { ExchangeUnavailableError, MemoryStateStore, PaperExchange, TrailingStopRegistry } from '../../src/index.js';
import { longSpec, makeRegistry, recordEvents } from '../support/fixtures.js';

describe('remove()', () => {
  it('cancels the order, deletes the record, emits removed', async () => {
    const { registry, exchange, store } = makeRegistry();
    const events = recordEvents(registry);
    const stop = await registry.create(longSpec());
    expect(await registry.remove('BTCUSDT', { reason: 'position closed' })).toBe(true);
    expect(exchange.liveOrders()).toHaveLength(0);
    expect(await store.load('BTCUSDT')).toBeUndefined();
    expect(registry.has('BTCUSDT')).toBe(false);
    expect(stop.state).toBe('closed');
    const removed = events.find((event) => event.name === 'removed')!;
    expect((removed.args[0] as { reason: string }).reason).toBe('position closed');
    expect(registry.stats.removed).toBe(1);
  });

  it('resolves false when there is nothing to remove', async () => {
    const { registry } = makeRegistry();
    expect(await registry.remove('NOPE')).toBe(false);
  });

  it('removing while the creation is in flight ends with no live order', async () => {
    const { registry, exchange, store } = makeRegistry({}, { latencyMs: 10 });
    const creation = registry.create(longSpec());
    const removal = registry.remove('BTCUSDT');
    await Promise.allSettled([creation, removal]);
    await registry.onIdle();
    expect(await removal).toBe(true);
    expect(exchange.liveOrders()).toHaveLength(0);
    expect(await store.load('BTCUSDT')).toBeUndefined();
    expect(registry.has('BTCUSDT')).toBe(false);
  });

  it('a removal by another registry during a creation makes the creator cancel its order (compensation)', async () => {
    const exchange = new PaperExchange({ latencyMs: 10 });
    const store = new MemoryStateStore();
    const creator = new TrailingStopRegistry({ placer: exchange, store, owner: 'a' });
    const remover = new TrailingStopRegistry({ placer: exchange, store, owner: 'b' });
    const events = recordEvents(creator);
    const creation = creator.create(longSpec());
    // Let the claim land, then remove from the other registry while the order is being placed.
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect(await remover.remove('BTCUSDT')).toBe(true);
    await expect(creation).rejects.toMatchObject({ code: 'ERR_REMOVED' });
    await creator.onIdle();
    expect(exchange.liveOrders()).toHaveLength(0);
    expect(exchange.allOrders()).toHaveLength(1);
    expect(events.map((event) => event.name)).toEqual(expect.arrayContaining(['raceLost', 'compensated', 'error']));
    expect(creator.stats.compensated).toBe(1);
  });

  it('removes a stop another registry created (found in the shared store)', async () => {
    const exchange = new PaperExchange();
    const store = new MemoryStateStore();
    const first = new TrailingStopRegistry({ placer: exchange, store });
    const second = new TrailingStopRegistry({ placer: exchange, store });
    await first.create(longSpec());
    expect(await second.remove('BTCUSDT')).toBe(true);
    expect(exchange.liveOrders()).toHaveLength(0);
    expect(await store.load('BTCUSDT')).toBeUndefined();
  });

  it('when the cancel fails for good, the stop and its record stay, and the error is the caller\'s', async () => {
    let down = false;
    const exchange = new PaperExchange({
      find: false,
      fault: (call) => (down && call.operation === 'cancelStop' ? new ExchangeUnavailableError('venue down', { unknownOutcome: false }) : undefined),
    });
    const { registry, store } = makeRegistry({ placer: exchange });
    await registry.create(longSpec());
    down = true;
    await expect(registry.remove('BTCUSDT')).rejects.toBeInstanceOf(ExchangeUnavailableError);
    expect(registry.get('BTCUSDT')?.state).toBe('waiting');
    expect(await store.load('BTCUSDT')).toBeDefined();
    expect(exchange.liveOrders()).toHaveLength(1);
    down = false;
    expect(await registry.remove('BTCUSDT')).toBe(true);
    expect(exchange.liveOrders()).toHaveLength(0);
  });
});

describe('restore() and reconcile() input', () => {
  it('reject bad current prices before any I/O', async () => {
    const { registry, exchange } = makeRegistry();
    await expect(registry.restore({ prices: { BTCUSDT: Number.NaN } })).rejects.toMatchObject({ code: 'ERR_VALIDATION', field: 'prices' });
    await expect(registry.reconcile({ prices: { BTCUSDT: -1 } })).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    expect(Object.values(exchange.calls).reduce((sum, count) => sum + count, 0)).toBe(0);
  });
});
