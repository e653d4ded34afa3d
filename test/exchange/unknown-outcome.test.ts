/**
 * I7: an exchange call that timed out has an unknown outcome. The registry resolves it by client
 * order id (look up and adopt, or re-place under the same id), never by a second order under a
 * new id, and an answer that arrives after the registry gave up ends adopted or cancelled.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExchangeRejectedError, ExchangeUnavailableError, PaperExchange } from '../../src/index.js';
import { longSpec, makeRegistry, recordEvents } from '../support/fixtures.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('unknown outcomes (I7)', () => {
  it('a placement answered after the timeout is found by client order id and adopted', async () => {
    // The first placement answers after 5 s; everything else at once.
    const exchange = new PaperExchange({ latencyMs: (call) => (call.operation === 'placeStop' && call.sequence === 1 ? 5_000 : 0) });
    const { registry } = makeRegistry({ placer: exchange, timeoutMs: 1_000 });
    const creation = registry.create(longSpec());
    await vi.advanceTimersByTimeAsync(1_000);
    const stop = await creation;
    expect(registry.stats.timedOut).toBe(1);
    expect(exchange.calls.findStop).toBe(1);
    expect(exchange.calls.placeStop).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    await registry.onIdle();
    expect(exchange.allOrders()).toHaveLength(1);
    expect(exchange.liveOrders()).toEqual([expect.objectContaining({ id: stop.order!.id })]);
  });

  it('without findStop, it re-places under the same client order id and the venue deduplicates', async () => {
    const exchange = new PaperExchange({ find: false, latencyMs: (call) => (call.sequence === 1 ? 5_000 : 0) });
    const { registry } = makeRegistry({ placer: exchange, timeoutMs: 1_000 });
    const creation = registry.create(longSpec());
    await vi.advanceTimersByTimeAsync(1_100);
    const stop = await creation;
    expect(exchange.calls.placeStop).toBe(2);
    await vi.advanceTimersByTimeAsync(5_000);
    await registry.onIdle();
    expect(exchange.allOrders()).toHaveLength(1);
    expect(exchange.liveOrders()[0]!.id).toBe(stop.order!.id);
  });

  it('orphans-7: a retry the venue refuses after an attempt whose outcome is unknown looks the order up again and adopts it', async () => {
    // The first placement takes effect, its answer is lost; the lookup after it fails; the retry
    // under the same id is refused. The first attempt's order rests on the venue all along.
    const exchange = new PaperExchange({
      fault: (call) => {
        if (call.operation === 'placeStop' && call.sequence === 1) return 'lose-answer';
        if (call.operation === 'findStop' && call.sequence === 1) return new ExchangeUnavailableError('lookup down');
        if (call.operation === 'placeStop' && call.sequence === 2) return new ExchangeRejectedError('refused');
        return undefined;
      },
    });
    const { registry } = makeRegistry({ placer: exchange, timeoutMs: 1_000 });
    const creation = registry.create(longSpec()).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(5_000);
    const stop = await creation;
    await registry.onIdle();
    expect(exchange.liveOrders()).toHaveLength(1);
    expect(stop).toMatchObject({ state: 'waiting', order: { id: exchange.liveOrders()[0]!.id } });
  });

  it('an order that answers only after the registry gave up is cancelled, never orphaned', async () => {
    // Every placement answers after 10 s, and lookups cannot help: the registry gives up.
    const exchange = new PaperExchange({ find: false, latencyMs: (call) => (call.operation === 'placeStop' ? 10_000 : 0) });
    const { registry } = makeRegistry({ placer: exchange, timeoutMs: 1_000 });
    const events = recordEvents(registry);
    const creation = registry.create(longSpec()).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await creation).toMatchObject({ code: 'ERR_PLACEMENT_FAILED' });
    expect(registry.get('BTCUSDT')?.state).toBe('failed');
    // The venue did place the order; its answer is still on the way.
    expect(exchange.liveOrders()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(15_000);
    await registry.onIdle();
    expect(exchange.liveOrders()).toHaveLength(0);
    expect(events.filter((event) => event.name === 'compensated').map((event) => (event.args[0] as { reason: string }).reason)).toContain(
      'late-answer',
    );
  });

  it('a venue that is not idempotent: a late duplicate order is cancelled, the adopted one stays', async () => {
    // A venue that ignores client order ids: the retry creates a second order.
    const inner = new PaperExchange({ latencyMs: (call) => (call.sequence === 1 ? 5_000 : 0), find: false });
    let counter = 0;
    const sloppy = {
      capabilities: inner.capabilities,
      placeStop: (request: Parameters<PaperExchange['placeStop']>[0], options: Parameters<PaperExchange['placeStop']>[1]) =>
        inner.placeStop({ ...request, clientOrderId: `${request.clientOrderId}-${counter++}` }, options),
      cancelStop: inner.cancelStop.bind(inner),
    };
    const { registry } = makeRegistry({ placer: sloppy as never, timeoutMs: 1_000 });
    const creation = registry.create(longSpec());
    await vi.advanceTimersByTimeAsync(1_100);
    const stop = await creation;
    await vi.advanceTimersByTimeAsync(5_000);
    await registry.onIdle();
    expect(inner.allOrders()).toHaveLength(2);
    expect(inner.liveOrders()).toEqual([expect.objectContaining({ id: stop.order!.id })]);
  });
});
