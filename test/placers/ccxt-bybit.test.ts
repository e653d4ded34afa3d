/**
 * CcxtOrderPlacer over a real ccxt `bybit` instance whose HTTP layer is a scripted Bybit v5 venue
 * (unified account, linear perpetuals): ccxt builds, signs and parses every request.
 */
import { describe, expect, it } from 'vitest';
import { CcxtOrderPlacer, type CcxtOrderPlacerOptions } from '../../src/placers/ccxt.js';
import { describeOrderPlacer } from '../../src/testing/index.js';
import {
  ExchangeRejectedError,
  ExchangeUnavailableError,
  OrderNotFoundError,
  WouldTriggerError,
} from '../../src/errors.js';
import { scriptedBybit, testCredentials } from '../support/scripted-venue.js';

const symbol = 'BTC/USDT:USDT';
const call = () => ({ signal: new AbortController().signal });

function setup(options: CcxtOrderPlacerOptions = {}) {
  const { exchange, venue } = scriptedBybit();
  const placer = new CcxtOrderPlacer(exchange, { symbols: [symbol], ...options });
  return { exchange, venue, placer };
}

describeOrderPlacer(
  'CcxtOrderPlacer over bybit',
  () => ({
    placer: setup().placer,
    symbol,
    quantity: 0.01,
    sellStopPrice: 95,
    buyStopPrice: 105,
    movedSellStopPrice: 97.5,
  }),
  { amend: true },
);

describeOrderPlacer(
  'CcxtOrderPlacer over bybit with amend: false',
  () => ({
    placer: setup({ amend: false }).placer,
    symbol,
    quantity: 0.01,
    sellStopPrice: 95,
    buyStopPrice: 105,
    movedSellStopPrice: 97.5,
  }),
  { amend: false },
);

describe('CcxtOrderPlacer over bybit: requests', () => {
  it('places a reduce-only conditional market order with orderLinkId and the falling/rising trigger direction', async () => {
    const { venue, placer } = setup();
    const sell = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95.04, clientOrderId: 'b-1' }, call());
    await placer.placeStop({ symbol, side: 'buy', quantity: 0.01, stopPrice: 104.96, clientOrderId: 'b-2' }, call());
    const [first, second] = venue.requestsTo('POST', '/v5/order/create').map((request) => request.params);
    expect(first).toMatchObject({
      category: 'linear',
      symbol: 'BTCUSDT',
      side: 'Sell',
      orderType: 'Market',
      qty: '0.01',
      triggerPrice: '95', // 95.04 rounded down: away from the market for a sell stop
      triggerDirection: 2,
      reduceOnly: true,
      orderLinkId: 'b-1',
    });
    expect(second).toMatchObject({ side: 'Buy', triggerPrice: '105', triggerDirection: 1, reduceOnly: true, orderLinkId: 'b-2' });
    expect(venue.requestsTo('POST', '/v5/order/create')[0]?.headers['X-BAPI-API-KEY']).toBe(testCredentials.apiKey);
    expect(venue.requestsTo('POST', '/v5/order/create')[0]?.headers).toHaveProperty('X-BAPI-SIGN');
    expect(sell).toMatchObject({ clientOrderId: 'b-1', side: 'sell', quantity: 0.01, stopPrice: 95, status: 'open' });
    expect(sell.id).toBe(venue.openOrders()[0]!.orderId);
  });

  it('maps triggerPriceType to triggerBy, on create and on amend', async () => {
    const { venue, placer } = setup({ triggerPriceType: 'mark' });
    const order = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'tb-1' }, call());
    await placer.amendStop!(order, 96, call());
    expect(venue.requestsTo('POST', '/v5/order/create')[0]?.params['triggerBy']).toBe('MarkPrice');
    expect(venue.requestsTo('POST', '/v5/order/amend')[0]?.params['triggerBy']).toBe('MarkPrice');
    expect(venue.openOrders()[0]?.triggerBy).toBe('MarkPrice');
  });

  it('amends through /v5/order/amend with the new trigger price rounded away from the market', async () => {
    const { venue, placer } = setup();
    const order = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'am-1' }, call());
    const moved = await placer.amendStop!(order, 97.57, call());
    expect(venue.requestsTo('POST', '/v5/order/amend')[0]?.params).toMatchObject({
      category: 'linear',
      symbol: 'BTCUSDT',
      orderId: order.id,
      triggerPrice: '97.5',
    });
    expect(moved).toMatchObject({ id: order.id, stopPrice: 97.5, status: 'open' });
    expect(venue.openOrders()).toHaveLength(1);
    expect(venue.openOrders()[0]?.triggerPrice).toBe('97.5');
  });

  it('amending into the market rejects with WouldTriggerError (110093); amending a gone order with OrderNotFoundError', async () => {
    const { venue, placer } = setup();
    const order = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'am-2' }, call());
    await expect(placer.amendStop!(order, 100.5, call())).rejects.toBeInstanceOf(WouldTriggerError);
    expect(venue.openOrders()[0]?.triggerPrice).toBe('95');
    await placer.cancelStop(order, call());
    await expect(placer.amendStop!(order, 96, call())).rejects.toBeInstanceOf(OrderNotFoundError);
  });

  it('has no native trailing: Bybit trails by amount on the position, not by an order', () => {
    const { placer } = setup();
    expect(placer.placeTrailingStop).toBeUndefined();
    expect(placer.capabilities.trailingCallbackPercent).toBeUndefined();
    expect(placer.capabilities.clientOrderIdMaxLength).toBe(36);
  });

  it('finds open stops in /v5/order/realtime and finished ones in /v5/order/history', async () => {
    const { venue, placer } = setup();
    const cancelled = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'h-1' }, call());
    await placer.cancelStop(cancelled, call());
    await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 96, clientOrderId: 'h-2' }, call());
    venue.setPrice('BTCUSDT', 95.5);
    await expect(placer.findStop({ symbol, clientOrderId: 'h-1' }, call())).resolves.toMatchObject({ status: 'cancelled' });
    await expect(placer.findStop({ symbol, clientOrderId: 'h-2' }, call())).resolves.toMatchObject({ status: 'filled', stopPrice: 96 });
    const lookups = venue.requestsTo('GET', '/v5/order/realtime').map((request) => request.params);
    expect(lookups.at(-1)).toMatchObject({ category: 'linear', symbol: 'BTCUSDT', orderFilter: 'StopOrder', orderLinkId: 'h-2' });
    expect(venue.requestsTo('GET', '/v5/order/history').at(-1)?.params).toMatchObject({ orderLinkId: 'h-2', orderFilter: 'StopOrder' });
  });

  it('closes with a reduce-only market order carrying orderLinkId; a repeated id resolves', async () => {
    const { venue, placer } = setup();
    const close = { symbol, side: 'buy' as const, quantity: 0.02, clientOrderId: 'close-1' };
    await placer.closePosition(close, call());
    await placer.closePosition(close, call());
    expect(venue.marketOrders).toHaveLength(1);
    const request = venue.requestsTo('POST', '/v5/order/create')[0]?.params;
    expect(request).toMatchObject({ side: 'Buy', orderType: 'Market', qty: '0.02', reduceOnly: true, orderLinkId: 'close-1' });
    expect(request).not.toHaveProperty('triggerPrice');
    venue.failNext('POST', '/v5/order/create', { status: 200, body: { retCode: 110017, retMsg: 'Reduce-only rule not satisfied', result: {} } });
    await expect(placer.closePosition({ ...close, clientOrderId: 'close-2' }, call())).resolves.toBeUndefined();
  });
});

