/**
 * CcxtOrderPlacer over a real ccxt `okx` instance whose HTTP layer is a scripted OKX v5 venue
 * (test/support/ccxt-okx.ts, bodies as https://www.okx.com/docs-v5/en/ shows them): ccxt builds,
 * signs and parses every request; the tests assert what reached the venue.
 */
import { describe, expect, it } from 'vitest';
import { CcxtOrderPlacer, type CcxtOrderPlacerOptions } from '../../src/placers/ccxt.js';
import { describeOrderPlacer } from '../../src/testing/index.js';
import {
  ClientOrderIdUsedError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  ValidationError,
  WouldTriggerError,
} from '../../src/errors.js';
import { scriptedOkx } from '../support/ccxt-okx.js';

const symbol = 'BTC/USDT:USDT';
const call = () => ({ signal: new AbortController().signal });
/** A client order id as the registry makes them (src/domain/client-order-id.ts). */
const registryId = 'tsr-BTCUSDTUSD-0a1b2c3d4e-1';

function setup(options: CcxtOrderPlacerOptions = {}) {
  const { exchange, venue } = scriptedOkx();
  const placer = new CcxtOrderPlacer(exchange, { symbols: [symbol], ...options });
  return { exchange, venue, placer };
}

describeOrderPlacer(
  'CcxtOrderPlacer over okx',
  () => ({ placer: setup().placer, symbol, quantity: 0.01, sellStopPrice: 95, buyStopPrice: 105, movedSellStopPrice: 97.5 }),
  { amend: false },
);

