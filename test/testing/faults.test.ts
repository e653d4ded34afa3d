/**
 * The fault-injecting decorators of `trailing-stop-registry/testing`: each fault does what its
 * documentation says to a real `PaperExchange` and a real `MemoryStateStore`, the schedule picks
 * exactly the calls it names, and calls without a fault pass through untouched.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  MemoryStateStore,
  PaperExchange,
  TrailingStopRegistry,
  hasErrorCode,
  ExchangeUnavailableError,
  type StopOrderRequest,
} from '../../src/index.js';
import { FaultSchedule, FaultyPlacer, FaultyStore, type PlacerFault, type StoreFaultRule } from '../../src/testing/index.js';
import { makeStopRecord } from '../../src/testing/records.js';

afterEach(() => {
  vi.useRealTimers();
});

const request = (clientOrderId = 'tsr-test-1'): StopOrderRequest => ({
  symbol: 'BTCUSDT',
  side: 'sell',
  quantity: 1,
  stopPrice: 98,
  clientOrderId,
});

/** Lets every pending microtask and immediate run, so "still pending" means pending for good. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Settles `promise` into a value the test can inspect without awaiting it forever. */
function observe<T>(promise: Promise<T>): { readonly state: 'pending' | 'resolved' | 'rejected'; readonly value?: T; readonly error?: unknown } {
  const seen: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(seen, { state: 'resolved', value }),
    (error: unknown) => Object.assign(seen, { state: 'rejected', error }),
  );
  return seen;
}

function placerWith(fault: PlacerFault, operation: 'placeStop' | 'cancelStop' | 'findStop' = 'placeStop') {
  const venue = new PaperExchange();
  const placer = new FaultyPlacer(venue, [{ operation, call: 1, fault }]);
  return { venue, placer };
}

describe('FaultSchedule', () => {
  it('gives the n-th call of an operation its fault, counting each operation apart', () => {
    const schedule = new FaultSchedule<'a' | 'b', string>([
      { operation: 'a', call: 2, fault: 'second a' },
      { operation: 'b', call: 1, fault: 'first b' },
    ]);
    expect([schedule.next('a'), schedule.next('b'), schedule.next('a'), schedule.next('a')]).toEqual([
      { call: 1, fault: undefined },
      { call: 1, fault: 'first b' },
      { call: 2, fault: 'second a' },
      { call: 3, fault: undefined },
    ]);
  });

  it("counts every call for '*', and the first matching rule wins", () => {
    const schedule = new FaultSchedule<'a' | 'b', string>([
      { operation: '*', call: 2, fault: 'second call' },
      { operation: 'b', call: 1, fault: 'first b' },
    ]);
    expect(schedule.next('a').fault).toBeUndefined();
    expect(schedule.next('b').fault).toBe('second call');
    expect(schedule.next('b').fault).toBeUndefined();
  });

  it('refuses a rule whose call is not a positive integer, naming it', () => {
    expect(() => new FaultSchedule([{ operation: 'a', call: 0, fault: 'x' }])).toThrow(/rule 0 .* call >= 1, got `0`/);
    expect(() => new FaultSchedule([{ operation: 'a', call: 1, fault: 'x' }, { operation: 'a', call: 1.5, fault: 'x' }])).toThrow(RangeError);
  });
});