describe('CcxtOrderPlacer over bybit: venue errors', () => {
  it('110092 / 110093 "expect Rising/Falling" reject with WouldTriggerError', async () => {
    const { venue, placer } = setup();
    for (const [side, stopPrice] of [
      ['sell', 100.5],
      ['buy', 99.5],
    ] as const) {
      const error = await placer
        .placeStop({ symbol, side, quantity: 0.01, stopPrice, clientOrderId: `wt-${side}` }, call())
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WouldTriggerError);
      expect((error as Error).cause).toMatchObject({ name: 'InvalidOrder', venueCode: side === 'sell' ? '110093' : '110092' });
    }
    expect(venue.openOrders()).toEqual([]);
  });

  it('110072 duplicate orderLinkId adopts the open order', async () => {
    const { venue, placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: 'dup-1' };
    const first = await placer.placeStop(request, call());
    const second = await placer.placeStop(request, call());
    expect(second.id).toBe(first.id);
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('110072 for an id whose order is already finished is a rejection', async () => {
    const { placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: 'dup-2' };
    await placer.cancelStop(await placer.placeStop(request, call()), call());
    await expect(placer.placeStop(request, call())).rejects.toThrow(/already used by an order that is cancelled/);
  });

  it('110001 on cancel counts as cancelled', async () => {
    const { venue, placer } = setup();
    await expect(
      placer.cancelStop({ id: 'nope', clientOrderId: 'x-1', symbol, side: 'sell', quantity: 0.01, stopPrice: 95 }, call()),
    ).resolves.toBeUndefined();
    expect(venue.requestsTo('POST', '/v5/order/cancel')[0]?.params).toMatchObject({ orderId: 'nope', category: 'linear' });
  });

  it('10006 and HTTP 403 rate limits are retryable and known not executed; 10016 is an unknown outcome', async () => {
    for (const [answer, unknownOutcome] of [
      [{ status: 200, body: { retCode: 10006, retMsg: 'Too many visits!', result: {} } }, false],
      [{ status: 403, body: '<html>403 Forbidden</html>' }, false],
      [{ status: 200, body: { retCode: 10016, retMsg: 'Internal system error.', result: {} } }, true],
    ] as const) {
      const { venue, placer } = setup();
      venue.failNext('POST', '/v5/order/create', answer);
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rl-1' }, call())
        .catch((caught: unknown) => caught);
      expect(error, JSON.stringify(answer)).toBeInstanceOf(ExchangeUnavailableError);
      expect((error as ExchangeUnavailableError).unknownOutcome).toBe(unknownOutcome);
    }
  });

  it('bad keys and insufficient balance are fatal rejections', async () => {
    for (const body of [
      { retCode: 10003, retMsg: 'API key is invalid.', result: {} },
      { retCode: 110007, retMsg: 'ab not enough for new order', result: {} },
      { retCode: 10001, retMsg: 'params error: qty invalid', result: {} },
    ]) {
      const { venue, placer } = setup();
      venue.failNext('POST', '/v5/order/create', { status: 200, body });
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rej-1' }, call())
        .catch((caught: unknown) => caught);
      expect(error, body.retMsg).toBeInstanceOf(ExchangeRejectedError);
      expect((error as Error).cause).toMatchObject({ venueCode: String(body.retCode) });
    }
  });

  it('a lost create answer is an unknown outcome that findStop resolves', async () => {
    const { venue, placer } = setup();
    venue.failNext('POST', '/v5/order/create', { loseAnswer: 'network' });
    const error = await placer
      .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'lost-1' }, call())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_EXCHANGE_UNAVAILABLE', unknownOutcome: true });
    await expect(placer.findStop({ symbol, clientOrderId: 'lost-1' }, call())).resolves.toMatchObject({ status: 'open' });
  });
});
