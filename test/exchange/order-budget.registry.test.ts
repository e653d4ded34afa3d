/**
 * The order budget through the registry (`rateLimit` option), on fake time and a PaperExchange
 * that enforces the same limit: a random storm of creates, moves and removes never puts more than
 * `requests` in a window (and never meets a 429); a new position's stop is never starved by moves;
 * a removal does not wait behind a starved move; a venue's rate-limit answer pauses every key's
 * moves; stats show it working; a placer's declared limit is the default.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ExchangeUnavailableError,
  MemoryStateStore,
  PaperExchange,
  TrailingStopRegistry,
  type CreateStopSpec,
  type OrderPlacer,
  type PaperCall,
  type PaperExchangeOptions,
  type TrailingStopRegistryOptions,
} from '../../src/index.js';

// Deterministic in CI; `FC_SEED=<n>` explores another part of the input space.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_261_202) });

afterEach(() => {
  vi.useRealTimers();
});

/** Trails 1 % from entry at once, so every rising tick wants a move (the default throttle applies). */
function trailingSpec(symbol: string, entryPrice = 100, overrides: Partial<CreateStopSpec> = {}): CreateStopSpec {
  return { symbol, side: 'long', entryPrice, quantity: 1, activationPercent: 0, callbackPercent: 1, ...overrides };
}

/** A registry on a limited paper venue; `arrivals` records when every call reached the venue. */
function setup(options: Partial<TrailingStopRegistryOptions>, paper: PaperExchangeOptions = {}) {
  const arrivals: { operation: string; at: number; symbol?: string }[] = [];
  const fault = paper.fault;
  const exchange = new PaperExchange({
    ...paper,
    fault: (call: PaperCall) => {
      arrivals.push({ operation: call.operation, at: Date.now(), symbol: call.symbol });
      return fault?.(call);
    },
  });
  const registry = new TrailingStopRegistry({ placer: exchange, store: new MemoryStateStore(), ...options });
  return { registry, exchange, arrivals };
}

/** Closes on fake time: the work still in flight needs the clock to move. */
async function closed(registry: TrailingStopRegistry): Promise<void> {
  const closing = registry.close();
  await vi.advanceTimersByTimeAsync(60_000);
  await closing;
}

function busiestWindow(times: readonly number[], intervalMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let busiest = 0;
  for (let start = 0, end = 0; start < sorted.length; start++) {
    while (end < sorted.length && sorted[end]! < sorted[start]! + intervalMs) end++;
    busiest = Math.max(busiest, end - start);
  }
  return busiest;
}

/** Raises every symbol's price by `percent` on the venue and in the registry. */
function rise(registry: TrailingStopRegistry, exchange: PaperExchange, prices: Map<string, number>, percent: number): void {
  for (const [symbol, price] of prices) {
    const next = price * (1 + percent / 100);
    prices.set(symbol, next);
    exchange.setPrice(symbol, next);
    registry.updatePrice(symbol, next);
  }
}