describe('CcxtOrderPlacer over okx: requests', () => {
  it('places a reduce-only conditional stop-loss algo order with a valid algoClOrdId, in contracts', async () => {
    const { venue, placer } = setup();
    const order = await placer.placeStop({ symbol, side: 'sell', quantity: 0.03, stopPrice: 95.04, clientOrderId: registryId }, call());
    const [request] = venue.requestsTo('POST', '/api/v5/trade/order-algo');
    expect(request?.params).toMatchObject({
      instId: 'BTC-USDT-SWAP',
      side: 'sell',
      ordType: 'conditional',
      sz: '3', // 0.03 BTC at 0.01 BTC per contract
      slTriggerPx: '95', // rounded down: away from the market for a sell stop
      slOrdPx: '-1', // market order on trigger
      reduceOnly: true,
      tdMode: 'cross',
    });
    const algoClOrdId = request?.params['algoClOrdId'];
    expect(algoClOrdId).toMatch(/^[A-Za-z0-9]{1,32}$/);
    expect(algoClOrdId).toBe('tsrBTCUSDTUSD0a1b2c3d4e13ep3');
    expect(request?.headers['OK-ACCESS-KEY']).toBeDefined();
    expect(request?.headers).toHaveProperty('OK-ACCESS-SIGN');
    expect(order).toMatchObject({ clientOrderId: registryId, symbol, side: 'sell', quantity: 0.03, stopPrice: 95, status: 'open' });
    expect(order.id).toBe(venue.openOrders()[0]!.algoId);
  });

  it('refuses a stop on the wrong side of the market with WouldTriggerError (51280 sell, 51278 buy)', async () => {
    const { venue, placer } = setup();
    for (const [side, stopPrice, sCode] of [
      ['sell', 100.5, '51280'],
      ['buy', 99.5, '51278'],
    ] as const) {
      const error = await placer
        .placeStop({ symbol, side, quantity: 0.01, stopPrice, clientOrderId: `wt-${side}` }, call())
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WouldTriggerError);
      expect((error as Error).cause).toMatchObject({ venueCode: sCode });
    }
    expect(venue.openOrders()).toEqual([]);
  });

  it('findStop and openStops return the order under the registry id, quantity in base units', async () => {
    const { venue, placer } = setup({ symbols: [symbol, 'ETH/USDT:USDT'] });
    const placed = await placer.placeStop({ symbol, side: 'sell', quantity: 0.02, stopPrice: 95, clientOrderId: registryId }, call());
    const found = await placer.findStop({ symbol, clientOrderId: registryId }, call());
    expect(found).toEqual({ ...placed, status: 'open' });
    expect(venue.requestsTo('GET', '/api/v5/trade/order-algo').at(-1)?.params).toMatchObject({
      instId: 'BTC-USDT-SWAP',
      algoClOrdId: 'tsrBTCUSDTUSD0a1b2c3d4e13ep3',
    });
    const live = await placer.openStops(call());
    expect(live).toEqual([{ ...placed, status: 'open' }]);
    const listed = venue.requestsTo('GET', '/api/v5/trade/orders-algo-pending').map((request) => request.params);
    expect(listed).toEqual([
      expect.objectContaining({ instId: 'BTC-USDT-SWAP', ordType: 'conditional' }),
      expect.objectContaining({ instId: 'ETH-USDT-SWAP', ordType: 'conditional' }),
    ]);
  });

  it('reports a triggered stop as filled', async () => {
    const { venue, placer } = setup();
    await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'trig-1' }, call());
    venue.setPrice('BTC-USDT-SWAP', 94.9);
    await expect(placer.findStop({ symbol, clientOrderId: 'trig-1' }, call())).resolves.toMatchObject({ status: 'filled', stopPrice: 95 });
    await expect(placer.openStops(call())).resolves.toEqual([]);
  });

  it('cancels through cancel-algos by algoId, and by algoClOrdId when the venue id is unknown', async () => {
    const { venue, placer } = setup();
    const first = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'c-1' }, call());
    const second = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'c-2' }, call());
    await placer.cancelStop(first, call());
    await placer.cancelStop({ ...second, id: '' }, call());
    const bodies = venue.requestsTo('POST', '/api/v5/trade/cancel-algos').map((request) => JSON.parse(request.body!) as unknown);
    expect(bodies).toEqual([
      [{ algoId: first.id, instId: 'BTC-USDT-SWAP' }],
      [{ instId: 'BTC-USDT-SWAP', algoClOrdId: 'c211' }],
    ]);
    expect(venue.openOrders()).toEqual([]);
    // 51400 for an order no longer live: gone counts as cancelled.
    await expect(placer.cancelStop(first, call())).resolves.toBeUndefined();
  });

  it('maps triggerPriceType to slTriggerPxType; ccxt sends last when unset', async () => {
    const unset = setup();
    expect(unset.placer.triggerPriceType).toBe('last');
    await unset.placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'tp-0' }, call());
    expect(unset.venue.requestsTo('POST', '/api/v5/trade/order-algo')[0]?.params['slTriggerPxType']).toBe('last');
    for (const type of ['mark', 'index', 'last'] as const) {
      const { venue, placer } = setup({ triggerPriceType: type });
      await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: `tp-${type}` }, call());
      expect(venue.requestsTo('POST', '/api/v5/trade/order-algo')[0]?.params['slTriggerPxType']).toBe(type);
      expect(venue.openOrders()[0]?.slTriggerPxType).toBe(type);
    }
  });

  it('has no amendStop and no native trailing; client order ids of at most 31 characters', () => {
    const { placer } = setup();
    expect(placer.amendStop).toBeUndefined();
    expect(placer.placeTrailingStop).toBeUndefined();
    expect(placer.capabilities.clientOrderIdMaxLength).toBe(31);
    expect(placer.venue).toBe('okx');
  });
});

