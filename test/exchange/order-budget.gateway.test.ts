/**
 * The order budget inside the exchange gateway, on fake time and a real PaperExchange: every call
 * passes it with its priority (defaults by operation), a venue's rate-limit answer pauses every
 * key's non-critical calls, a waiting move sends its stop's latest target, a withdrawn move sends
 * nothing, and the lookups that resolve a placement's unknown outcome keep its priority. Also the
 * venue side: the PaperExchange's `rateLimit` option, which answers 429 beyond its limit.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { testGateway } from '../support/gateway.js';
import { WithdrawnError, resolveRateLimit, type RateLimit } from '../../src/exchange/order-budget.js';
import {
  ExchangeUnavailableError,
  PaperExchange,
  type PaperCall,
  type PaperExchangeOptions,
  type StopOrder,
  type StopOrderRequest,
} from '../../src/index.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

/** A gateway on a paper venue; `arrivals` records every call the venue received, with its time. */
function setup(rateLimit: RateLimit | undefined, paper: PaperExchangeOptions = {}, timeoutMs = 10_000) {
  const arrivals: { operation: string; at: number; clientOrderId?: string }[] = [];
  const fault = paper.fault;
  const exchange = new PaperExchange({
    ...paper,
    fault: (call: PaperCall) => {
      arrivals.push({ operation: call.operation, at: Date.now(), clientOrderId: call.clientOrderId });
      return fault?.(call);
    },
  });
  const background: Promise<unknown>[] = [];
  const gateway = testGateway(exchange, {
    timeoutMs,
    track: (work) => background.push(work),
    ...(rateLimit === undefined ? {} : { rateLimit: resolveRateLimit(rateLimit) }),
  });
  return { gateway, exchange, arrivals };
}

function request(symbol: string, stopPrice: number, clientOrderId = `tsr-${symbol}-1`): StopOrderRequest {
  return { symbol, side: 'sell', quantity: 1, stopPrice, clientOrderId };
}

/** Places a stop for `symbol` on the venue directly (setup, outside any budget). */
async function existing(exchange: PaperExchange, symbol: string, stopPrice = 90): Promise<StopOrder> {
  return exchange.placeStop(request(symbol, stopPrice, `tsr-${symbol}-0`), { signal: new AbortController().signal });
}

