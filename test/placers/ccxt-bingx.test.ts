/**
 * CcxtOrderPlacer over a real ccxt `bingx` instance whose HTTP layer is a scripted BingX USDT-M
 * perpetual venue (test/support/ccxt-bingx.ts, bodies as https://bingx-api.github.io/docs/ shows
 * them): ccxt builds, signs and parses every request; the tests assert what reached the venue.
 */
import { describe, expect, it } from 'vitest';
import { CcxtOrderPlacer, type CcxtOrderPlacerOptions } from '../../src/placers/ccxt.js';
import { describeOrderPlacer } from '../../src/testing/index.js';
import { ExchangeRejectedError, ExchangeUnavailableError, ValidationError } from '../../src/errors.js';
import { scriptedBingx } from '../support/ccxt-bingx.js';

const symbol = 'BTC/USDT:USDT';
const call = () => ({ signal: new AbortController().signal });
/** A client order id as the registry makes them (src/domain/client-order-id.ts). */
const registryId = 'tsr-BTCUSDTUSD-0a1b2c3d4e-1';

function setup(options: CcxtOrderPlacerOptions = {}) {
  const { exchange, venue } = scriptedBingx();
  const placer = new CcxtOrderPlacer(exchange, { symbols: [symbol], ...options });
  return { exchange, venue, placer };
}

describeOrderPlacer(
  'CcxtOrderPlacer over bingx',
  () => ({ placer: setup().placer, symbol, quantity: 0.01, sellStopPrice: 95, buyStopPrice: 105, movedSellStopPrice: 97.5 }),
  { amend: false },
);

describe('CcxtOrderPlacer over bingx: requests', () => {
  it('places a reduce-only STOP_MARKET with a clientOrderID that survives BingX lowercasing it', async () => {
    const { venue, placer } = setup();
    const order = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95.04, clientOrderId: registryId }, call());
    const [request] = venue.requestsTo('POST', '/openApi/swap/v2/trade/order');
    expect(request?.params).toMatchObject({
      symbol: 'BTC-USDT',
      side: 'SELL',
      type: 'STOP_MARKET',
      quantity: '0.01',
      stopPrice: '95',
      reduceOnly: 'true',
      positionSide: 'BOTH',
    });
    expect(request?.params).not.toHaveProperty('trigger');
    expect(request?.params).toHaveProperty('signature');
    const sent = String(request?.params['clientOrderID']);
    expect(sent).toMatch(/^[a-z0-9]{1,40}$/);
    expect(venue.openOrders()[0]!.clientOrderId).toBe(sent); // stored lowercased: unchanged
    expect(order).toMatchObject({ clientOrderId: registryId, symbol, side: 'sell', quantity: 0.01, stopPrice: 95, status: 'open' });
    expect(order.id).toBe(String(venue.openOrders()[0]!.orderId));
  });

  it('findStop and openStops map the lowercased venue id back to the registry id', async () => {
    const { venue, placer } = setup({ symbols: [symbol, 'ETH/USDT:USDT'] });
    const placed = await placer.placeStop({ symbol, side: 'buy', quantity: 0.02, stopPrice: 105, clientOrderId: registryId }, call());
    await expect(placer.findStop({ symbol, clientOrderId: registryId }, call())).resolves.toEqual({ ...placed, status: 'open' });
    await expect(placer.openStops(call())).resolves.toEqual([{ ...placed, status: 'open' }]);
    expect(venue.requestsTo('GET', '/openApi/swap/v2/trade/openOrders').map((request) => request.params['symbol'])).toContain('ETH-USDT');
  });

  it('finds a triggered stop in the order history and reports it filled', async () => {
    const { venue, placer } = setup();
    await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'trig-1' }, call());
    venue.setPrice('BTC-USDT', 94.9);
    await expect(placer.findStop({ symbol, clientOrderId: 'trig-1' }, call())).resolves.toMatchObject({ status: 'filled', stopPrice: 95 });
    expect(venue.requestsTo('GET', '/openApi/swap/v2/trade/allOrders')).not.toHaveLength(0);
  });

  it('cancels by orderId and by clientOrderID', async () => {
    const { venue, placer } = setup();
    const first = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'c-1' }, call());
    const second = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'c-2' }, call());
    await placer.cancelStop(first, call());
    await placer.cancelStop({ ...second, id: '' }, call());
    const cancels = venue.requestsTo('DELETE', '/openApi/swap/v2/trade/order').map((request) => request.params);
    expect(cancels[0]).toMatchObject({ symbol: 'BTC-USDT', orderId: first.id });
    expect(cancels[1]).toMatchObject({ symbol: 'BTC-USDT', clientOrderID: venue.orders.get(Number(second.id))!.clientOrderId });
    expect(cancels[1]).not.toHaveProperty('orderId');
    expect(venue.openOrders()).toEqual([]);
    await expect(placer.cancelStop(first, call())).resolves.toBeUndefined(); // 80016: gone counts as cancelled
  });

  it('maps triggerPriceType to workingType; unset sends none, so BingX applies MARK_PRICE', async () => {
    const unset = setup();
    expect(unset.placer.triggerPriceType).toBe('mark');
    await unset.placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'tp-0' }, call());
    expect(unset.venue.requestsTo('POST', '/openApi/swap/v2/trade/order')[0]?.params).not.toHaveProperty('workingType');
    for (const [type, sent] of [
      ['mark', 'MARK_PRICE'],
      ['last', 'CONTRACT_PRICE'],
      ['index', 'INDEX_PRICE'],
    ] as const) {
      const { venue, placer } = setup({ triggerPriceType: type });
      await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: `tp-${type}` }, call());
      expect(venue.requestsTo('POST', '/openApi/swap/v2/trade/order')[0]?.params['workingType']).toBe(sent);
    }
  });

  it('declares client order ids of at most 34 characters, no amend, no native trailing', () => {
    const { placer } = setup();
    expect(placer.capabilities.clientOrderIdMaxLength).toBe(34);
    expect(placer.amendStop).toBeUndefined();
    expect(placer.placeTrailingStop).toBeUndefined();
  });
});

