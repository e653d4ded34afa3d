/**
 * CcxtOrderPlacer over a real ccxt `binanceusdm` instance whose HTTP layer is a scripted Binance
 * USDⓈ-M venue: ccxt builds, signs and parses every request; the tests assert what reached the venue.
 */
import { describe, expect, it } from 'vitest';
import { CcxtOrderPlacer, SanitizedCcxtError, type CcxtOrderPlacerOptions } from '../../src/placers/ccxt.js';
import { describeOrderPlacer } from '../../src/testing/index.js';
import {
  AbortedError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  ValidationError,
  WouldTriggerError,
} from '../../src/errors.js';
import type { StopOrder } from '../../src/ports/order-placer.js';
import { scriptedBinanceUsdm, testCredentials } from '../support/scripted-venue.js';

const symbol = 'BTC/USDT:USDT';
const call = () => ({ signal: new AbortController().signal });

function setup(options: CcxtOrderPlacerOptions = {}) {
  const { exchange, venue } = scriptedBinanceUsdm();
  const placer = new CcxtOrderPlacer(exchange, { symbols: [symbol], ...options });
  return { exchange, venue, placer };
}

describeOrderPlacer(
  'CcxtOrderPlacer over binanceusdm',
  () => ({
    placer: setup().placer,
    symbol,
    quantity: 0.01,
    sellStopPrice: 95,
    buyStopPrice: 105,
    movedSellStopPrice: 97.5,
  }),
  { amend: false },
);