describe('the registry within its rate limit', () => {
  it('never sends more than `requests` in any window under a random storm of creates, moves and removes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 8 }),
        fc.constantFrom(200, 500, 1_000),
        fc.boolean(),
        fc.array(
          fc.record({
            wait: fc.integer({ min: 0, max: 120 }),
            kind: fc.constantFrom('create', 'rise', 'rise', 'remove'),
            symbol: fc.constantFrom('A', 'B', 'C', 'D', 'E'),
            percent: fc.double({ min: 0.01, max: 3, noNaN: true }),
          }),
          { maxLength: 60 },
        ),
        async (requests, intervalMs, amend, storm) => {
          vi.useFakeTimers({ now: 1_000_000 });
          const { registry, exchange, arrivals } = setup(
            // No per-key throttle: every rise wants a move, so the account-wide limit is what holds.
            { rateLimit: { requests, intervalMs }, retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 }, minUpdateIntervalMs: 0, minImprovementPercent: 0 },
            { latencyMs: 5, amend, rateLimit: { requests, intervalMs } },
          );
          const prices = new Map<string, number>();
          const pending: Promise<unknown>[] = [];
          for (const step of storm) {
            await vi.advanceTimersByTimeAsync(step.wait);
            if (step.kind === 'create') {
              const price = prices.get(step.symbol) ?? 100;
              prices.set(step.symbol, price);
              exchange.setPrice(step.symbol, price);
              pending.push(registry.create(trailingSpec(step.symbol, price)).catch(() => {}));
            } else if (step.kind === 'rise') {
              const price = prices.get(step.symbol);
              if (price === undefined) continue;
              const next = price * (1 + step.percent / 100);
              prices.set(step.symbol, next);
              exchange.setPrice(step.symbol, next);
              registry.updatePrice(step.symbol, next);
            } else {
              pending.push(registry.remove(step.symbol).catch(() => {}));
              prices.delete(step.symbol);
            }
          }
          await vi.advanceTimersByTimeAsync(60_000);
          await Promise.all(pending);
          await closed(registry);
          vi.useRealTimers();
          expect(exchange.rateLimited).toBe(0);
          expect(busiestWindow(arrivals.map((arrival) => arrival.at), intervalMs)).toBeLessThanOrEqual(requests);
          // At quiescence: one live order per live stop, none for removed ones (I2).
          for (const symbol of ['A', 'B', 'C', 'D', 'E']) {
            const stop = registry.get(symbol);
            const expected = stop !== undefined && (stop.state === 'active' || stop.state === 'waiting') && stop.order !== null ? 1 : 0;
            expect(exchange.liveOrders(symbol).length, symbol).toBe(expected);
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});

describe('spending a starved budget by risk', () => {
  it('never starves the stop of a new position behind moves: it reaches the venue within one interval', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const intervalMs = 1_000;
    const { registry, exchange, arrivals } = setup(
      { rateLimit: { requests: 5, intervalMs } },
      { latencyMs: 20, rateLimit: { requests: 5, intervalMs } },
    );
    const prices = new Map<string, number>();
    const symbols = Array.from({ length: 30 }, (_, index) => `S${index}`);
    for (const symbol of symbols) {
      prices.set(symbol, 100);
      exchange.setPrice(symbol, 100);
    }
    const created = registry.createMany(symbols.map((symbol) => trailingSpec(symbol)));
    await vi.advanceTimersByTimeAsync(10_000);
    await created;
    // A fast trend: every stop wants to move, far more than 5 requests a second.
    const trend = setInterval(() => rise(registry, exchange, prices, 0.2), 100);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(registry.stats.deferred).toBeGreaterThan(0);
    exchange.setPrice('NEW', 100);
    const openedAt = Date.now();
    const creation = registry.create(trailingSpec('NEW'));
    await vi.advanceTimersByTimeAsync(intervalMs);
    const stop = await creation;
    const placedAt = arrivals.find((arrival) => arrival.symbol === 'NEW' && arrival.operation === 'placeStop')!.at;
    clearInterval(trend);
    expect(placedAt - openedAt).toBeLessThanOrEqual(intervalMs);
    expect(stop.order).not.toBeNull();
    expect(exchange.rateLimited).toBe(0);
    const stats = registry.stats;
    expect(stats.requestsInWindow).toBeGreaterThan(0);
    expect(stats.requestsInWindow).toBeLessThanOrEqual(5);
    expect(stats.largestLagPercent).toBeGreaterThan(0.5);
    await closed(registry);
  });

  it('removes a stop without waiting behind its starved move (the waiting move is withdrawn)', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const intervalMs = 1_000;
    const { registry, exchange, arrivals } = setup({ rateLimit: { requests: 2, intervalMs } }, { rateLimit: { requests: 2, intervalMs } });
    for (const symbol of ['A', 'B', 'C', 'D']) exchange.setPrice(symbol, 100);
    const created = registry.createMany(['A', 'B', 'C', 'D'].map((symbol) => trailingSpec(symbol)));
    await vi.advanceTimersByTimeAsync(5_000);
    await created;
    const before = arrivals.length;
    const deferredBefore = registry.stats.deferred;
    // B, C and D lag a lot (B and C take the window, D waits); then A's move, which barely lags, waits behind D.
    rise(registry, exchange, new Map([['B', 100], ['C', 100], ['D', 100]]), 3);
    rise(registry, exchange, new Map([['A', 100]]), 0.1);
    await vi.advanceTimersByTimeAsync(1);
    // Waiting: the old halves of B's and C's moves (cancels), D's move and A's move.
    expect(registry.stats.deferred - deferredBefore).toBe(4);
    const removal = registry.remove('A');
    await vi.advanceTimersByTimeAsync(3 * intervalMs);
    expect(await removal).toBe(true);
    const sent = arrivals.slice(before).map((arrival) => `${arrival.operation}:${arrival.symbol}`);
    // A's move was never sent; its removal's cancel (a correctness cancel) went before D's move.
    expect(sent.filter((call) => call.endsWith(':A'))).toEqual(['cancelStop:A']);
    expect(sent.indexOf('cancelStop:A')).toBeLessThan(sent.indexOf('placeStop:D'));
    expect(exchange.liveOrders('A')).toHaveLength(0);
    await closed(registry);
  });

  it('a venue\'s rate-limit answer pauses every key\'s moves until retry-after; a new position is still protected', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    let banned = false;
    const { registry, exchange, arrivals } = setup(
      { rateLimit: { requests: 50, intervalMs: 1_000 }, minUpdateIntervalMs: 0 },
      {
        fault: (call) => {
          if (!banned || call.operation !== 'placeStop' || call.symbol !== 'A') return undefined;
          banned = false;
          return new ExchangeUnavailableError('418 banned until later', { unknownOutcome: false, retryAfterMs: 3_000 });
        },
      },
    );
    const prices = new Map([['A', 100], ['B', 100], ['C', 100]]);
    for (const [symbol, price] of prices) exchange.setPrice(symbol, price);
    await registry.createMany([...prices.keys()].map((symbol) => trailingSpec(symbol)));
    await registry.onIdle();
    banned = true;
    rise(registry, exchange, new Map([['A', 100]]), 1);
    await vi.advanceTimersByTimeAsync(10);
    expect(registry.stats.pauseRemainingMs).toBeGreaterThan(2_900);
    const before = arrivals.length;
    prices.delete('A');
    rise(registry, exchange, prices, 1);
    exchange.setPrice('NEW', 100);
    const creation = registry.create(trailingSpec('NEW'));
    await vi.advanceTimersByTimeAsync(100);
    await creation;
    expect(arrivals.slice(before).map((arrival) => `${arrival.operation}:${arrival.symbol}`)).toEqual(['placeStop:NEW']);
    await vi.advanceTimersByTimeAsync(2_900);
    await registry.onIdle();
    const after = arrivals.slice(before + 1).map((arrival) => `${arrival.operation}:${arrival.symbol}`);
    expect(after).toEqual(expect.arrayContaining(['placeStop:A', 'placeStop:B', 'placeStop:C']));
    for (const symbol of ['A', 'B', 'C']) expect(registry.get(symbol)!.order!.stopPrice).toBe(registry.get(symbol)!.stopPrice);
    await closed(registry);
  });

  it('takes the placer\'s declared limit when the user sets none', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const inner = new PaperExchange({ rateLimit: { requests: 3, intervalMs: 1_000 } });
    const placer: OrderPlacer = {
      capabilities: { ...inner.capabilities, rateLimit: { requests: 3, intervalMs: 1_000 } },
      placeStop: (request, options) => inner.placeStop(request, options),
      cancelStop: (order, options) => inner.cancelStop(order, options),
    };
    const registry = new TrailingStopRegistry({ placer });
    const created = registry.createMany(['A', 'B', 'C', 'D', 'E'].map((symbol) => trailingSpec(symbol)));
    await vi.advanceTimersByTimeAsync(5);
    expect(registry.stats).toMatchObject({ requestsInWindow: 3, deferred: 2 });
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await created).every((result) => result.status === 'fulfilled')).toBe(true);
    expect(inner.rateLimited).toBe(0);
    await closed(registry);
  });
});
