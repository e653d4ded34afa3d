/**
 * CcxtOrderPlacer over a real ccxt `bitget` instance whose HTTP layer is a scripted Bitget venue
 * (classic account, v2 mix API; test/support/ccxt-bitget.ts, bodies as
 * https://www.bitget.com/api-doc/contract/plan/ shows them): ccxt builds, signs and parses every
 * request; the tests assert what reached the venue.
 */
import { describe, expect, it } from 'vitest';
import { CcxtOrderPlacer, type CcxtOrderPlacerOptions } from '../../src/placers/ccxt.js';
import { describeOrderPlacer } from '../../src/testing/index.js';
import { ExchangeRejectedError, ExchangeUnavailableError, WouldTriggerError } from '../../src/errors.js';
import { scriptedBitget } from '../support/ccxt-bitget.js';

const symbol = 'BTC/USDT:USDT';
const call = () => ({ signal: new AbortController().signal });
/** A client order id as the registry makes them (src/domain/client-order-id.ts). */
const registryId = 'tsr-BTCUSDTUSD-0a1b2c3d4e-1';

function setup(options: CcxtOrderPlacerOptions = {}) {
  const { exchange, venue } = scriptedBitget();
  const placer = new CcxtOrderPlacer(exchange, { symbols: [symbol], ...options });
  return { exchange, venue, placer };
}

describeOrderPlacer(
  'CcxtOrderPlacer over bitget',
  () => ({ placer: setup().placer, symbol, quantity: 0.01, sellStopPrice: 95, buyStopPrice: 105, movedSellStopPrice: 97.5 }),
  { amend: false },
);

describe('CcxtOrderPlacer over bitget: requests', () => {
  it('places a partial loss_plan for the position (not a whole-position pos_loss) with its size and clientOid', async () => {
    const { venue, placer } = setup();
    const order = await placer.placeStop({ symbol, side: 'sell', quantity: 0.0109, stopPrice: 95.04, clientOrderId: registryId }, call());
    await placer.placeStop({ symbol, side: 'buy', quantity: 0.02, stopPrice: 104.96, clientOrderId: 'bg-buy-1' }, call());
    const [first, second] = venue.requestsTo('POST', '/api/v2/mix/order/place-tpsl-order').map((request) => request.params);
    expect(first).toMatchObject({
      symbol: 'BTCUSDT',
      productType: 'USDT-FUTURES',
      marginCoin: 'USDT',
      planType: 'loss_plan',
      holdSide: 'buy', // the long position this stop protects
      size: '0.01', // rounded down to the lot
      triggerPrice: '95',
      clientOid: registryId,
    });
    expect(second).toMatchObject({ planType: 'loss_plan', holdSide: 'sell', size: '0.02', triggerPrice: '105', clientOid: 'bg-buy-1' });
    expect(venue.requestsTo('POST', '/api/v2/mix/order/place-tpsl-order')[0]?.headers['ACCESS-KEY']).toBeDefined();
    expect(order).toMatchObject({ clientOrderId: registryId, symbol, side: 'sell', quantity: 0.01, stopPrice: 95, status: 'open' });
    expect(order.id).toBe(venue.openOrders()[0]!.orderId);
  });

  it('findStop and openStops list profit_loss plans and return the order just placed', async () => {
    const { venue, placer } = setup({ symbols: [symbol, 'ETH/USDT:USDT'] });
    const placed = await placer.placeStop({ symbol, side: 'sell', quantity: 0.02, stopPrice: 95, clientOrderId: registryId }, call());
    await expect(placer.findStop({ symbol, clientOrderId: registryId }, call())).resolves.toEqual({ ...placed, status: 'open' });
    await expect(placer.openStops(call())).resolves.toEqual([{ ...placed, status: 'open' }]);
    const listed = venue.requestsTo('GET', '/api/v2/mix/order/orders-plan-pending').map((request) => request.params);
    expect(listed.every((params) => params['planType'] === 'profit_loss')).toBe(true);
    expect(listed.map((params) => params['symbol'])).toContain('ETHUSDT');
  });

  it('finds an executed plan in the plan history and reports it filled', async () => {
    const { venue, placer } = setup();
    await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'trig-1' }, call());
    venue.setPrice('BTCUSDT', 94.9);
    await expect(placer.findStop({ symbol, clientOrderId: 'trig-1' }, call())).resolves.toMatchObject({ status: 'filled', stopPrice: 95 });
    expect(venue.requestsTo('GET', '/api/v2/mix/order/orders-plan-history').at(-1)?.params).toMatchObject({ planType: 'profit_loss' });
  });

  it('cancels with planType loss_plan by orderId and by clientOid; the venue confirms each in successList', async () => {
    const { venue, placer } = setup();
    const first = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'c-1' }, call());
    const second = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'c-2' }, call());
    await placer.cancelStop(first, call());
    await placer.cancelStop({ ...second, id: '' }, call());
    const cancels = venue.requestsTo('POST', '/api/v2/mix/order/cancel-plan-order').map((request) => request.params);
    expect(cancels[0]).toMatchObject({ planType: 'loss_plan', orderIdList: [{ orderId: first.id }] });
    expect(cancels[1]).toMatchObject({ planType: 'loss_plan', orderIdList: [{ clientOid: 'c-2' }] });
    expect(venue.openOrders()).toEqual([]);
  });

  it('a cancel refused in failureList is not reported done while the order is still live', async () => {
    const { venue, placer } = setup();
    const order = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'fl-1' }, call());
    venue.failNext('POST', '/api/v2/mix/order/cancel-plan-order', {
      status: 200,
      body: {
        code: '00000',
        msg: 'success',
        requestTime: 1_700_000_000_000,
        data: { successList: [], failureList: [{ orderId: order.id, clientOid: 'fl-1', errorMsg: 'System error', errorCode: '40010' }] },
      },
    });
    const error = await placer.cancelStop(order, call()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    expect(error).toMatchObject({ unknownOutcome: false });
    expect(venue.openOrders()).toHaveLength(1);
    // A failureList entry for an order that is gone is a done cancel.
    venue.setPrice('BTCUSDT', 94);
    await expect(placer.cancelStop(order, call())).resolves.toBeUndefined();
  });

  it('maps triggerPriceType to triggerType; ccxt sends mark_price when unset', async () => {
    const unset = setup();
    expect(unset.placer.triggerPriceType).toBe('mark');
    await unset.placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'tp-0' }, call());
    expect(unset.venue.requestsTo('POST', '/api/v2/mix/order/place-tpsl-order')[0]?.params['triggerType']).toBe('mark_price');
    for (const [type, sent] of [
      ['mark', 'mark_price'],
      ['last', 'fill_price'],
    ] as const) {
      const { venue, placer } = setup({ triggerPriceType: type });
      await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: `tp-${type}` }, call());
      expect(venue.requestsTo('POST', '/api/v2/mix/order/place-tpsl-order')[0]?.params['triggerType']).toBe(sent);
    }
    expect(() => setup({ triggerPriceType: 'index' })).toThrow(TypeError);
  });
});