describe('CcxtOrderPlacer over okx: venue errors', () => {
  it('51065 duplicate algoClOrdId adopts the open order', async () => {
    const { venue, placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: registryId };
    const first = await placer.placeStop(request, call());
    const second = await placer.placeStop(request, call());
    expect(second).toEqual(first);
    expect(venue.requestsTo('POST', '/api/v5/trade/order-algo')).toHaveLength(2);
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('51065 for an id whose order is finished is ClientOrderIdUsedError', async () => {
    const { placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: 'used-1' };
    await placer.cancelStop(await placer.placeStop(request, call()), call());
    await expect(placer.placeStop(request, call())).rejects.toBeInstanceOf(ClientOrderIdUsedError);
  });

  it('51603 on lookup resolves undefined', async () => {
    const { placer } = setup();
    await expect(placer.findStop({ symbol, clientOrderId: 'nobody' }, call())).resolves.toBeUndefined();
  });

  it('a lost answer is an unknown outcome; the retry adopts the order that was placed', async () => {
    const { venue, placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: 'lost-1' };
    venue.failNext('POST', '/api/v5/trade/order-algo', { loseAnswer: 'timeout' });
    const error = await placer.placeStop(request, call()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ unknownOutcome: true });
    const retried = await placer.placeStop(request, call());
    expect(retried.id).toBe(venue.openOrders()[0]!.algoId);
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('rate limits (50011) are retryable and known not executed; 50004 endpoint timeouts are an unknown outcome', async () => {
    for (const [answer, unknownOutcome] of [
      [{ status: 429, body: { code: '50011', msg: 'Too Many Requests', data: [] } }, false],
      [{ status: 200, body: { code: '50011', msg: 'Rate limit reached. Please refer to API documentation and throttle requests accordingly.', data: [] } }, false],
      [{ status: 400, body: { code: '50004', msg: 'API endpoint request timeout. (does not mean that the request was successful or failed, please check the request result).', data: [] } }, true],
    ] as const) {
      const { venue, placer } = setup();
      venue.failNext('POST', '/api/v5/trade/order-algo', answer);
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rl-1' }, call())
        .catch((caught: unknown) => caught);
      expect(error, JSON.stringify(answer)).toBeInstanceOf(ExchangeUnavailableError);
      expect((error as ExchangeUnavailableError).unknownOutcome).toBe(unknownOutcome);
    }
  });

  it('insufficient margin and nothing to reduce are rejections carrying the sCode', async () => {
    for (const [sCode, sMsg] of [
      ['51008', 'Order failed. Insufficient USDT margin in account'],
      ['51169', "Order failed because you don't have any positions in this direction for this contract to reduce or close."],
    ] as const) {
      const { venue, placer } = setup();
      venue.failNext('POST', '/api/v5/trade/order-algo', {
        status: 200,
        body: { code: '1', msg: '', data: [{ algoId: '', clOrdId: '', algoClOrdId: '', sCode, sMsg, tag: '' }] },
      });
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rej-1' }, call())
        .catch((caught: unknown) => caught);
      expect(error, sCode).toBeInstanceOf(ExchangeRejectedError);
      expect((error as Error).cause).toMatchObject({ venueCode: sCode });
    }
  });
});

describe('CcxtOrderPlacer over okx: before any I/O', () => {
  it('refuses client order ids longer than 31 characters or outside the registry charset', async () => {
    const { venue, placer } = setup();
    for (const clientOrderId of ['x'.repeat(32), 'has space', 'dot.ted']) {
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId }, call())
        .catch((caught: unknown) => caught);
      expect(error, clientOrderId).toBeInstanceOf(ValidationError);
    }
    expect(venue.requests).toEqual([]);
  });

  it('a quantity below one contract is a rejection before anything is sent', async () => {
    const { venue, placer } = setup();
    await expect(
      placer.placeStop({ symbol, side: 'sell', quantity: 0.00001, stopPrice: 95, clientOrderId: 'q-1' }, call()),
    ).rejects.toBeInstanceOf(ExchangeRejectedError);
    expect(venue.requests).toEqual([]);
  });

  it('knows the unified symbols of its markets only', () => {
    const { placer } = setup();
    expect(placer.knowsSymbol(symbol)).toBe(true);
    expect(placer.knowsSymbol('BTC-USDT-SWAP')).toBe(false);
    expect(placer.knowsSymbol('BTCUSDT')).toBe(false);
  });
});