describe('FaultyPlacer', () => {
  it('forwards calls without a fault unchanged, and keeps optional methods optional', async () => {
    const venue = new PaperExchange({ amend: false });
    const placer = new FaultyPlacer(venue, []);
    const order = await placer.placeStop(request(), { signal: new AbortController().signal });
    expect(venue.liveOrders()).toEqual([order]);
    expect(placer.amendStop).toBeUndefined();
    expect(placer.findStop).toBeTypeOf('function');
    expect(new FaultyPlacer(new PaperExchange({ amend: true }), []).amendStop).toBeTypeOf('function');
    expect(placer.capabilities).toBe(venue.capabilities);
    expect(placer.injected).toEqual([]);
  });

  it.each([
    [{ kind: 'reject' }, 'ERR_EXCHANGE_REJECTED'],
    [{ kind: 'would-trigger' }, 'ERR_WOULD_TRIGGER'],
    [{ kind: 'timeout', executed: false }, 'ERR_TIMEOUT'],
    [{ kind: 'unavailable', executed: false }, 'ERR_EXCHANGE_UNAVAILABLE'],
  ] as const)('%o throws %s and places nothing', async (fault, code) => {
    const { venue, placer } = placerWith(fault);
    const error = await placer.placeStop(request(), { signal: new AbortController().signal }).catch((caught: unknown) => caught);
    expect(hasErrorCode(error, code), String(error)).toBe(true);
    expect(venue.allOrders()).toEqual([]);
  });

  it.each([{ kind: 'timeout', executed: true }, { kind: 'unavailable', executed: true }] as const)(
    '%o throws an unknown-outcome error after the order reached the venue',
    async (fault) => {
      const { venue, placer } = placerWith(fault);
      const error = await placer.placeStop(request(), { signal: new AbortController().signal }).catch((caught: unknown) => caught);
      expect(hasErrorCode(error, 'ERR_TIMEOUT') || (error instanceof ExchangeUnavailableError && error.unknownOutcome)).toBe(true);
      await flush();
      expect(venue.liveOrders().map((order) => order.clientOrderId)).toEqual(['tsr-test-1']);
    },
  );

  it('rate-limit: a retryable refusal with the venue\'s retry-after hint; nothing placed', async () => {
    const { venue, placer } = placerWith({ kind: 'rate-limit', retryAfterMs: 1_500 });
    const error = await placer.placeStop(request(), { signal: new AbortController().signal }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    expect(error).toMatchObject({ unknownOutcome: false, retryAfterMs: 1_500 });
    expect(venue.allOrders()).toEqual([]);
  });

  it('late: the order exists at once; the answer comes only after the caller aborted', async () => {
    const { venue, placer } = placerWith({ kind: 'late' });
    const controller = new AbortController();
    const answer = observe(placer.placeStop(request(), { signal: controller.signal }));
    await flush();
    expect(venue.liveOrders()).toHaveLength(1);
    expect(answer.state).toBe('pending');
    controller.abort();
    await flush();
    expect(answer).toMatchObject({ state: 'resolved', value: { clientOrderId: 'tsr-test-1' } });
  });

  it("hang with release 'abort': rejects with ERR_ABORTED once aborted; executed decides whether the order exists", async () => {
    for (const executed of [false, true]) {
      const { venue, placer } = placerWith({ kind: 'hang', executed, release: 'abort' });
      const controller = new AbortController();
      const answer = observe(placer.placeStop(request(), { signal: controller.signal }));
      await flush();
      expect(answer.state).toBe('pending');
      controller.abort();
      await flush();
      expect(answer.state).toBe('rejected');
      expect(hasErrorCode(answer.error, 'ERR_ABORTED')).toBe(true);
      expect(venue.liveOrders()).toHaveLength(executed ? 1 : 0);
    }
  });

  it("hang with release 'never': stays pending after the abort, like a placer that ignores its signal", async () => {
    const { placer } = placerWith({ kind: 'hang', executed: true, release: 'never' });
    const controller = new AbortController();
    const answer = observe(placer.placeStop(request(), { signal: controller.signal }));
    controller.abort();
    await flush();
    expect(answer.state).toBe('pending');
  });

  it('lose-order: answers the order, which the venue has already cancelled as if by hand', async () => {
    const { venue, placer } = placerWith({ kind: 'lose-order' });
    const order = await placer.placeStop(request(), { signal: new AbortController().signal });
    expect(order.clientOrderId).toBe('tsr-test-1');
    expect(venue.liveOrders()).toEqual([]);
    expect(venue.allOrders().map((placed) => placed.status)).toEqual(['cancelled']);
  });

  it('lose-order on a lookup cancels the order found; on a call that answers no order it changes nothing', async () => {
    const venue = new PaperExchange();
    const placer = new FaultyPlacer(venue, [
      { operation: 'findStop', call: 1, fault: { kind: 'lose-order' } },
      { operation: 'cancelStop', call: 1, fault: { kind: 'lose-order' } },
    ]);
    const signal = new AbortController().signal;
    const order = await placer.placeStop(request(), { signal });
    const found = await placer.findStop!({ symbol: 'BTCUSDT', clientOrderId: order.clientOrderId }, { signal });
    expect(found?.id).toBe(order.id);
    expect(venue.liveOrders()).toEqual([]);
    await expect(placer.cancelStop(order, { signal })).resolves.toBeUndefined();
  });

  it("passes the members it does not schedule through: the venue's order stream reaches the listener", async () => {
    const venue = new PaperExchange();
    const placer = new FaultyPlacer(venue, [{ operation: 'placeStop', call: 1, fault: { kind: 'lose-order' } }]);
    expect(placer.watchOrders).toBeTypeOf('function');
    const updates: string[] = [];
    const controller = new AbortController();
    void placer.watchOrders!((update) => updates.push(`${update.clientOrderId} ${update.status}`), { signal: controller.signal });
    await placer.placeStop(request(), { signal: new AbortController().signal });
    await flush();
    controller.abort();
    expect(updates).toEqual(['tsr-test-1 open', 'tsr-test-1 cancelled']);
  });

  it('records each injected fault and reports it as it happens', async () => {
    const seen: unknown[] = [];
    const venue = new PaperExchange();
    const placer = new FaultyPlacer(venue, [{ operation: 'cancelStop', call: 2, fault: { kind: 'reject' } }], {
      onInject: (fault) => seen.push(fault),
    });
    const signal = new AbortController().signal;
    const first = await placer.placeStop(request('tsr-a-1'), { signal });
    const second = await placer.placeStop(request('tsr-b-1'), { signal });
    await placer.cancelStop(first, { signal });
    await expect(placer.cancelStop(second, { signal })).rejects.toThrow(/refused cancelStop/);
    expect(placer.injected).toEqual([{ operation: 'cancelStop', call: 2, fault: { kind: 'reject' } }]);
    expect(seen).toEqual(placer.injected);
    expect(venue.liveOrders().map((order) => order.id)).toEqual([second.id]);
  });

  it('drives the registry through an unknown outcome: a timed-out placement is found by client order id, not placed twice (I7)', async () => {
    const venue = new PaperExchange();
    const placer = new FaultyPlacer(venue, [{ operation: 'placeStop', call: 1, fault: { kind: 'timeout', executed: true } }]);
    const registry = new TrailingStopRegistry({ placer, retry: { attempts: 3, baseDelayMs: 0, maxDelayMs: 0 } });
    const stop = await registry.create({ symbol: 'BTCUSDT', side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2 });
    expect(venue.allOrders()).toHaveLength(1);
    expect(stop.order?.id).toBe(venue.liveOrders()[0]!.id);
    await registry.close();
  });
});

describe('FaultyStore', () => {
  const record = makeStopRecord({ key: 'BTC' });

  it('forwards calls without a fault, and never faults close()', async () => {
    const inner = new MemoryStateStore();
    await inner.insert(record);
    const store = new FaultyStore(inner, [{ operation: '*', call: 2, fault: { kind: 'reject', executed: false } }]);
    expect(await store.load('BTC')).toEqual(record);
    await store.close();
    await expect(inner.load('BTC')).rejects.toThrow(/closed/);
    expect(store.capabilities).toBe(inner.capabilities);
  });

  it('reject without effect: StoreError naming the key, nothing written', async () => {
    const inner = new MemoryStateStore();
    const store = new FaultyStore(inner, [{ operation: 'insert', call: 1, fault: { kind: 'reject', executed: false } }]);
    const error = await store.insert(record).catch((caught: unknown) => caught);
    expect(hasErrorCode(error, 'ERR_STORE_FAILED')).toBe(true);
    expect(error).toMatchObject({ key: 'BTC' });
    expect(await inner.load('BTC')).toBeUndefined();
  });

  it('reject after the effect: the write committed, the answer is a StoreError', async () => {
    const inner = new MemoryStateStore();
    await inner.insert(record);
    const store = new FaultyStore(inner, [{ operation: 'compareAndSet', call: 1, fault: { kind: 'reject', executed: true } }]);
    await expect(store.compareAndSet({ ...record, version: 2, state: 'failed' }, 1)).rejects.toThrow(/took effect/);
    expect(await inner.load('BTC')).toMatchObject({ version: 2, state: 'failed' });
  });

  it.each([
    ['request', undefined],
    ['answer', 1],
  ] as const)("delay of the %s: during the delay the store holds %s", async (phase, versionDuringDelay) => {
    vi.useFakeTimers();
    const inner = new MemoryStateStore();
    const rules: StoreFaultRule[] = [{ operation: 'insert', call: 1, fault: { kind: 'delay', ms: 500, phase } }];
    const store = new FaultyStore(inner, rules);
    const answer = observe(store.insert(record));
    await vi.advanceTimersByTimeAsync(499);
    expect(answer.state).toBe('pending');
    expect((await inner.load('BTC'))?.version).toBe(versionDuringDelay);
    await vi.advanceTimersByTimeAsync(1);
    expect(answer).toMatchObject({ state: 'resolved', value: { inserted: true } });
  });

  it('passes the wrapped store\'s extra members through (a change feed added to the port later)', async () => {
    const inner = new MemoryStateStore();
    const feed = { watch: vi.fn(() => 'subscribed') };
    Object.assign(inner, feed);
    const store = new FaultyStore(inner, []) as unknown as typeof feed;
    expect(store.watch()).toBe('subscribed');
    expect(feed.watch).toHaveBeenCalledOnce();
  });
});