describe('CcxtOrderPlacer over binanceusdm: requests', () => {
  it('places a reduce-only STOP_MARKET on the algo-order service with the client order id', async () => {
    const { venue, placer } = setup();
    const order = await placer.placeStop(
      { symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'tsr-btc-1' },
      call(),
    );
    const [request] = venue.requestsTo('POST', '/fapi/v1/algoOrder');
    expect(request?.params).toMatchObject({
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'STOP_MARKET',
      algoType: 'CONDITIONAL',
      clientAlgoId: 'tsr-btc-1',
      triggerPrice: '95',
      quantity: '0.01',
      reduceOnly: 'true',
    });
    expect(request?.params).toHaveProperty('signature');
    expect(request?.headers['X-MBX-APIKEY']).toBe(testCredentials.apiKey);
    expect(order).toMatchObject({ clientOrderId: 'tsr-btc-1', symbol, side: 'sell', quantity: 0.01, stopPrice: 95, status: 'open' });
    expect(order.id).toBe(String(venue.openOrders()[0]!.algoId));
  });

  it('rounds the stop price away from the market and the quantity down to the lot', async () => {
    const { venue, placer } = setup();
    await placer.placeStop({ symbol, side: 'sell', quantity: 0.0109, stopPrice: 99.96, clientOrderId: 'a-1' }, call());
    await placer.placeStop({ symbol, side: 'buy', quantity: 0.01, stopPrice: 100.04, clientOrderId: 'a-2' }, call());
    // Floating-point noise is not a reason to move a whole tick.
    await placer.placeStop({ symbol, side: 'buy', quantity: 0.01, stopPrice: 100.1 + 1e-12, clientOrderId: 'a-3' }, call());
    await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 0.1 + 0.2 + 99.6, clientOrderId: 'a-4' }, call());
    const sent = venue.requestsTo('POST', '/fapi/v1/algoOrder').map((request) => [request.params['triggerPrice'], request.params['quantity']]);
    expect(sent).toEqual([
      ['99.9', '0.01'],
      ['100.1', '0.01'],
      ['100.1', '0.01'],
      ['99.9', '0.01'],
    ]);
  });

  it('maps triggerPriceType to workingType', async () => {
    for (const [triggerPriceType, workingType] of [
      ['mark', 'MARK_PRICE'],
      ['last', 'CONTRACT_PRICE'],
    ] as const) {
      const { venue, placer } = setup({ triggerPriceType });
      await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: `w-${workingType}` }, call());
      expect(venue.requestsTo('POST', '/fapi/v1/algoOrder')[0]?.params['workingType']).toBe(workingType);
    }
    const { exchange } = scriptedBinanceUsdm();
    expect(() => new CcxtOrderPlacer(exchange, { triggerPriceType: 'index' })).toThrow(TypeError);
  });

  it('cancels through DELETE /fapi/v1/algoOrder, by algo id or by client order id', async () => {
    const { venue, placer } = setup();
    const order = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'c-1' }, call());
    await placer.cancelStop(order, call());
    const other = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'c-2' }, call());
    await placer.cancelStop({ ...other, id: '' }, call());
    const cancels = venue.requestsTo('DELETE', '/fapi/v1/algoOrder').map((request) => request.params);
    expect(cancels[0]).toMatchObject({ symbol: 'BTCUSDT', algoId: order.id });
    expect(cancels[1]).toMatchObject({ symbol: 'BTCUSDT', clientAlgoId: 'c-2' });
    expect(cancels[1]).not.toHaveProperty('algoId');
    expect(venue.openOrders()).toEqual([]);
  });

  it('finds a stop by clientAlgoId and reports a triggered one as filled', async () => {
    const { venue, placer } = setup();
    const order = await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'f-1' }, call());
    venue.setPrice('BTCUSDT', 94);
    const found = await placer.findStop({ symbol, clientOrderId: 'f-1' }, call());
    expect(found).toMatchObject({ id: order.id, status: 'filled', stopPrice: 95 });
    expect(venue.requestsTo('GET', '/fapi/v1/algoOrder').at(-1)?.params).toMatchObject({ clientAlgoId: 'f-1' });
  });

  it('lists open stops on every symbol it used and on options.symbols, one call per symbol', async () => {
    const { venue, placer } = setup({ symbols: ['ETH/USDT:USDT'] });
    await placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'l-1' }, call());
    const live = await placer.openStops(call());
    expect(live.map((order) => order.clientOrderId)).toEqual(['l-1']);
    expect(venue.requestsTo('GET', '/fapi/v1/openAlgoOrders').map((request) => request.params['symbol']).sort()).toEqual([
      'BTCUSDT',
      'ETHUSDT',
    ]);
  });

  it('has no amendStop: Binance cannot move a conditional order in place', () => {
    const { exchange, placer } = setup();
    expect(placer.amendStop).toBeUndefined();
    expect('amendStop' in placer).toBe(false);
    expect(() => new CcxtOrderPlacer(exchange, { amend: true })).toThrow(/cannot move a conditional order/);
  });

  it('places native trailing orders within the declared 0.1-10% callback limits', async () => {
    const { venue, placer } = setup();
    expect(placer.capabilities.trailingCallbackPercent).toEqual({ min: 0.1, max: 10 });
    const order = await placer.placeTrailingStop!(
      { symbol, side: 'sell', quantity: 0.01, callbackPercent: 1.5, activationPrice: 105.01, clientOrderId: 't-1' },
      call(),
    );
    expect(venue.requestsTo('POST', '/fapi/v1/algoOrder')[0]?.params).toMatchObject({
      type: 'TRAILING_STOP_MARKET',
      callbackRate: '1.5',
      activationPrice: '105.1', // a sell trail activates on the way up: rounded up, never early
      clientAlgoId: 't-1',
      reduceOnly: 'true',
      algoType: 'CONDITIONAL',
    });
    expect(order).toMatchObject({ clientOrderId: 't-1', status: 'open' });
    await expect(
      placer.placeTrailingStop!({ symbol, side: 'sell', quantity: 0.01, callbackPercent: 12, clientOrderId: 't-2' }, call()),
    ).rejects.toBeInstanceOf(ExchangeRejectedError);
    expect(venue.requestsTo('POST', '/fapi/v1/algoOrder')).toHaveLength(1);
  });

  it('closes with a reduce-only market order; a repeated close id resolves without a second order', async () => {
    const { venue, placer } = setup();
    const close = { symbol, side: 'sell' as const, quantity: 0.01, clientOrderId: 'close-1' };
    await placer.closePosition(close, call());
    await placer.closePosition(close, call());
    expect(venue.marketOrders).toHaveLength(1);
    expect(venue.requestsTo('POST', '/fapi/v1/order')[0]?.params).toMatchObject({
      type: 'MARKET',
      side: 'SELL',
      quantity: '0.01',
      reduceOnly: 'true',
      newClientOrderId: 'close-1',
    });
    venue.failNext('POST', '/fapi/v1/order', { status: 400, body: { code: -2022, msg: 'ReduceOnly Order is rejected.' } });
    await expect(placer.closePosition({ ...close, clientOrderId: 'close-2' }, call())).resolves.toBeUndefined();
  });
});

