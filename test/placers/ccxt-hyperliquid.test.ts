/**
 * CcxtOrderPlacer over a real ccxt `hyperliquid` instance whose HTTP layer is a scripted
 * Hyperliquid venue (test/support/ccxt-hyperliquid.ts, bodies as
 * https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/ shows them): ccxt builds and
 * signs every action and parses every answer; the tests assert what reached the venue.
 */
import { describe, expect, it } from 'vitest';
import { CcxtOrderPlacer, type CcxtOrderPlacerOptions } from '../../src/placers/ccxt.js';
import { describeOrderPlacer } from '../../src/testing/index.js';
import { ExchangeRejectedError, ExchangeUnavailableError, ValidationError } from '../../src/errors.js';
import { scriptedHyperliquid } from '../support/ccxt-hyperliquid.js';

const symbol = 'BTC/USDC:USDC';
const call = () => ({ signal: new AbortController().signal });
/** A client order id as the registry makes them at Hyperliquid's 21 characters (src/domain/client-order-id.ts). */
const registryId = 'tsr-B-0a1b2c3d4e-1';

function setup(options: CcxtOrderPlacerOptions = {}) {
  const { exchange, venue } = scriptedHyperliquid();
  const placer = new CcxtOrderPlacer(exchange, { symbols: [symbol], ...options });
  return { exchange, venue, placer };
}

/** The `order` actions the venue received. */
function orderActions(venue: ReturnType<typeof scriptedHyperliquid>['venue']) {
  return venue
    .requestsTo('POST', '/exchange')
    .map((request) => request.params as { action: { type: string; orders?: Record<string, unknown>[] }; signature: unknown })
    .filter((params) => params.action.type === 'order');
}

describeOrderPlacer(
  'CcxtOrderPlacer over hyperliquid',
  () => ({ placer: setup().placer, symbol, quantity: 0.2, sellStopPrice: 95, buyStopPrice: 105, movedSellStopPrice: 97.5 }),
  { amend: false },
);

describe('CcxtOrderPlacer over hyperliquid: requests', () => {
  it('places a signed reduce-only stop-market trigger order with a valid cloid and the stop-based slippage bound', async () => {
    const { venue, placer } = setup();
    const order = await placer.placeStop({ symbol, side: 'sell', quantity: 0.2, stopPrice: 95.04, clientOrderId: registryId }, call());
    await placer.placeStop({ symbol, side: 'buy', quantity: 0.2, stopPrice: 104.96, clientOrderId: 'hl-buy-1' }, call());
    const [first, second] = orderActions(venue);
    expect(first?.signature).toMatchObject({ r: expect.stringMatching(/^0x/), s: expect.stringMatching(/^0x/) });
    expect(first?.action.orders?.[0]).toMatchObject({
      a: 0, // BTC's asset index
      b: false,
      s: '0.2',
      r: true,
      t: { trigger: { isMarket: true, triggerPx: '95', tpsl: 'sl' } },
      p: '90.3', // 95 less ccxt's 5 % slippage: a gap through the stop still fills
    });
    expect(first?.action.orders?.[0]?.['c']).toMatch(/^0x[0-9a-f]{32}$/);
    expect(second?.action.orders?.[0]).toMatchObject({ b: true, t: { trigger: { triggerPx: '105', tpsl: 'sl' } }, p: '110.3' });
    expect(order).toMatchObject({ clientOrderId: registryId, symbol, side: 'sell', quantity: 0.2, stopPrice: 95, status: 'open' });
    expect(order.id).toBe(String(venue.openOrders()[0]!.oid));
  });

  it('findStop (orderStatus by cloid) and openStops (frontendOpenOrders) return the order under the registry id', async () => {
    const { venue, placer } = setup();
    const placed = await placer.placeStop({ symbol, side: 'sell', quantity: 0.3, stopPrice: 95, clientOrderId: registryId }, call());
    await expect(placer.findStop({ symbol, clientOrderId: registryId }, call())).resolves.toEqual({ ...placed, status: 'open' });
    await expect(placer.openStops(call())).resolves.toEqual([{ ...placed, status: 'open' }]);
    const queries = venue.requestsTo('POST', '/info').map((request) => request.params['type']);
    expect(queries).toContain('orderStatus');
    expect(queries).toContain('frontendOpenOrders');
  });

  it('reports a triggered stop as filled', async () => {
    const { venue, placer } = setup();
    await placer.placeStop({ symbol, side: 'sell', quantity: 0.2, stopPrice: 95, clientOrderId: 'trig-1' }, call());
    venue.setPrice('BTC', 94.9);
    await expect(placer.findStop({ symbol, clientOrderId: 'trig-1' }, call())).resolves.toMatchObject({ status: 'filled' });
    await expect(placer.openStops(call())).resolves.toEqual([]);
  });

  it('cancels by oid and by cloid', async () => {
    const { venue, placer } = setup();
    const first = await placer.placeStop({ symbol, side: 'sell', quantity: 0.2, stopPrice: 95, clientOrderId: 'c-1' }, call());
    const second = await placer.placeStop({ symbol, side: 'sell', quantity: 0.2, stopPrice: 95, clientOrderId: 'c-2' }, call());
    await placer.cancelStop(first, call());
    await placer.cancelStop({ ...second, id: '' }, call());
    const cancels = venue
      .requestsTo('POST', '/exchange')
      .map((request) => (request.params as { action: { type: string; cancels?: unknown } }).action)
      .filter((action) => action.type === 'cancel' || action.type === 'cancelByCloid');
    expect(cancels).toEqual([
      { type: 'cancel', cancels: [{ a: 0, o: Number(first.id) }] },
      { type: 'cancelByCloid', cancels: [{ asset: 0, cloid: venue.orders.get(Number(second.id))!.order.cloid }] },
    ]);
    expect(venue.openOrders()).toEqual([]);
    // "Order was never placed, already canceled, or filled.": gone counts as cancelled.
    await expect(placer.cancelStop(first, call())).resolves.toBeUndefined();
  });

  it('a stop whose trigger the mark already crossed triggers at once and is then reported filled', async () => {
    const { placer } = setup();
    await placer.placeStop({ symbol, side: 'sell', quantity: 0.2, stopPrice: 100.5, clientOrderId: 'crossed-1' }, call());
    await expect(placer.findStop({ symbol, clientOrderId: 'crossed-1' }, call())).resolves.toMatchObject({ status: 'filled' });
  });

  it('triggers on the mark price only: mark is accepted and sends nothing extra, last and index are refused', async () => {
    const { venue, placer } = setup({ triggerPriceType: 'mark' });
    expect(placer.triggerPriceType).toBe('mark');
    await placer.placeStop({ symbol, side: 'sell', quantity: 0.2, stopPrice: 95, clientOrderId: 'tp-mark' }, call());
    expect(Object.keys(orderActions(venue)[0]!.action.orders![0]!).sort()).toEqual(['a', 'b', 'c', 'p', 'r', 's', 't']);
    expect(() => setup({ triggerPriceType: 'last' })).toThrow(TypeError);
    expect(() => setup({ triggerPriceType: 'index' })).toThrow(TypeError);
  });

  it('declares client order ids of at most 21 characters (a 128-bit cloid), no amend, no native trailing', () => {
    const { placer } = setup();
    expect(placer.capabilities.clientOrderIdMaxLength).toBe(21);
    expect(placer.amendStop).toBeUndefined();
    expect(placer.placeTrailingStop).toBeUndefined();
  });
});