describe('the gateway spends the budget by priority', () => {
  it('uses the defaults by operation: placements before cancels before amends before lookups', async () => {
    const { gateway, exchange, arrivals } = setup({ requests: 1, intervalMs: 1_000 }, { amend: true });
    const orders = await Promise.all(['A', 'B', 'C'].map((symbol) => existing(exchange, symbol)));
    arrivals.length = 0;
    void gateway.findStop('Z', 'tsr-Z-1', 'Z'); // takes the window's only place at once
    const calls = [
      gateway.findStop('A', 'tsr-A-0', 'A'),
      gateway.amendStop(orders[0]!, 91, 'A'),
      gateway.cancelStop(orders[1]!, 'B'),
      gateway.placeStop(request('D', 80), 'D'),
      gateway.amendStop(orders[2]!, 92, 'C', { lag: () => 0.05 }),
    ];
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all(calls);
    expect(arrivals.map((arrival) => `${arrival.operation}@${arrival.at}`)).toEqual([
      'findStop@0',
      'placeStop@1000',
      'cancelStop@2000',
      'amendStop@3000', // C, lag 5 %
      'amendStop@4000', // A, no lag given
      'findStop@5000',
    ]);
    expect(gateway.budget).toMatchObject({ deferred: 5, queued: 0, requestsInWindow: 1 });
  });

  it('a waiting move sends the latest target when it goes out; in arrival order the one it was queued with', async () => {
    for (const order of ['risk', 'arrival'] as const) {
      const { gateway, exchange } = setup({ requests: 1, intervalMs: 1_000, order });
      const old = await existing(exchange, 'A', 90);
      void gateway.findStop('Z', 'tsr-Z-1', 'Z');
      let target = 91;
      let sent = Number.NaN;
      const move = gateway.placeStop(request('A', target), 'A', {
        priority: 'move',
        lag: () => (target - 90) / 90,
        latest: () => (sent = target),
      });
      target = 93;
      await vi.advanceTimersByTimeAsync(1_000);
      const placed = await move;
      expect(placed.stopPrice, order).toBe(order === 'risk' ? 93 : 91);
      expect(sent, order).toBe(order === 'risk' ? 93 : Number.NaN);
      expect(exchange.liveOrders('A').map((o) => o.stopPrice).sort(), order).toEqual([old.stopPrice, placed.stopPrice].sort());
    }
  });

  it('withdraws a waiting move by key: it rejects with WithdrawnError and nothing reaches the venue', async () => {
    const { gateway, exchange, arrivals } = setup({ requests: 1, intervalMs: 1_000 }, { amend: true });
    const [old, other] = await Promise.all([existing(exchange, 'A'), existing(exchange, 'B')]);
    arrivals.length = 0;
    void gateway.findStop('Z', 'tsr-Z-1', 'Z');
    const amend = gateway.amendStop(old, 95, 'A', { lag: () => 0.05 });
    const placement = gateway.placeStop(request('A', 95, 'tsr-A-1'), 'A', { priority: 'move', lag: () => 0.05 });
    const otherKey = gateway.amendStop(other, 95, 'B', { lag: () => 0.01 });
    expect(gateway.withdraw('A')).toBe(2);
    await expect(amend).rejects.toBeInstanceOf(WithdrawnError);
    await expect(placement).rejects.toBeInstanceOf(WithdrawnError);
    await vi.advanceTimersByTimeAsync(3_000);
    await otherKey;
    // No retry, no lookup for the withdrawn calls: only B's amend went out.
    expect(arrivals.map((arrival) => arrival.operation)).toEqual(['findStop', 'amendStop']);
    expect(exchange.liveOrders('A')[0]!.stopPrice).toBe(90);
  });

  it('keeps a placement\'s priority for the lookup that resolves its unknown outcome', async () => {
    // The first placement's answer is lost: the gateway times out and looks the order up by client
    // order id. That lookup is part of protecting the position: it goes before the waiting moves.
    let armed = false;
    const { gateway, exchange, arrivals } = setup(
      { requests: 2, intervalMs: 1_000 },
      {
        amend: true,
        fault: (call) => {
          if (!armed || call.operation !== 'placeStop') return undefined;
          armed = false;
          return 'lose-answer';
        },
      },
      100,
    );
    const olds = await Promise.all(['B', 'C', 'D'].map((symbol) => existing(exchange, symbol)));
    arrivals.length = 0;
    armed = true;
    const protect = gateway.placeStop(request('A', 80), 'A');
    void gateway.findStop('Z', 'tsr-Z-1', 'Z');
    const moves = olds.map((old, index) => gateway.amendStop(old, 95, old.symbol, { lag: () => 0.01 * (index + 1) }));
    await vi.advanceTimersByTimeAsync(4_000);
    const placed = await protect;
    await Promise.all(moves);
    expect(placed.clientOrderId).toBe('tsr-A-1');
    expect(arrivals.map((arrival) => `${arrival.operation}@${arrival.at}`)).toEqual([
      'placeStop@0',
      'findStop@0',
      'findStop@1000', // the lookup for A's lost answer (timed out at 100), ahead of the three moves
      'amendStop@1000', // D (largest lag)
      'amendStop@2000',
      'amendStop@2000',
    ]);
    expect(exchange.liveOrders('A')).toHaveLength(1);
  });
});

