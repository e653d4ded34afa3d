/**
 * CcxtOrderPlacer over a real ccxt `kucoinfutures` instance whose HTTP layer is a scripted KuCoin
 * Futures venue (test/support/ccxt-kucoinfutures.ts, bodies as
 * https://www.kucoin.com/docs-new/rest/futures-trading/ shows them): ccxt builds, signs and parses
 * every request; the tests assert what reached the venue.
 */
import { describe, expect, it } from 'vitest';
import { CcxtOrderPlacer, type CcxtOrderPlacerOptions } from '../../src/placers/ccxt.js';
import { describeOrderPlacer } from '../../src/testing/index.js';
import { ExchangeRejectedError, ExchangeUnavailableError, ValidationError } from '../../src/errors.js';
import { scriptedKucoinFutures } from '../support/ccxt-kucoinfutures.js';

const symbol = 'BTC/USDT:USDT';
const call = () => ({ signal: new AbortController().signal });
/** A client order id as the registry makes them (src/domain/client-order-id.ts). */
const registryId = 'tsr-BTCUSDTUSD-0a1b2c3d4e-1';

function setup(options: CcxtOrderPlacerOptions = {}) {
  const { exchange, venue } = scriptedKucoinFutures();
  const placer = new CcxtOrderPlacer(exchange, { symbols: [symbol], ...options });
  return { exchange, venue, placer };
}

describeOrderPlacer(
  'CcxtOrderPlacer over kucoinfutures',
  () => ({ placer: setup().placer, symbol, quantity: 0.01, sellStopPrice: 95, buyStopPrice: 105, movedSellStopPrice: 97.5 }),
  { amend: false },
);

describe('CcxtOrderPlacer over kucoinfutures: requests', () => {
  it('places a reduce-only stop market order (stop=down for a sell, up for a buy) in whole contracts', async () => {
    const { venue, placer } = setup();
    const sell = await placer.placeStop({ symbol, side: 'sell', quantity: 0.0109, stopPrice: 95.04, clientOrderId: registryId }, call());
    await placer.placeStop({ symbol, side: 'buy', quantity: 0.02, stopPrice: 104.96, clientOrderId: 'kc-buy-1' }, call());
    const [first, second] = venue.requestsTo('POST', '/api/v1/orders').map((request) => request.params);
    expect(first).toMatchObject({
      symbol: 'XBTUSDTM',
      side: 'sell',
      type: 'market',
      size: 10, // 0.0109 BTC at 0.001 BTC per contract, rounded down to whole contracts
      stop: 'down',
      stopPrice: '95',
      reduceOnly: true,
      clientOid: registryId,
    });
    expect(first).not.toHaveProperty('trigger');
    expect(second).toMatchObject({ side: 'buy', size: 20, stop: 'up', stopPrice: '105', reduceOnly: true, clientOid: 'kc-buy-1' });
    expect(venue.requestsTo('POST', '/api/v1/orders')[0]?.headers['KC-API-KEY']).toBeDefined();
    expect(sell).toMatchObject({ clientOrderId: registryId, symbol, side: 'sell', quantity: 0.01, stopPrice: 95, status: 'open' });
    expect(sell.id).toBe(venue.openOrders()[0]!.id);
  });

  it('findStop and openStops return the order just placed, quantity in base units', async () => {
    const { venue, placer } = setup({ symbols: [symbol, 'ETH/USDT:USDT'] });
    const placed = await placer.placeStop({ symbol, side: 'sell', quantity: 0.02, stopPrice: 95, clientOrderId: registryId }, call());
    await expect(placer.findStop({ symbol, clientOrderId: registryId }, call())).resolves.toEqual({ ...placed, status: 'open' });
    expect(venue.requestsTo('GET', '/api/v1/orders/byClientOid').at(-1)?.params).toMatchObject({ clientOid: registryId });
    await expect(placer.openStops(call())).resolves.toEqual([{ ...placed, status: 'open' }]);
    expect(venue.requestsTo('GET', '/api/v1/stopOrders').map((request) => request.params['symbol'])).toEqual(['XBTUSDTM', 'ETHUSDTM']);
  });

  it('a stop the market already crossed triggers at once; it is then reported filled', async () => {
    const { venue, placer } = setup();
    const order = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 100.5, clientOrderId: 'crossed-1' }, call());
    expect(venue.orders.get(order.id)?.stopTriggered).toBe(true);
    await expect(placer.findStop({ symbol, clientOrderId: 'crossed-1' }, call())).resolves.toMatchObject({ status: 'filled' });
    await expect(placer.openStops(call())).resolves.toEqual([]);
  });

  it('cancels by order id and by clientOid, with no trigger parameter leaking into the request', async () => {
    const { venue, placer } = setup();
    const first = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'c-1' }, call());
    const second = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'c-2' }, call());
    await placer.cancelStop(first, call());
    await placer.cancelStop({ ...second, id: '' }, call());
    const cancels = venue.requests.filter((request) => request.method === 'DELETE');
    expect(cancels.map((request) => [request.path, request.params])).toEqual([
      [`/api/v1/orders/${first.id}`, {}],
      ['/api/v1/orders/client-order/c-2', { symbol: 'XBTUSDTM' }],
    ]);
    expect(venue.openOrders()).toEqual([]);
    // 100004 "Order is in not cancelable state": gone counts as cancelled.
    await expect(placer.cancelStop(first, call())).resolves.toBeUndefined();
    await expect(placer.findStop({ symbol, clientOrderId: 'c-1' }, call())).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('maps triggerPriceType to stopPriceType; ccxt sends MP (mark) when unset', async () => {
    const unset = setup();
    expect(unset.placer.triggerPriceType).toBe('mark');
    await unset.placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'tp-0' }, call());
    expect(unset.venue.requestsTo('POST', '/api/v1/orders')[0]?.params['stopPriceType']).toBe('MP');
    for (const [type, sent] of [
      ['mark', 'MP'],
      ['last', 'TP'],
      ['index', 'IP'],
    ] as const) {
      const { venue, placer } = setup({ triggerPriceType: type });
      await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: `tp-${type}` }, call());
      expect(venue.requestsTo('POST', '/api/v1/orders')[0]?.params['stopPriceType']).toBe(sent);
    }
  });

  it('has no amendStop and no native trailing; client order ids of up to 40 characters', () => {
    const { placer } = setup();
    expect(placer.amendStop).toBeUndefined();
    expect(placer.placeTrailingStop).toBeUndefined();
    expect(placer.capabilities.clientOrderIdMaxLength).toBe(40);
  });
});

