/**
 * Regression tests for the defects issue 10's fault campaign found: each failed before its fix.
 * Deterministic: fake timers or the manual clock decide time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ExchangeRejectedError,
  MemoryStateStore,
  PaperExchange,
  StoreError,
  TrailingStopRegistry,
  type StopRecord,
} from '../../src/index.js';
import { longSpec, makeRegistry, recordEvents } from '../support/fixtures.js';
import { interceptStore } from '../support/intercept.js';
import { Crash, ManualClock } from '../support/crash.js';

/** A store whose compare-and-set fails (once each) for the records `failWhen` picks. */
function failingStore(inner: MemoryStateStore, failWhen: (next: StopRecord) => boolean): MemoryStateStore {
  return interceptStore(inner, (operation, argument, call) => {
    if (operation === 'compareAndSet' && failWhen(argument as StopRecord)) return Promise.reject(new StoreError('store down'));
    return call();
  }) as MemoryStateStore;
}

const trailing = { activationPercent: 0, callbackPercent: 1, minUpdateIntervalMs: 0, minImprovementPercent: 0 };

afterEach(() => {
  vi.useRealTimers();
});

describe('reliability (issue 10)', () => {
  it('1: onIdle() and close() resolve after a placement whose answer never comes', async () => {
    vi.useFakeTimers();
    let hung = false;
    const { registry, exchange } = makeRegistry(
      { timeoutMs: 100 },
      { fault: (call) => (call.operation === 'placeStop' && !hung ? ((hung = true), 'hang') : undefined) },
    );
    const creation = registry.create(longSpec());
    await vi.advanceTimersByTimeAsync(1_000);
    const stop = await creation;
    expect(stop.order).not.toBeNull();
    expect(exchange.liveOrders()).toHaveLength(1);
    let idle = false;
    void registry.onIdle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(idle).toBe(true);
    expect(registry.stats.inFlight).toBe(0);
    let closed = false;
    void registry.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(closed).toBe(true);
  });
});

describe('a make-before-break move whose answer comes after it gave up', () => {
  it.each([false, true])('keeps the tighter order that answered late, and cancels the older, looser one (stream: %s)', async (stream) => {
    vi.useFakeTimers();
    // The creation's order answers at once; the move's placement takes effect at once but answers
    // after 10 s, and its lookups never answer: the move gives up, the stop fails.
    const { registry, exchange, store } = makeRegistry(
      { timeoutMs: 100, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
      {
        orderUpdates: stream ? 'live' : 'manual',
        latencyMs: (call) => (call.operation === 'placeStop' && call.sequence === 2 ? 10_000 : 0),
        fault: (call) => (call.operation === 'findStop' ? 'hang' : undefined),
      },
    );
    const stop = await registry.create(longSpec(trailing));
    const [first] = exchange.liveOrders();
    registry.updatePrice('BTCUSDT', 110);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(stop.state).toBe('failed');
    expect(exchange.liveOrders()).toHaveLength(2);

    await vi.advanceTimersByTimeAsync(10_000);
    await registry.onIdle();
    // The move did take effect: its order is the stop's now, the older, looser one is gone.
    const live = exchange.liveOrders();
    expect(live).toHaveLength(1);
    expect(live[0]!.stopPrice).toBeGreaterThan(first!.stopPrice);
    expect(stop.order?.id).toBe(live[0]!.id);
    expect((await store.load('BTCUSDT'))?.order?.id).toBe(live[0]!.id);
  });
});

describe('reliability (issue 10), after close', () => {
  it('5: updatePrice() after close() places and cancels nothing', async () => {
    const { registry, exchange } = makeRegistry();
    await registry.create(longSpec({ activationPercent: 0, callbackPercent: 1, minUpdateIntervalMs: 0, minImprovementPercent: 0 }));
    await registry.onIdle();
    await registry.close();
    const calls = { ...exchange.calls };
    registry.updatePrice('BTCUSDT', 120);
    registry.updatePrice('BTCUSDT', 50);
    await registry.onIdle();
    expect(exchange.calls).toEqual(calls);
  });

  it('a placement that answers after close() resolved makes no call: its order is reported left for the next orphan sweep', async () => {
    vi.useFakeTimers();
    // The first placement executes at once and answers after 10 s; the lookups never answer.
    const { registry, exchange } = makeRegistry(
      { timeoutMs: 100, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } },
      { latencyMs: (call) => (call.operation === 'placeStop' ? 10_000 : 0), fault: (call) => (call.operation === 'findStop' ? 'hang' : undefined) },
    );
    const events = recordEvents(registry);
    const creation = registry.create(longSpec()).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await creation).toBeInstanceOf(Error);
    let closed = false;
    void registry.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(closed).toBe(true);
    const calls = { ...exchange.calls };
    await vi.advanceTimersByTimeAsync(10_000);
    // close() promised no more calls: the late order stays, and an `error` event says so.
    expect(exchange.calls).toEqual(calls);
    expect(exchange.liveOrders()).toHaveLength(1);
    const left = events.filter((event) => event.name === 'error').map((event) => event.args[0] as { error: Error; operation: string });
    expect(left.some((event) => event.operation === 'compensate' && /answered after close\(\)/.test(event.error.message))).toBe(true);
  });
});