describe('the global pause', () => {
  it('a rate-limit answer with retry-after holds every key\'s non-critical calls until then; protection goes on', async () => {
    let cancels = 0;
    const { gateway, exchange, arrivals } = setup(
      { requests: 100, intervalMs: 1_000 },
      {
        amend: true,
        fault: (call) =>
          call.operation === 'cancelStop' && ++cancels === 1
            ? new ExchangeUnavailableError('418 banned until 2000', { unknownOutcome: false, retryAfterMs: 2_000 })
            : undefined,
      },
    );
    const [a, b] = await Promise.all([existing(exchange, 'A'), existing(exchange, 'B')]);
    arrivals.length = 0;
    const cancel = gateway.cancelStop(a, 'A');
    await vi.advanceTimersByTimeAsync(10);
    expect(gateway.budget.pausedUntil).toBe(2_000);
    // Other keys: a move and a lookup wait; a placement for an unprotected position does not.
    const move = gateway.amendStop(b, 95, 'B', { lag: () => 0.05 });
    const lookup = gateway.findStop('B', b.clientOrderId, 'B');
    const protect = gateway.placeStop(request('C', 80), 'C');
    await vi.advanceTimersByTimeAsync(100);
    await protect;
    expect(arrivals.map((arrival) => arrival.operation)).toEqual(['cancelStop', 'placeStop']);
    await vi.advanceTimersByTimeAsync(1_889);
    expect(arrivals).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all([cancel, move, lookup]);
    expect(arrivals.map((arrival) => `${arrival.operation}@${arrival.at}`)).toEqual([
      'cancelStop@0',
      'placeStop@10',
      'cancelStop@2000',
      'amendStop@2000',
      'findStop@2000',
    ]);
    expect(gateway.budget).toMatchObject({ pausedUntil: null, pauses: 1 });
  });

  it('pauses a gateway without a rate limit too', async () => {
    let first = true;
    const { gateway, exchange, arrivals } = setup(undefined, {
      amend: true,
      fault: (call) => {
        if (call.operation !== 'findStop' || !first) return undefined;
        first = false;
        return new ExchangeUnavailableError('429', { unknownOutcome: false, retryAfterMs: 500 });
      },
    });
    const b = await existing(exchange, 'B');
    arrivals.length = 0;
    await expect(gateway.findStop('A', 'tsr-A-0', 'A')).rejects.toBeInstanceOf(ExchangeUnavailableError);
    const move = gateway.amendStop(b, 95, 'B');
    await vi.advanceTimersByTimeAsync(499);
    expect(arrivals.map((arrival) => arrival.operation)).toEqual(['findStop']);
    await vi.advanceTimersByTimeAsync(1);
    await move;
    expect(arrivals.map((arrival) => `${arrival.operation}@${arrival.at}`)).toEqual(['findStop@0', 'amendStop@500']);
  });
});

describe('the window around the concurrency bound', () => {
  it('counts a request when it is sent, and a call waiting for a concurrency slot keeps its place', async () => {
    const { gateway, exchange, arrivals } = setup({ requests: 3, intervalMs: 1_000 }, { latencyMs: 400 });
    void exchange;
    const placements = Array.from({ length: 9 }, (_, index) => gateway.placeStop(request(`S${index}`, 80), `S${index}`));
    await vi.advanceTimersByTimeAsync(4_000);
    await Promise.all(placements);
    const times = arrivals.map((arrival) => arrival.at);
    for (const start of times) expect(times.filter((at) => at >= start && at < start + 1_000).length).toBeLessThanOrEqual(3);
    expect(times).toEqual([0, 0, 0, 1_000, 1_000, 1_000, 2_000, 2_000, 2_000]);
  });
});

describe("the PaperExchange's rate limit (the venue side of the budget)", () => {
  it('refuses a call beyond `requests` per `intervalMs` with a 429-style error, without effect, and counts only accepted calls', async () => {
    const exchange = new PaperExchange({ rateLimit: { requests: 2, intervalMs: 1_000 } });
    const signal = new AbortController().signal;
    await exchange.placeStop(request('A', 90, 'a-1'), { signal });
    vi.advanceTimersByTime(400);
    await exchange.placeStop(request('B', 90, 'b-1'), { signal });
    const refused = await exchange.placeStop(request('C', 90, 'c-1'), { signal }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ExchangeUnavailableError);
    expect(refused).toMatchObject({ unknownOutcome: false, retryAfterMs: 600 });
    expect((refused as Error).message).toMatch(/^429 Too Many Requests/);
    expect(exchange.liveOrders('C')).toHaveLength(0);
    expect(exchange.rateLimited).toBe(1);
    expect(exchange.calls.placeStop).toBe(3);
    // The refused call did not count: one place frees when A's leaves the window, at 1,000.
    vi.advanceTimersByTime(600);
    await exchange.placeStop(request('C', 90, 'c-1'), { signal });
    await expect(exchange.findStop!({ symbol: 'C', clientOrderId: 'c-1' }, { signal })).rejects.toBeInstanceOf(ExchangeUnavailableError);
    expect(exchange.rateLimited).toBe(2);
  });

  it('checks the option at construction, naming the field', () => {
    expect(() => new PaperExchange({ rateLimit: { requests: 0, intervalMs: 1_000 } })).toThrow(RangeError);
    expect(() => new PaperExchange({ rateLimit: { requests: 5, intervalMs: '1s' as never } })).toThrow(/`rateLimit.intervalMs` to be a number/);
    expect(() => new PaperExchange({ rateLimit: 5 as never })).toThrow(TypeError);
  });
});