describe('CcxtOrderPlacer over bitget: venue errors', () => {
  it('a stop already crossed is WouldTriggerError (40917 long, 45122 short)', async () => {
    const { venue, placer } = setup();
    for (const [side, stopPrice, code] of [
      ['sell', 100.5, '40917'],
      ['buy', 99.5, '45122'],
    ] as const) {
      const error = await placer
        .placeStop({ symbol, side, quantity: 0.01, stopPrice, clientOrderId: `wt-${side}` }, call())
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WouldTriggerError);
      expect((error as Error).cause).toMatchObject({ venueCode: code });
    }
    expect(venue.openOrders()).toEqual([]);
  });

  it('a repeated clientOid is refused; the placer adopts the open order holding it', async () => {
    const { venue, placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: registryId };
    const first = await placer.placeStop(request, call());
    const second = await placer.placeStop(request, call());
    expect(second).toEqual(first);
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('a lost answer is an unknown outcome; the retry adopts the order that was placed', async () => {
    const { venue, placer } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: 'lost-1' };
    venue.failNext('POST', '/api/v2/mix/order/place-tpsl-order', { loseAnswer: 'timeout' });
    await expect(placer.placeStop(request, call())).rejects.toMatchObject({ unknownOutcome: true });
    const retried = await placer.placeStop(request, call());
    expect(retried.id).toBe(venue.openOrders()[0]!.orderId);
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('429 and 1001 rate limits are retryable and known not executed; 40010 timeouts are an unknown outcome', async () => {
    for (const [answer, unknownOutcome] of [
      [{ status: 429, body: { code: '429', msg: 'Too Many Requests', requestTime: 1, data: null } }, false],
      [{ status: 400, body: { code: '1001', msg: 'The request is too frequent and has been throttled', requestTime: 1, data: null } }, false],
      [{ status: 400, body: { code: '40010', msg: 'Request timed out', requestTime: 1, data: null } }, true],
    ] as const) {
      const { venue, placer } = setup();
      venue.failNext('POST', '/api/v2/mix/order/place-tpsl-order', answer);
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rl-1' }, call())
        .catch((caught: unknown) => caught);
      expect(error, JSON.stringify(answer)).toBeInstanceOf(ExchangeUnavailableError);
      expect((error as ExchangeUnavailableError).unknownOutcome).toBe(unknownOutcome);
    }
  });

  it('insufficient balance is a rejection carrying the venue code', async () => {
    const { venue, placer } = setup();
    venue.failNext('POST', '/api/v2/mix/order/place-tpsl-order', {
      status: 400,
      body: { code: '43012', msg: 'Insufficient balance', requestTime: 1_711_648_951_774, data: null },
    });
    const error = await placer
      .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rej-1' }, call())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExchangeRejectedError);
    expect((error as Error).cause).toMatchObject({ venueCode: '43012' });
  });
});
