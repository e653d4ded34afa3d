/**
 * The account-wide order budget on its own, on fake time: the sliding window, the priority rule
 * under a starved budget (protect > cancel > move by lag > lookup), arrival order, the global pause
 * on a rate-limit answer, withdrawal, weights, stats, and the option's validation.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  OrderBudget,
  WithdrawnError,
  resolveRateLimit,
  stopLag,
  type RateLimit,
  type RequestPriority,
  type VenueOperation,
} from '../../src/exchange/order-budget.js';
import { ExchangeRejectedError, ExchangeUnavailableError, PaperExchange, TrailingStopRegistry, systemClock } from '../../src/index.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

function budgetOf(limit: RateLimit): OrderBudget {
  return new OrderBudget({ rateLimit: resolveRateLimit(limit), clock: systemClock });
}

/** Acquires and, once admitted, sends at once (spend); records the admission order by name. */
function sender(budget: OrderBudget, admitted: string[]) {
  return (name: string, priority: RequestPriority, options: { operation?: VenueOperation; lag?: () => number; withdrawable?: boolean; key?: string } = {}) => {
    const operation = options.operation ?? operationOf(priority);
    const go = () => {
      budget.spend(operation);
      admitted.push(name);
    };
    const waiting = budget.acquire(operation, priority, options.key ?? name, options.lag, options.withdrawable ?? false);
    if (waiting === undefined) {
      go();
      return Promise.resolve();
    }
    return waiting.then(go);
  };
}

function operationOf(priority: RequestPriority): VenueOperation {
  return priority === 'protect' ? 'placeStop' : priority === 'cancel' ? 'cancelStop' : priority === 'move' ? 'amendStop' : 'findStop';
}

/** Fills the window with `count` sends at the current time. */
function fill(budget: OrderBudget, count: number): void {
  for (let index = 0; index < count; index++) {
    expect(budget.acquire('findStop', 'lookup', `fill-${index}`)).toBeUndefined();
    budget.spend('findStop');
  }
}

describe('the sliding window', () => {
  it('admits `requests` calls at once and the next one when the first leaves the window', async () => {
    const budget = budgetOf({ requests: 3, intervalMs: 1_000 });
    const admitted: string[] = [];
    const send = sender(budget, admitted);
    void send('a', 'move');
    vi.advanceTimersByTime(200);
    void send('b', 'move');
    void send('c', 'move');
    const fourth = send('d', 'move');
    await Promise.resolve();
    expect(admitted).toEqual(['a', 'b', 'c']);
    await vi.advanceTimersByTimeAsync(799);
    expect(admitted).toEqual(['a', 'b', 'c']);
    await vi.advanceTimersByTimeAsync(1);
    await fourth;
    // `a` (sent at 0) left the window at 1,000: `d` goes then, not earlier.
    expect(admitted).toEqual(['a', 'b', 'c', 'd']);
    expect(Date.now()).toBe(1_000);
  });

  it('counts an admitted call that is not sent yet, so a late send cannot overfill a window', async () => {
    const budget = budgetOf({ requests: 2, intervalMs: 1_000 });
    expect(budget.acquire('placeStop', 'protect', 'a')).toBeUndefined();
    expect(budget.acquire('placeStop', 'protect', 'b')).toBeUndefined();
    budget.spend('placeStop'); // a is sent at 0, b is still waiting for a concurrency slot
    let third = false;
    void budget.acquire('placeStop', 'protect', 'c')!.then(() => (third = true));
    await vi.advanceTimersByTimeAsync(500);
    budget.spend('placeStop'); // b is sent at 500
    await vi.advanceTimersByTimeAsync(499);
    expect(third).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(third).toBe(true); // a left the window at 1,000; b stays in it until 1,500
    expect(budget.stats.requestsInWindow).toBe(1);
  });

  it('gives back the place of an admitted call that is not sent after all', async () => {
    const budget = budgetOf({ requests: 1, intervalMs: 1_000 });
    expect(budget.acquire('placeStop', 'protect', 'a')).toBeUndefined();
    let second = false;
    void budget.acquire('placeStop', 'protect', 'b')!.then(() => (second = true));
    budget.release('placeStop');
    await Promise.resolve();
    expect(second).toBe(true);
  });

  it('weighs each operation: a weight of 2 counts twice, a weight of 0 never waits for the window', async () => {
    const budget = budgetOf({ requests: 3, intervalMs: 1_000, weights: { openStops: 2, findStop: 0 } });
    const admitted: string[] = [];
    const send = sender(budget, admitted);
    void send('list-1', 'lookup', { operation: 'openStops' });
    void send('list-2', 'lookup', { operation: 'openStops' });
    void send('find', 'lookup', { operation: 'findStop' });
    await Promise.resolve();
    expect(admitted).toEqual(['list-1', 'find']);
    expect(budget.stats.requestsInWindow).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(admitted).toEqual(['list-1', 'find', 'list-2']);
  });

  it('without a rate limit admits everything at once', () => {
    const budget = new OrderBudget({ clock: systemClock });
    for (let index = 0; index < 1_000; index++) expect(budget.acquire('placeStop', 'move', `k${index}`)).toBeUndefined();
    expect(budget.stats).toMatchObject({ requestsInWindow: 0, deferred: 0, queued: 0 });
  });
});