describe('CcxtOrderPlacer over binanceusdm: venue errors', () => {
  it('-2021 "Order would immediately trigger" rejects with WouldTriggerError', async () => {
    const { placer, venue } = setup();
    const error = await placer
      .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 100.5, clientOrderId: 'wt-1' }, call())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WouldTriggerError);
    expect((error as WouldTriggerError).cause).toBeInstanceOf(SanitizedCcxtError);
    expect((error as WouldTriggerError).cause).toMatchObject({ name: 'OrderImmediatelyFillable', venueCode: '-2021' });
    expect(venue.openOrders()).toEqual([]);
  });

  it('-4116 duplicate clientAlgoId adopts the open order after looking it up', async () => {
    const { placer, venue } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: 'dup-1' };
    const first = await placer.placeStop(request, call());
    const second = await placer.placeStop(request, call());
    expect(second.id).toBe(first.id);
    expect(venue.requestsTo('POST', '/fapi/v1/algoOrder')).toHaveLength(2);
    expect(venue.requestsTo('GET', '/fapi/v1/algoOrder').at(-1)?.params).toMatchObject({ clientAlgoId: 'dup-1' });
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('a lost answer is an unknown outcome; the retry with the same id adopts the order that was placed', async () => {
    const { placer, venue } = setup();
    const request = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: 'lost-1' };
    venue.failNext('POST', '/fapi/v1/algoOrder', { loseAnswer: 'timeout' });
    const error = await placer.placeStop(request, call()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    expect((error as ExchangeUnavailableError).unknownOutcome).toBe(true);
    expect((error as ExchangeUnavailableError).cause).toMatchObject({ name: 'RequestTimeout' });
    const found = await placer.findStop({ symbol, clientOrderId: 'lost-1' }, call());
    const retried = await placer.placeStop(request, call());
    expect(retried.id).toBe(found?.id);
    expect(venue.openOrders()).toHaveLength(1);
  });

  it('-2011 unknown order on cancel counts as cancelled', async () => {
    const { placer, venue } = setup();
    const ghost: StopOrder = { id: '123', clientOrderId: 'g-1', symbol, side: 'sell', quantity: 0.01, stopPrice: 95 };
    await expect(placer.cancelStop(ghost, call())).resolves.toBeUndefined();
    expect(venue.requestsTo('DELETE', '/fapi/v1/algoOrder')).toHaveLength(1);
  });

  it('-2013 on lookup resolves undefined', async () => {
    const { placer } = setup();
    await expect(placer.findStop({ symbol, clientOrderId: 'nobody' }, call())).resolves.toBeUndefined();
  });

  it('HTTP 429 is retryable and known not executed', async () => {
    const { placer, venue } = setup();
    venue.failNext('POST', '/fapi/v1/algoOrder', {
      status: 429,
      body: { code: -1003, msg: 'Too many requests; current limit of IP(1.2.3.4) is 2400 requests per minute.' },
    });
    const error = await placer
      .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rl-1' }, call())
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    expect(error).toMatchObject({ unknownOutcome: false, retryAfterMs: undefined });
    expect((error as Error).cause).toMatchObject({ name: 'DDoSProtection' });
  });

  it('HTTP 418 with "banned until" suggests the wait before retrying', async () => {
    const { exchange, venue } = scriptedBinanceUsdm();
    const now = 1_700_000_000_000;
    const placer = new CcxtOrderPlacer(exchange, { symbols: [symbol], clock: { now: () => now, setTimeout, clearTimeout } });
    venue.failNext('GET', '/fapi/v1/openAlgoOrders', {
      status: 418,
      body: { code: -1003, msg: `Way too much request weight used; IP banned until ${now + 90_000}. Please use WebSocket Streams for live updates to avoid bans.` },
    });
    const error = await placer.openStops(call()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExchangeUnavailableError);
    expect(error).toMatchObject({ unknownOutcome: false, retryAfterMs: 90_000 });
  });

  it('HTTP 503, network failures and timeouts are retryable with an unknown outcome', async () => {
    for (const answer of [
      { status: 503, body: '<html><body>Service Unavailable</body></html>' },
      { fail: 'network' as const },
      { fail: 'timeout' as const },
    ]) {
      const { placer, venue } = setup();
      venue.failNext('POST', '/fapi/v1/algoOrder', answer);
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'net-1' }, call())
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ExchangeUnavailableError);
      expect((error as ExchangeUnavailableError).unknownOutcome).toBe(true);
    }
  });

  it('insufficient margin, bad keys and permissions are fatal rejections', async () => {
    for (const body of [
      { code: -2019, msg: 'Margin is insufficient.' },
      { code: -2015, msg: 'Invalid API-key, IP, or permissions for action.' },
      { code: -1005, msg: 'No such IP has been white listed' },
      { code: -4164, msg: "Order's notional must be no smaller than 5 (unless you choose reduce only)." },
    ]) {
      const { placer, venue } = setup();
      venue.failNext('POST', '/fapi/v1/algoOrder', { status: 400, body });
      const error = await placer
        .placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'rej-1' }, call())
        .catch((caught: unknown) => caught);
      expect(error, JSON.stringify(body)).toBeInstanceOf(ExchangeRejectedError);
      expect((error as ExchangeRejectedError).cause).toMatchObject({ venueCode: String(body.code) });
    }
  });
});