describe('CcxtOrderPlacer over kucoinfutures: venue errors', () => {
  it('300018 duplicate clientOid adopts the open order', async () => {
    const { venue, placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: registryId };
    const first = await placer.placeStop(request, call());
    const second = await placer.placeStop(request, call());
    expect(second).toEqual(first);
    expect(venue.requestsTo('POST', '/api/v1/orders')).toHaveLength(2);
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('an unknown clientOid resolves undefined', async () => {
    const { placer } = setup();
    await expect(placer.findStop({ symbol, clientOrderId: 'nobody' }, call())).resolves.toBeUndefined();
  });

  it('a lost answer is an unknown outcome; the retry adopts the order that was placed', async () => {
    const { venue, placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: 'lost-1' };
    venue.failNext('POST', '/api/v1/orders', { loseAnswer: 'network' });
    await expect(placer.placeStop(request, call())).rejects.toMatchObject({ unknownOutcome: true });
    const retried = await placer.placeStop(request, call());
    expect(retried.id).toBe(venue.openOrders()[0]!.id);
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('429000 rate limits are retryable and known not executed; 500000 is an unknown outcome', async () => {
    for (const [answer, unknownOutcome] of [
      [{ status: 429, body: { code: '429000', msg: 'Too Many Requests' } }, false],
      [{ status: 200, body: { code: '200002', msg: 'Too many requests in a short period of time, please retry later' } }, false],
      [{ status: 500, body: { code: '500000', msg: 'Internal Server Error' } }, true],
    ] as const) {
      const { venue, placer } = setup();
      venue.failNext('POST', '/api/v1/orders', answer);
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rl-1' }, call())
        .catch((caught: unknown) => caught);
      expect(error, JSON.stringify(answer)).toBeInstanceOf(ExchangeUnavailableError);
      expect((error as ExchangeUnavailableError).unknownOutcome).toBe(unknownOutcome);
    }
  });

  it('insufficient balance and a missing position are rejections carrying the venue code', async () => {
    for (const body of [
      { code: '300003', msg: 'Balance not enough, please first deposit at least 2 USDT before you start the battle' },
      { code: '300009', msg: 'No open positions to close.' },
    ]) {
      const { venue, placer } = setup();
      venue.failNext('POST', '/api/v1/orders', { status: 200, body });
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rej-1' }, call())
        .catch((caught: unknown) => caught);
      expect(error, body.code).toBeInstanceOf(ExchangeRejectedError);
      expect((error as Error).cause).toMatchObject({ venueCode: body.code });
    }
  });
});

describe('CcxtOrderPlacer over kucoinfutures: before any I/O', () => {
  it('a quantity below one contract is a rejection; a malformed id a ValidationError; nothing is sent', async () => {
    const { venue, placer } = setup();
    await expect(
      placer.placeStop({ symbol, side: 'sell', quantity: 0.0009, stopPrice: 95, clientOrderId: 'q-1' }, call()),
    ).rejects.toBeInstanceOf(ExchangeRejectedError);
    await expect(
      placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'x'.repeat(41) }, call()),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(venue.requests).toEqual([]);
  });
});
