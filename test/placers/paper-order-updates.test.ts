/**
 * PaperExchange.watchOrders: the paper venue's order stream. Every change to an order is reported
 * as an OrderUpdate (placed or moved: open; partial fills: cumulative partially-filled; crossed by
 * setPrice: filled at the crossing price; cancelStop, closePosition, cancelByHand: cancelled;
 * expire: expired), live on a microtask or held for a test to deliver late or drop.
 */
import { describe, expect, it } from 'vitest';
import { PaperExchange, type PaperExchangeOptions } from '../../src/placers/paper.js';
import { ExchangeUnavailableError } from '../../src/errors.js';
import type { Clock } from '../../src/ports/clock.js';
import type { OrderUpdate, StopOrderRequest } from '../../src/ports/order-placer.js';

const symbol = 'BTC/USDT:USDT';
const call = () => ({ signal: new AbortController().signal });
const sellStop = (clientOrderId: string, stopPrice = 95, quantity = 1): StopOrderRequest => ({
  symbol,
  side: 'sell',
  quantity,
  stopPrice,
  clientOrderId,
});

/** A clock the test moves by hand; timers are never needed (latency 0 answers on a microtask). */
function manualClock(start = 1_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    advance: (ms) => {
      now += ms;
    },
  };
}

/** A paper venue at price 100 with one subscribed listener recording what it hears. */
function watched(options: PaperExchangeOptions = {}) {
  const clock = manualClock();
  const venue = new PaperExchange({ clock, ...options });
  venue.setPrice(symbol, 100);
  const heard: OrderUpdate[] = [];
  const controller = new AbortController();
  const stream = venue.watchOrders((update) => heard.push(update), { signal: controller.signal });
  return { venue, clock, heard, controller, stream };
}