describe('CcxtOrderPlacer over bingx: venue errors', () => {
  it('a repeated clientOrderID is refused; the placer finds the open order under it and adopts it', async () => {
    const { venue, placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: registryId };
    const first = await placer.placeStop(request, call());
    const second = await placer.placeStop(request, call());
    expect(second).toEqual(first);
    expect(venue.requestsTo('POST', '/openApi/swap/v2/trade/order')).toHaveLength(2);
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('a stop the market already crossed is refused as a rejection (BingX documents no would-trigger code)', async () => {
    const { venue, placer } = setup();
    const error = await placer
      .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 100.5, clientOrderId: 'wt-1' }, call())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExchangeRejectedError);
    expect((error as Error).cause).toMatchObject({ venueCode: '80014' });
    expect(venue.openOrders()).toEqual([]);
  });

  it('a lost answer is an unknown outcome; the retry adopts the order that was placed', async () => {
    const { venue, placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: 'lost-1' };
    venue.failNext('POST', '/openApi/swap/v2/trade/order', { loseAnswer: 'timeout' });
    await expect(placer.placeStop(request, call())).rejects.toMatchObject({ unknownOutcome: true });
    const retried = await placer.placeStop(request, call());
    expect(retried.id).toBe(String(venue.openOrders()[0]!.orderId));
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('HTTP 429 is retryable and known not executed; 504 and a busy system are an unknown outcome', async () => {
    for (const [answer, unknownOutcome] of [
      [{ status: 429, body: { code: 429, msg: 'Too Many Requests', data: {} } }, false],
      [{ status: 504, body: '<html>504 Gateway Time-out</html>' }, true],
      [{ status: 200, body: { code: 100410, msg: 'The current system is busy, please try again later', data: {} } }, true],
    ] as const) {
      const { venue, placer } = setup();
      venue.failNext('POST', '/openApi/swap/v2/trade/order', answer);
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rl-1' }, call())
        .catch((caught: unknown) => caught);
      expect(error, JSON.stringify(answer)).toBeInstanceOf(ExchangeUnavailableError);
      expect((error as ExchangeUnavailableError).unknownOutcome).toBe(unknownOutcome);
    }
  });

  it('insufficient margin is a rejection carrying the venue code', async () => {
    const { venue, placer } = setup();
    venue.failNext('POST', '/openApi/swap/v2/trade/order', { status: 200, body: { code: 101204, msg: 'Insufficient margin', data: {} } });
    const error = await placer
      .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rej-1' }, call())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExchangeRejectedError);
    expect((error as Error).cause).toMatchObject({ venueCode: '101204' });
  });
});

describe('CcxtOrderPlacer over bingx: before any I/O', () => {
  it('refuses ids longer than 34 characters with ValidationError and sends nothing', async () => {
    const { venue, placer } = setup();
    await expect(
      placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'x'.repeat(35) }, call()),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(venue.requests).toEqual([]);
  });
});
