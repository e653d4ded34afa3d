/**
 * The registry over CcxtOrderPlacer and scripted venues: the adapter's declared capabilities decide
 * how a stop moves (Binance: make-before-break, the new stop placed before the old is cancelled;
 * Bybit: amended in place), and the venue ends with exactly one live stop at the trailed price.
 */
import { describe, expect, it } from 'vitest';
import { TrailingStopRegistry } from '../../src/index.js';
import { CcxtOrderPlacer } from '../../src/placers/ccxt.js';
import { scriptedBinanceUsdm, scriptedBybit, type ScriptedVenue } from '../support/scripted-venue.js';

const symbol = 'BTC/USDT:USDT';
const spec = {
  symbol,
  side: 'long' as const,
  entryPrice: 100,
  quantity: 0.01,
  stopLossPercent: 5,
  callbackPercent: 1,
  activationPercent: 1,
  tickSize: 0.1,
};

async function runUp(registry: TrailingStopRegistry, venue: ScriptedVenue, prices: readonly number[]) {
  for (const price of prices) {
    venue.setPrice('BTCUSDT', price);
    registry.updatePrice(symbol, price);
    await registry.onIdle();
  }
}

describe('TrailingStopRegistry over CcxtOrderPlacer', () => {
  it('binanceusdm: each move places the new stop before cancelling the old one', async () => {
    const { exchange, venue } = scriptedBinanceUsdm();
    const registry = new TrailingStopRegistry({ placer: new CcxtOrderPlacer(exchange, { symbols: [symbol] }), minUpdateIntervalMs: 0 });
    try {
      await registry.create(spec);
      await runUp(registry, venue, [101, 102, 105]);
      const writes = venue.requests
        .filter((request) => request.path === '/fapi/v1/algoOrder' && request.method !== 'GET')
        .map((request) => request.method);
      expect(writes[0]).toBe('POST');
      for (let index = 1; index < writes.length; index += 2) expect(writes.slice(index, index + 2)).toEqual(['POST', 'DELETE']);
      expect(venue.requestsTo('POST', '/v5/order/amend')).toEqual([]);
      const live = venue.openOrders();
      expect(live).toHaveLength(1);
      expect(live[0]!.triggerPrice).toBe('103.9');
      expect(registry.get(symbol)?.order?.id).toBe(String(live[0]!.algoId));
    } finally {
      await registry.close();
    }
  });

  it('bybit: moves amend the one conditional order in place', async () => {
    const { exchange, venue } = scriptedBybit();
    const registry = new TrailingStopRegistry({ placer: new CcxtOrderPlacer(exchange, { symbols: [symbol] }), minUpdateIntervalMs: 0 });
    try {
      const stop = await registry.create(spec);
      const orderId = stop.order?.id;
      await runUp(registry, venue, [101, 102, 105]);
      expect(venue.requestsTo('POST', '/v5/order/create')).toHaveLength(1);
      expect(venue.requestsTo('POST', '/v5/order/amend').length).toBeGreaterThan(0);
      expect(venue.requestsTo('POST', '/v5/order/cancel')).toEqual([]);
      const live = venue.openOrders();
      expect(live.map((order) => [order.orderId, order.triggerPrice])).toEqual([[orderId, '103.9']]);
    } finally {
      await registry.close();
    }
  });

  it('remove() cancels the venue stop', async () => {
    const { exchange, venue } = scriptedBinanceUsdm();
    const registry = new TrailingStopRegistry({ placer: new CcxtOrderPlacer(exchange, { symbols: [symbol] }) });
    try {
      await registry.create(spec);
      expect(venue.openOrders()).toHaveLength(1);
      await registry.remove(symbol);
      expect(venue.openOrders()).toEqual([]);
    } finally {
      await registry.close();
    }
  });
});