/** Lets every queued microtask run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('PaperExchange.watchOrders: what each change reports', () => {
  it('reports a placed order as open, on a microtask, before the placeStop answer', async () => {
    const { venue, heard } = watched();
    const placing = venue.placeStop(sellStop('tsr-a-1'), call());
    expect(heard).toEqual([]); // never inside the call that caused it
    let heardAtAnswer: number | undefined;
    const order = await placing.then((placed) => {
      heardAtAnswer = heard.length;
      return placed;
    });
    expect(heardAtAnswer).toBe(1);
    expect(heard).toEqual([{ clientOrderId: 'tsr-a-1', id: order.id, symbol, status: 'open', timestamp: 1_000 }]);
  });

  it('reports a stop crossed by setPrice as filled: the whole quantity at the crossing price', async () => {
    const { venue, heard, clock } = watched();
    const order = await venue.placeStop(sellStop('tsr-a-1', 95, 0.5), call());
    clock.advance(250);
    venue.setPrice(symbol, 90); // a gap through the stop at 95
    await flush();
    expect(heard.at(-1)).toEqual({
      clientOrderId: 'tsr-a-1',
      id: order.id,
      symbol,
      status: 'filled',
      filledQuantity: 0.5,
      averagePrice: 90,
      timestamp: 1_250,
    });
    expect(venue.liveOrders()).toEqual([]);
  });

  it('reports cancelStop as cancelled, and nothing for an order already gone', async () => {
    const { venue, heard } = watched();
    const order = await venue.placeStop(sellStop('tsr-a-1'), call());
    await venue.cancelStop(order, call());
    await venue.cancelStop(order, call()); // already gone: resolves, changes nothing
    await flush();
    expect(heard.map((update) => update.status)).toEqual(['open', 'cancelled']);
    expect(heard[1]).toMatchObject({ clientOrderId: 'tsr-a-1', id: order.id, symbol });
    expect(heard[1]).not.toHaveProperty('filledQuantity');
  });

  it('reports cancelByHand as cancelled and expire as expired; both refuse an order that is not open', async () => {
    const { venue, heard } = watched();
    const first = await venue.placeStop(sellStop('tsr-a-1'), call());
    const second = await venue.placeStop(sellStop('tsr-b-1'), call());
    expect(venue.cancelByHand(first.id)).toBe(true);
    expect(venue.expire(second.id)).toBe(true);
    expect(venue.cancelByHand(first.id)).toBe(false);
    expect(venue.expire(second.id)).toBe(false);
    expect(venue.expire('paper-999')).toBe(false);
    await flush();
    expect(heard.map((update) => [update.clientOrderId, update.status])).toEqual([
      ['tsr-a-1', 'open'],
      ['tsr-b-1', 'open'],
      ['tsr-a-1', 'cancelled'],
      ['tsr-b-1', 'expired'],
    ]);
    expect(venue.liveOrders()).toEqual([]);
    expect(venue.allOrders().map((order) => order.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('reports partial fills cumulatively; the order stays open with the rest until it fills', async () => {
    const { venue, heard } = watched();
    const order = await venue.placeStop(sellStop('tsr-a-1', 95, 1), call());
    expect(venue.fillPartially(order.id, 0.3)).toBe(true); // at the stop price by default
    expect(venue.fillPartially(order.id, 0.2, 94)).toBe(true);
    await flush();
    expect(heard.slice(1)).toEqual([
      { clientOrderId: 'tsr-a-1', id: order.id, symbol, status: 'partially-filled', filledQuantity: 0.3, averagePrice: 95, timestamp: 1_000 },
      {
        clientOrderId: 'tsr-a-1',
        id: order.id,
        symbol,
        status: 'partially-filled',
        filledQuantity: 0.5,
        averagePrice: (0.3 * 95 + 0.2 * 94) / 0.5,
        timestamp: 1_000,
      },
    ]);
    expect(venue.liveOrders().map((live) => live.id)).toEqual([order.id]);
    venue.setPrice(symbol, 90);
    await flush();
    expect(heard.at(-1)).toMatchObject({ status: 'filled', filledQuantity: 1 });
    expect(heard.at(-1)!.averagePrice).toBeCloseTo(0.3 * 95 + 0.2 * 94 + 0.5 * 90, 10);
  });

  it('fills the order when a partial fill takes all that is left', async () => {
    const { venue, heard } = watched();
    const order = await venue.placeStop(sellStop('tsr-a-1', 95, 0.3), call());
    venue.fillPartially(order.id, 0.1);
    venue.fillPartially(order.id, 0.2); // 0.1 + 0.2 leaves binary noise, not an open order
    await flush();
    expect(heard.map((update) => update.status)).toEqual(['open', 'partially-filled', 'filled']);
    expect(heard.at(-1)).toMatchObject({ filledQuantity: 0.3, averagePrice: 95 });
    expect(venue.liveOrders()).toEqual([]);
    expect(venue.fillPartially(order.id, 0.1)).toBe(false);
  });

  it('refuses a partial fill of more than is left, or a bad quantity or price, changing nothing', async () => {
    const { venue, heard } = watched();
    const order = await venue.placeStop(sellStop('tsr-a-1', 95, 1), call());
    venue.fillPartially(order.id, 0.4);
    expect(() => venue.fillPartially(order.id, 0.7)).toThrow(RangeError);
    expect(() => venue.fillPartially(order.id, 0)).toThrow(RangeError);
    expect(() => venue.fillPartially(order.id, Number.NaN)).toThrow(TypeError);
    expect(() => venue.fillPartially(order.id, 0.1, -1)).toThrow(RangeError);
    expect(() => venue.fillPartially(order.id, 0.1, Number.POSITIVE_INFINITY)).toThrow(RangeError);
    await flush();
    expect(heard.map((update) => update.filledQuantity)).toEqual([undefined, 0.4]);
  });

  it('reports a move as open again (partially-filled once something executed)', async () => {
    const { venue, heard } = watched({ amend: true });
    const order = await venue.placeStop(sellStop('tsr-a-1', 95, 1), call());
    await venue.amendStop!(order, 96, call());
    venue.fillPartially(order.id, 0.25);
    await venue.amendStop!(order, 97, call());
    await flush();
    expect(heard.map((update) => [update.status, update.filledQuantity])).toEqual([
      ['open', undefined],
      ['open', undefined],
      ['partially-filled', 0.25],
      ['partially-filled', 0.25],
    ]);
  });

  it('reports the stops a closePosition voids as cancelled', async () => {
    const { venue, heard } = watched();
    await venue.placeStop(sellStop('tsr-a-1'), call());
    await venue.closePosition({ symbol, side: 'sell', quantity: 1, clientOrderId: 'tsr-close-1' }, call());
    await flush();
    expect(heard.map((update) => [update.clientOrderId, update.status])).toEqual([
      ['tsr-a-1', 'open'],
      ['tsr-a-1', 'cancelled'],
    ]);
  });

  it('reports an order placed by a call whose answer is lost, and nothing for a call refused before it executed', async () => {
    const { venue, heard } = watched({
      fault: (paperCall) => {
        if (paperCall.clientOrderId === 'tsr-lost-1') return 'lose-answer';
        if (paperCall.clientOrderId === 'tsr-refused-1') return new ExchangeUnavailableError('503', { unknownOutcome: false });
        return undefined;
      },
    });
    void venue.placeStop(sellStop('tsr-lost-1'), call()); // never answers
    await expect(venue.placeStop(sellStop('tsr-refused-1'), call())).rejects.toThrow('503');
    await flush();
    expect(heard.map((update) => update.clientOrderId)).toEqual(['tsr-lost-1']);
  });

  it('stamps each update with the paper clock', async () => {
    const { venue, heard, clock } = watched();
    const order = await venue.placeStop(sellStop('tsr-a-1'), call());
    clock.advance(10);
    venue.fillPartially(order.id, 0.5);
    clock.advance(5);
    venue.cancelByHand(order.id);
    await flush();
    expect(heard.map((update) => update.timestamp)).toEqual([1_000, 1_010, 1_015]);
  });
});

describe('PaperExchange.watchOrders: subscriptions', () => {
  it('delivers to every subscribed listener, each update a copy, in order of the changes', async () => {
    const { venue, heard } = watched();
    const other: OrderUpdate[] = [];
    void venue.watchOrders((update) => other.push(update), call());
    const order = await venue.placeStop(sellStop('tsr-a-1'), call());
    venue.fillPartially(order.id, 0.5);
    venue.cancelByHand(order.id);
    await flush();
    expect(other).toEqual(heard);
    expect(other[0]).not.toBe(heard[0]);
    expect(heard.map((update) => update.status)).toEqual(['open', 'partially-filled', 'cancelled']);
  });

  it('does not replay changes that happened before a listener subscribed (live mode)', async () => {
    const venue = new PaperExchange({ clock: manualClock() });
    const order = await venue.placeStop(sellStop('tsr-a-1'), call());
    const heard: OrderUpdate[] = [];
    void venue.watchOrders((update) => heard.push(update), call());
    venue.cancelByHand(order.id);
    await flush();
    expect(heard.map((update) => update.status)).toEqual(['cancelled']);
  });

  it('stops delivering once the signal aborts, even an update already on its way, and resolves', async () => {
    const { venue, heard, controller, stream } = watched();
    const order = await venue.placeStop(sellStop('tsr-a-1'), call());
    await flush();
    venue.cancelByHand(order.id); // queued for a microtask
    controller.abort();
    await expect(stream).resolves.toBeUndefined();
    await flush();
    expect(heard.map((update) => update.status)).toEqual(['open']);
    expect(venue.watchers).toBe(0);
  });

  it('counts subscriptions, and resolves at once for a signal already aborted', async () => {
    const venue = new PaperExchange();
    const controller = new AbortController();
    controller.abort();
    await expect(venue.watchOrders(() => undefined, { signal: controller.signal })).resolves.toBeUndefined();
    void venue.watchOrders(() => undefined, call());
    expect(venue.watchCount).toBe(2);
    expect(venue.watchers).toBe(1);
  });

  it('breaks every subscription with failOrderStream: the promise rejects, the listener hears nothing more', async () => {
    const { venue, heard, stream } = watched();
    const order = await venue.placeStop(sellStop('tsr-a-1'), call());
    await flush();
    venue.failOrderStream();
    await expect(stream).rejects.toBeInstanceOf(ExchangeUnavailableError);
    venue.cancelByHand(order.id);
    await flush();
    expect(heard.map((update) => update.status)).toEqual(['open']);
    expect(venue.watchers).toBe(0);
    // A resubscription hears what happens next.
    const again: OrderUpdate[] = [];
    const resubscribed = venue.watchOrders((update) => again.push(update), call());
    await venue.placeStop(sellStop('tsr-b-1'), call());
    await flush();
    expect(again.map((update) => update.clientOrderId)).toEqual(['tsr-b-1']);
    const custom = new Error('custom break');
    const third = venue.watchOrders(() => undefined, call());
    venue.failOrderStream(custom);
    await expect(third).rejects.toBe(custom);
    await expect(resubscribed).rejects.toBe(custom);
  });

  it('refuses a listener that is not a function and options without a signal', () => {
    const venue = new PaperExchange();
    expect(() => venue.watchOrders(undefined as never, call())).toThrow(TypeError);
    expect(() => venue.watchOrders(() => undefined, {} as never)).toThrow(/signal/);
    expect(venue.watchCount).toBe(0);
  });

  it("refuses an orderUpdates option other than 'live' or 'manual'", () => {
    expect(() => new PaperExchange({ orderUpdates: 'late' as never })).toThrow(/orderUpdates/);
  });
});

describe("PaperExchange.watchOrders: orderUpdates 'manual' (late and lost updates)", () => {
  it('holds every update until deliverUpdates, then delivers them synchronously in order', async () => {
    const { venue, heard } = watched({ orderUpdates: 'manual' });
    const order = await venue.placeStop(sellStop('tsr-a-1', 95, 1), call());
    venue.setPrice(symbol, 94);
    await flush();
    expect(heard).toEqual([]);
    expect(venue.pendingUpdates().map((update) => update.status)).toEqual(['open', 'filled']);
    const delivered = venue.deliverUpdates();
    expect(delivered.map((update) => update.status)).toEqual(['open', 'filled']);
    expect(heard).toEqual(delivered);
    expect(heard[1]).toMatchObject({ id: order.id, filledQuantity: 1, averagePrice: 94 });
    expect(venue.pendingUpdates()).toEqual([]);
  });

  it('delivers the first n, or those a predicate picks, keeping the rest held', async () => {
    const { venue, heard } = watched({ orderUpdates: 'manual' });
    const first = await venue.placeStop(sellStop('tsr-a-1'), call());
    await venue.placeStop(sellStop('tsr-b-1'), call());
    venue.cancelByHand(first.id);
    expect(venue.deliverUpdates(1).map((update) => update.clientOrderId)).toEqual(['tsr-a-1']);
    expect(venue.deliverUpdates((update) => update.status === 'cancelled').map((update) => update.status)).toEqual(['cancelled']);
    expect(heard.map((update) => [update.clientOrderId, update.status])).toEqual([
      ['tsr-a-1', 'open'],
      ['tsr-a-1', 'cancelled'],
    ]);
    expect(venue.pendingUpdates().map((update) => update.clientOrderId)).toEqual(['tsr-b-1']);
    expect(() => venue.deliverUpdates(-1)).toThrow(RangeError);
  });

  it('drops a fill so the listener never hears it (a missed fill), and delivers the rest', async () => {
    const { venue, heard } = watched({ orderUpdates: 'manual' });
    await venue.placeStop(sellStop('tsr-a-1'), call());
    venue.setPrice(symbol, 90);
    const dropped = venue.dropUpdates((update) => update.status === 'filled');
    expect(dropped.map((update) => update.status)).toEqual(['filled']);
    venue.deliverUpdates();
    expect(heard.map((update) => update.status)).toEqual(['open']);
    expect(venue.allOrders()[0]!.status).toBe('filled'); // the venue filled it all the same
    expect(venue.dropUpdates()).toEqual([]);
  });

  it('delivers held updates to the listeners subscribed at delivery, not to aborted ones', async () => {
    const { venue, heard, controller } = watched({ orderUpdates: 'manual' });
    await venue.placeStop(sellStop('tsr-a-1'), call());
    controller.abort();
    const later: OrderUpdate[] = [];
    void venue.watchOrders((update) => later.push(update), call());
    venue.deliverUpdates();
    expect(heard).toEqual([]);
    expect(later.map((update) => update.clientOrderId)).toEqual(['tsr-a-1']);
  });
});