describe('CcxtOrderPlacer over binanceusdm: before any I/O', () => {
  it('rejects malformed requests with ValidationError and sends nothing', async () => {
    const { placer, venue } = setup();
    const base = { symbol, side: 'sell' as const, quantity: 0.01, stopPrice: 95, clientOrderId: 'ok-1' };
    for (const [field, request] of [
      ['clientOrderId', { ...base, clientOrderId: 'has space' }],
      ['clientOrderId', { ...base, clientOrderId: 'x'.repeat(37) }],
      ['clientOrderId', { ...base, clientOrderId: '' }],
      ['quantity', { ...base, quantity: Number.NaN }],
      ['stopPrice', { ...base, stopPrice: -1 }],
      ['side', { ...base, side: 'long' as never }],
      ['symbol', { ...base, symbol: '' }],
    ] as const) {
      const error = await placer.placeStop(request, call()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
    expect(venue.requests).toEqual([]);
  });

  it('an unknown symbol is a rejection, not a crash', async () => {
    const { placer } = setup();
    await expect(
      placer.placeStop({ symbol: 'NOPE/USDT:USDT', side: 'sell', quantity: 1, stopPrice: 1, clientOrderId: 'u-1' }, call()),
    ).rejects.toBeInstanceOf(ExchangeRejectedError);
  });

  it('a quantity below the lot size is a rejection', async () => {
    const { placer, venue } = setup();
    await expect(
      placer.placeStop({ symbol, side: 'sell', quantity: 0.0001, stopPrice: 95, clientOrderId: 'q-1' }, call()),
    ).rejects.toBeInstanceOf(ExchangeRejectedError);
    expect(venue.requests).toEqual([]);
  });

  it('an already aborted signal sends nothing', async () => {
    const { placer, venue } = setup();
    const controller = new AbortController();
    controller.abort();
    await expect(
      placer.placeStop({ symbol, side: 'sell', quantity: 0.01, stopPrice: 95, clientOrderId: 'ab-1' }, { signal: controller.signal }),
    ).rejects.toBeInstanceOf(AbortedError);
    expect(venue.requests).toEqual([]);
  });

  it('refuses a Binance instance from a ccxt without the algo-order service (< 4.5.24)', () => {
    const { exchange } = scriptedBinanceUsdm();
    const old = Object.create(exchange, { fapiPrivatePostAlgoOrder: { value: undefined } }) as typeof exchange;
    expect(() => new CcxtOrderPlacer(old)).toThrow(/ccxt >= 4\.5\.24/);
  });

});