describe('reliability (issue 10), several registries', () => {
  it('2: a stop removed by another registry is not returned by create(); remove() removes the stop that holds the key now', async () => {
    const clock = new ManualClock();
    const venue = new PaperExchange();
    const store = new MemoryStateStore();
    const a = new TrailingStopRegistry({ placer: venue, store, clock, owner: 'a' });
    const b = new TrailingStopRegistry({ placer: venue, store, clock, owner: 'b' });
    const c = new TrailingStopRegistry({ placer: venue, store, clock, owner: 'c' });
    const first = await a.create(longSpec());
    expect(await b.remove('BTCUSDT')).toBe(true);
    clock.advance(1_001); // past revalidateAfterMs: A re-reads before it reuses its memory
    const second = await a.create(longSpec());
    expect(second).not.toBe(first);
    expect(second.order).not.toBeNull();
    expect(venue.liveOrders()).toHaveLength(1);
    expect((await store.load('BTCUSDT'))?.positionId).toBe(second.positionId);
    expect(await b.remove('BTCUSDT')).toBe(true);
    await c.create(longSpec());
    expect(await a.remove('BTCUSDT')).toBe(true);
    await a.onIdle();
    expect(venue.liveOrders()).toHaveLength(0);
    expect(await store.load('BTCUSDT')).toBeUndefined();
  });

  it('4: a failed double-check write keeps the order and owes the write; remove() then cancels the order', async () => {
    vi.useFakeTimers();
    const venue = new PaperExchange();
    let failures = 0;
    const store = failingStore(new MemoryStateStore(), (next) => next.state !== 'pending' && next.version === 2 && failures++ === 0);
    const registry = new TrailingStopRegistry({ placer: venue, store, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 } });
    const events = recordEvents(registry);
    const stop = await registry.create(longSpec());
    expect(events.some((event) => event.name === 'error')).toBe(true);
    expect(venue.liveOrders()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    await registry.onIdle();
    const record = await store.load('BTCUSDT');
    expect(record?.state).toBe('waiting');
    expect(record?.order?.id).toBe(stop.order?.id);
    expect(record?.version).toBe(stop.version);
    expect(await registry.remove('BTCUSDT')).toBe(true);
    expect(venue.liveOrders()).toHaveLength(0);
    expect(await store.load('BTCUSDT')).toBeUndefined();
  });

  it('6: a store write that failed after a move is retried until memory and store agree', async () => {
    vi.useFakeTimers();
    const venue = new PaperExchange();
    let failNext = false;
    const store = failingStore(new MemoryStateStore(), () => (failNext ? ((failNext = false), true) : false));
    const registry = new TrailingStopRegistry({ placer: venue, store, ...trailing, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10 } });
    const stop = await registry.create(longSpec());
    failNext = true;
    registry.updatePrice('BTCUSDT', 110);
    await vi.advanceTimersByTimeAsync(100);
    await registry.onIdle();
    const record = await store.load('BTCUSDT');
    expect(stop.order?.stopPrice).toBe(108.9);
    expect(record?.order?.id).toBe(stop.order?.id);
    expect(record?.version).toBe(stop.version);
    expect(venue.liveOrders()).toHaveLength(1);
  });

  it('7: claiming a failed record of another registry cancels its resting order first', async () => {
    const venue = new PaperExchange({ fault: (call) => (call.operation === 'placeStop' && call.sequence > 1 ? new ExchangeRejectedError('refused') : undefined) });
    const store = new MemoryStateStore();
    const b = new TrailingStopRegistry({ placer: venue, store, owner: 'b', ...trailing, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    await b.create(longSpec());
    b.updatePrice('BTCUSDT', 110); // the move is refused: the stop fails, its old order stays
    await b.onIdle();
    expect(b.get('BTCUSDT')?.state).toBe('failed');
    expect(venue.liveOrders()).toHaveLength(1);
    const healthy = new PaperExchange();
    // The same venue book, now accepting orders: a second registry creates the next position.
    const a = new TrailingStopRegistry({ placer: { ...venue, placeStop: (request, options) => healthy.placeStop(request, options), cancelStop: (order, options) => venue.cancelStop(order, options) }, store, owner: 'a' });
    await a.create(longSpec());
    expect(venue.liveOrders()).toHaveLength(0);
    expect(healthy.liveOrders()).toHaveLength(1);
  });

  it('8: re-creating a position after it failed continues its versions and client order ids; other registries adopt the new stop', async () => {
    let refuse = true;
    const venue = new PaperExchange({ fault: (call) => (call.operation === 'placeStop' && refuse ? new ExchangeRejectedError('refused') : undefined) });
    const store = new MemoryStateStore();
    const a = new TrailingStopRegistry({ placer: venue, store, owner: 'a', retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
    const b = new TrailingStopRegistry({ placer: venue, store, owner: 'b' });
    await expect(a.create(longSpec({ positionId: 'p1' }))).rejects.toThrow();
    const failed = await store.load('BTCUSDT');
    expect(failed?.state).toBe('failed');
    await b.restore();
    expect(b.get('BTCUSDT')?.state).toBe('failed');
    refuse = false;
    const stop = await a.create(longSpec({ positionId: 'p1' }));
    const record = await store.load('BTCUSDT');
    expect(record!.version).toBeGreaterThan(failed!.version);
    expect(record!.sequence).toBeGreaterThan(failed!.sequence);
    expect(stop.order?.clientOrderId).not.toBe(failed!.clientOrderId);
    await b.reconcile();
    expect(b.get('BTCUSDT')?.state).toBe(stop.state);
    expect(b.get('BTCUSDT')?.order?.id).toBe(stop.order?.id);
  });
});

describe('create() for a key whose live stop protects another position', () => {
  it('rejects with a StopConflictError before any I/O and reports it, instead of returning the old stop', async () => {
    const { registry, exchange } = makeRegistry();
    const events = recordEvents(registry);
    await registry.create(longSpec());
    const calls = { ...exchange.calls };
    await expect(registry.create({ ...longSpec(), side: 'short', quantity: 5, stopLossPercent: 2 })).rejects.toMatchObject({
      code: 'ERR_STOP_CONFLICT',
      fields: ['side', 'quantity'],
    });
    expect(exchange.calls).toEqual(calls);
    expect(events.filter((event) => event.name === 'error')).toHaveLength(1);
    // The same spec again is the same position: the live stop.
    expect(await registry.create(longSpec())).toBe(registry.get('BTCUSDT'));
    // A new positionId is a new position: the old stop is replaced.
    const replaced = await registry.create({ ...longSpec(), side: 'short', quantity: 5, positionId: 'next' });
    expect(replaced.side).toBe('short');
    expect(exchange.liveOrders()).toHaveLength(1);
  });
});

describe('reliability (issue 10), crashes', () => {
  /** A registry that died right after a move's new order took effect: the old one was never cancelled. */
  async function crashMidMove(): Promise<{ venue: PaperExchange; store: MemoryStateStore; clock: ManualClock }> {
    const clock = new ManualClock();
    const venue = new PaperExchange({ amend: false });
    const store = new MemoryStateStore();
    // The process dies right after the move's new order took effect: the old one is never cancelled.
    const crash = new Crash(
      (point) =>
        point.side === 'placer' &&
        point.operation === 'placeStop' &&
        point.when === 'after' &&
        (point.argument as { clientOrderId: string }).clientOrderId.endsWith('-2'),
    );
    const doomed = new TrailingStopRegistry({ placer: crash.placer(venue), store: crash.store(store), clock: crash.clock(clock), owner: 'bot-1', ...trailing });
    await doomed.create(longSpec());
    doomed.updatePrice('BTCUSDT', 103);
    for (let spin = 0; spin < 100 && !crash.crashed; spin++) await new Promise((resolve) => setImmediate(resolve));
    expect(crash.crashed).toBe(true);
    expect(venue.liveOrders()).toHaveLength(2);
    return { venue, store, clock };
  }

  it('3: a crash in the middle of a make-before-break move leaves one live order after restart, and the venue holds what the registry reports', async () => {
    const { venue, store, clock } = await crashMidMove();
    const restarted = new TrailingStopRegistry({ placer: venue, store, clock, owner: 'bot-1', ...trailing });
    await restarted.restore();
    await restarted.onIdle();
    expect(venue.liveOrders()).toHaveLength(1);
    restarted.updatePrice('BTCUSDT', 106);
    await restarted.onIdle();
    const stop = restarted.get('BTCUSDT')!;
    const live = venue.liveOrders();
    expect(live).toHaveLength(1);
    expect(live[0]!.stopPrice).toBe(stop.stopPrice);
    expect(stop.order?.id).toBe(live[0]!.id);
  });

  it('3: restarted under another owner id, the next move goes out under a fresh client order id, and the next reconcile sweeps the stranded order', async () => {
    const { venue, store, clock } = await crashMidMove();
    const restarted = new TrailingStopRegistry({ placer: venue, store, clock, owner: 'bot-2', ...trailing });
    await restarted.restore();
    restarted.updatePrice('BTCUSDT', 106);
    await restarted.onIdle();
    const stop = restarted.get('BTCUSDT')!;
    expect(venue.liveOrders().find((order) => order.id === stop.order?.id)?.stopPrice).toBe(stop.stopPrice);
    await restarted.reconcile();
    const live = venue.liveOrders();
    expect(live).toHaveLength(1);
    expect(live[0]!.id).toBe(stop.order?.id);
  });
});