describe('CcxtOrderPlacer over hyperliquid: venue errors', () => {
  it('a repeated cloid is refused; the placer adopts the open order holding it', async () => {
    const { venue, placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.2, stopPrice: 95, clientOrderId: registryId };
    const first = await placer.placeStop(request, call());
    const second = await placer.placeStop(request, call());
    expect(second).toEqual(first);
    expect(orderActions(venue)).toHaveLength(2);
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('a lost answer is an unknown outcome; the retry adopts the order that was placed', async () => {
    const { venue, placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.2, stopPrice: 95, clientOrderId: 'lost-1' };
    await placer.findStop({ symbol, clientOrderId: 'warm-up' }, call()); // let ccxt's first-order calls go out
    await placer.placeStop({ symbol, side: 'buy', quantity: 0.2, stopPrice: 105, clientOrderId: 'first-1' }, call());
    venue.failNext('POST', '/exchange', { loseAnswer: 'timeout' });
    await expect(placer.placeStop(request, call())).rejects.toMatchObject({ unknownOutcome: true });
    const retried = await placer.placeStop(request, call());
    expect(venue.openOrders().map((order) => String(order.oid))).toContain(retried.id);
    expect(venue.openOrders()).toHaveLength(2);
  });

  it('error messages map to typed errors: minimum value and margin are rejections, the request limit is retryable', async () => {
    for (const [body, type, label] of [
      [{ status: 'ok', response: { type: 'order', data: { statuses: [{ error: 'Insufficient margin to place order. asset=0' }] } } }, ExchangeRejectedError, 'INSUFFICIENT_MARGIN'],
      [{ status: 'ok', response: { type: 'order', data: { statuses: [{ error: 'Order must have minimum value of $10. asset=0' }] } } }, ExchangeRejectedError, 'MINIMUM_VALUE'],
      [{ status: 'err', response: 'Too many cumulative requests sent (37986 > 10436) for cumulative volume traded $437.92.' }, ExchangeUnavailableError, 'RATE_LIMITED'],
    ] as const) {
      const { venue, placer } = setup();
      await placer.findStop({ symbol, clientOrderId: 'warm-up' }, call());
      await placer.placeStop({ symbol, side: 'buy', quantity: 0.2, stopPrice: 105, clientOrderId: 'first-1' }, call());
      venue.failNext('POST', '/exchange', { status: 200, body });
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.2, stopPrice: 95, clientOrderId: 'rej-1' }, call())
        .catch((caught: unknown) => caught);
      expect(error, label).toBeInstanceOf(type);
      expect((error as Error).cause).toMatchObject({ venueCode: label });
      if (error instanceof ExchangeUnavailableError) expect(error.unknownOutcome).toBe(false);
    }
  });
});

describe('CcxtOrderPlacer over hyperliquid: before any I/O', () => {
  it('refuses ids longer than 21 characters with ValidationError and sends nothing', async () => {
    const { venue, placer } = setup();
    await expect(
      placer.placeStop({ symbol, side: 'sell', quantity: 0.2, stopPrice: 95, clientOrderId: 'tsr-BTCUSDT-0a1b2c3d4e-1' }, call()),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(venue.requests).toEqual([]);
  });

  it('knows the USDC-margined symbols only', () => {
    const { placer } = setup();
    expect(placer.knowsSymbol('BTC/USDC:USDC')).toBe(true);
    expect(placer.knowsSymbol('BTC/USDT:USDT')).toBe(false);
  });
});