describe('spending a starved budget by risk', () => {
  it('admits protect, then cancels, then moves by lag (largest first), then lookups, whatever the arrival order', async () => {
    const budget = budgetOf({ requests: 2, intervalMs: 1_000 });
    const admitted: string[] = [];
    const send = sender(budget, admitted);
    fill(budget, 2);
    const all = [
      send('lookup', 'lookup'),
      send('move-small', 'move', { lag: () => 0.001 }),
      send('move-large', 'move', { lag: () => 0.02 }),
      send('cancel', 'cancel'),
      send('move-medium', 'move', { lag: () => 0.01 }),
      send('protect', 'protect'),
      send('cancel-2', 'cancel'),
    ];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(admitted).toEqual(['protect', 'cancel']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(admitted).toEqual(['protect', 'cancel', 'cancel-2', 'move-large']);
    await vi.advanceTimersByTimeAsync(2_000);
    await Promise.all(all);
    expect(admitted).toEqual(['protect', 'cancel', 'cancel-2', 'move-large', 'move-medium', 'move-small', 'lookup']);
  });

  it('reads a waiting move\'s lag when it chooses: a stop whose target ran away overtakes', async () => {
    const budget = budgetOf({ requests: 1, intervalMs: 1_000 });
    const admitted: string[] = [];
    const send = sender(budget, admitted);
    fill(budget, 1);
    let runaway = 0.001;
    void send('steady', 'move', { lag: () => 0.005 });
    void send('runaway', 'move', { lag: () => runaway });
    runaway = 0.03;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(admitted).toEqual(['runaway']);
    expect(budget.stats.largestQueuedLag).toBe(0.005);
  });

  it('keeps arrival order within a class, and among moves of equal lag', async () => {
    const budget = budgetOf({ requests: 1, intervalMs: 100 });
    const admitted: string[] = [];
    const send = sender(budget, admitted);
    fill(budget, 1);
    for (const name of ['m1', 'm2', 'm3']) void send(name, 'move', { lag: () => 0.01 });
    for (const name of ['c1', 'c2']) void send(name, 'cancel');
    await vi.advanceTimersByTimeAsync(500);
    expect(admitted).toEqual(['c1', 'c2', 'm1', 'm2', 'm3']);
  });

  it('never starves a stop for an unprotected position behind a stream of moves', async () => {
    const budget = budgetOf({ requests: 5, intervalMs: 1_000 });
    const admitted: string[] = [];
    const send = sender(budget, admitted);
    fill(budget, 5);
    // Every 50 ms ten more moves arrive, far more than the budget: moves alone would never drain.
    let wave = 0;
    const arrivals = setInterval(() => {
      wave++;
      for (let index = 0; index < 10; index++) void send(`move-${wave}-${index}`, 'move', { lag: () => 0.01 * wave });
    }, 50);
    await vi.advanceTimersByTimeAsync(2_025);
    const protect = send('protect', 'protect');
    const before = admitted.length;
    // The next place in the window goes to it.
    await vi.advanceTimersByTimeAsync(1_000);
    await protect;
    clearInterval(arrivals);
    expect(admitted[before]).toBe('protect');
    expect(budget.stats.queued).toBeGreaterThan(100);
  });

  it('in arrival order spends first come, first served', async () => {
    const budget = budgetOf({ requests: 1, intervalMs: 100, order: 'arrival' });
    const admitted: string[] = [];
    const send = sender(budget, admitted);
    fill(budget, 1);
    void send('lookup', 'lookup');
    void send('move', 'move', { lag: () => 0.5 });
    void send('protect', 'protect');
    await vi.advanceTimersByTimeAsync(300);
    expect(admitted).toEqual(['lookup', 'move', 'protect']);
    expect(budget.supersedes).toBe(false);
  });
});

describe('the global pause on a rate-limit answer', () => {
  it('holds every call but protect until retry-after, for every key, then spends by risk', async () => {
    const budget = budgetOf({ requests: 10, intervalMs: 1_000 });
    const admitted: string[] = [];
    const send = sender(budget, admitted);
    budget.observe(new ExchangeUnavailableError('418 banned until ...', { unknownOutcome: false, retryAfterMs: 5_000 }));
    expect(budget.stats).toMatchObject({ pausedUntil: 5_000, pauseRemainingMs: 5_000 });
    void send('lookup', 'lookup', { key: 'A' });
    void send('move', 'move', { key: 'B', lag: () => 0.01 });
    void send('cancel', 'cancel', { key: 'C' });
    void send('protect', 'protect', { key: 'D' });
    await Promise.resolve();
    expect(admitted).toEqual(['protect']);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(admitted).toEqual(['protect']);
    await vi.advanceTimersByTimeAsync(1);
    expect(admitted).toEqual(['protect', 'cancel', 'move', 'lookup']);
    expect(budget.stats).toMatchObject({ pausedUntil: null, pauses: 1, deferred: 3 });
  });

  it('extends a pause by a later retry-after, never shortens it', async () => {
    const budget = budgetOf({ requests: 10, intervalMs: 1_000 });
    budget.observe(new ExchangeUnavailableError('429', { unknownOutcome: false, retryAfterMs: 3_000 }));
    budget.observe(new ExchangeUnavailableError('429', { unknownOutcome: false, retryAfterMs: 1_000 }));
    expect(budget.stats.pausedUntil).toBe(3_000);
    vi.advanceTimersByTime(2_000);
    budget.observe(new ExchangeUnavailableError('418', { unknownOutcome: false, retryAfterMs: 4_000 }));
    expect(budget.stats).toMatchObject({ pausedUntil: 6_000, pauses: 1 });
  });

  it('pauses nothing for an answer without retry-after or another error', () => {
    const budget = budgetOf({ requests: 10, intervalMs: 1_000 });
    budget.observe(new ExchangeUnavailableError('network down'));
    budget.observe(new ExchangeRejectedError('insufficient margin'));
    budget.observe(new Error('boom'));
    expect(budget.stats.pausedUntil).toBeNull();
    expect(budget.acquire('cancelStop', 'cancel', 'A')).toBeUndefined();
  });

  it('pauses a registry without a rate limit too', async () => {
    const budget = new OrderBudget({ clock: systemClock });
    budget.observe(new ExchangeUnavailableError('429', { unknownOutcome: false, retryAfterMs: 1_000 }));
    expect(budget.acquire('placeStop', 'protect', 'A')).toBeUndefined();
    let moved = false;
    void budget.acquire('amendStop', 'move', 'B')!.then(() => (moved = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(moved).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(moved).toBe(true);
  });
});

describe('withdrawing a waiting move', () => {
  it('rejects the withdrawable moves of the key with WithdrawnError and frees their turn', async () => {
    const budget = budgetOf({ requests: 1, intervalMs: 1_000 });
    const admitted: string[] = [];
    const send = sender(budget, admitted);
    fill(budget, 1);
    const withdrawn = send('A-move', 'move', { key: 'A', lag: () => 0.5, withdrawable: true });
    const retry = send('A-retry', 'move', { key: 'A', lag: () => 0.4 });
    void send('B-move', 'move', { key: 'B', lag: () => 0.1, withdrawable: true });
    expect(budget.withdraw('A')).toBe(1);
    await expect(withdrawn).rejects.toBeInstanceOf(WithdrawnError);
    await vi.advanceTimersByTimeAsync(2_000);
    // The non-withdrawable one (a retry after an attempt that may have reached the venue) stays.
    expect(admitted).toEqual(['A-retry', 'B-move']);
    expect(budget.withdraw('B')).toBe(0);
  });
});

describe('stats', () => {
  it('reports requests in the window, deferred and queued calls, and the largest waiting lag', async () => {
    const budget = budgetOf({ requests: 2, intervalMs: 1_000 });
    const send = sender(budget, []);
    fill(budget, 2);
    void send('m1', 'move', { lag: () => 0.004 });
    void send('m2', 'move', { lag: () => 0.012 });
    expect(budget.stats).toEqual({ requestsInWindow: 2, deferred: 2, queued: 2, largestQueuedLag: 0.012, pausedUntil: null, pauseRemainingMs: 0, pauses: 0 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(budget.stats).toEqual({ requestsInWindow: 2, deferred: 2, queued: 0, largestQueuedLag: 0, pausedUntil: null, pauseRemainingMs: 0, pauses: 0 });
  });
});

describe('stopLag', () => {
  it('is the tightening still owed, as a fraction of the venue price, for longs and shorts', () => {
    expect(stopLag({ direction: 1, stopPrice: 101, syncedStopPrice: 100 })).toBeCloseTo(0.01);
    expect(stopLag({ direction: -1, stopPrice: 99, syncedStopPrice: 100 })).toBeCloseTo(0.01);
    expect(stopLag({ direction: 1, stopPrice: 99, syncedStopPrice: 100 })).toBe(0);
    expect(stopLag({ direction: 1, stopPrice: 99, syncedStopPrice: Number.NaN })).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('validation', () => {
  it('refuses a wrong type with a TypeError and a value out of range with a RangeError, naming the field', () => {
    expect(() => resolveRateLimit(50)).toThrow(TypeError);
    expect(() => resolveRateLimit({ requests: '50', intervalMs: 1_000 })).toThrow(/`rateLimit.requests` to be a number/);
    expect(() => resolveRateLimit({ requests: 0, intervalMs: 1_000 })).toThrow(RangeError);
    expect(() => resolveRateLimit({ requests: 1.5, intervalMs: 1_000 })).toThrow(/`rateLimit.requests` to be an integer >= 1/);
    expect(() => resolveRateLimit({ requests: 5 })).toThrow(/`rateLimit.intervalMs` to be a number, got `undefined`/);
    expect(() => resolveRateLimit({ requests: 5, intervalMs: -1 })).toThrow(RangeError);
    expect(() => resolveRateLimit({ requests: 5, intervalMs: 1_000, window: 3 })).toThrow(/Unknown field `rateLimit.window`/);
    expect(() => resolveRateLimit({ requests: 5, intervalMs: 1_000, weights: { placeOrder: 1 } })).toThrow(/`rateLimit.weights.placeOrder`/);
    expect(() => resolveRateLimit({ requests: 5, intervalMs: 1_000, weights: { openStops: 6 } })).toThrow(RangeError);
    expect(() => resolveRateLimit({ requests: 5, intervalMs: 1_000, order: 'fifo' })).toThrow(/`rateLimit.order` to be 'risk' or 'arrival'/);
  });

  it('fills in the defaults: every operation weighs 1, order risk', () => {
    expect(resolveRateLimit({ requests: 5, intervalMs: 1_000, weights: { openStops: 3 } })).toEqual({
      requests: 5,
      intervalMs: 1_000,
      order: 'risk',
      weights: { placeStop: 1, cancelStop: 1, amendStop: 1, findStop: 1, openStops: 3, placeTrailingStop: 1, closePosition: 1 },
    });
  });

  it('checks the registry option and a placer-declared default at construction, naming them', () => {
    const placer = new PaperExchange();
    expect(() => new TrailingStopRegistry({ placer, rateLimit: { requests: 0, intervalMs: 1_000 } })).toThrow(RangeError);
    expect(() => new TrailingStopRegistry({ placer, rateLimit: { requests: 10 } as never })).toThrow(/`rateLimit.intervalMs`/);
    expect(() => new TrailingStopRegistry({ placer, rateLimit: { requests: 10, intervalMs: 1_000 } })).not.toThrow();
    const declaring = Object.assign(Object.create(placer) as PaperExchange, {
      capabilities: { ...placer.capabilities, rateLimit: { requests: -3, intervalMs: 1_000 } },
    });
    expect(() => new TrailingStopRegistry({ placer: declaring })).toThrow(/`placer.capabilities.rateLimit.requests`/);
    // The user's own limit wins over the placer's; the declared one is then not even read.
    expect(() => new TrailingStopRegistry({ placer: declaring, rateLimit: { requests: 10, intervalMs: 1_000 } })).not.toThrow();
  });
});
