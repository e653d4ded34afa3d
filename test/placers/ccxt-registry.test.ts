/**
 * The registry over CcxtOrderPlacer and scripted venues: the adapter's declared capabilities decide
 * how a stop moves (Binance: make-before-break, the new stop placed before the old is cancelled;
 * Bybit: amended in place), and the venue ends with exactly one live stop at the trailed price.
 */
import { describe, expect, it } from 'vitest';
import { TrailingStopRegistry } from '../../src/index.js';
import { CcxtOrderPlacer } from '../../src/placers/ccxt.js';
import { scriptedBinanceUsdm, scriptedBybit, type ScriptedVenue } from '../support/scripted-venue.js';
import { scriptedOkx, type OkxVenue } from '../support/ccxt-okx.js';
import { scriptedKucoinFutures, type KucoinFuturesVenue } from '../support/ccxt-kucoinfutures.js';
import { scriptedBingx, type BingxVenue } from '../support/ccxt-bingx.js';
import { scriptedBitget, type BitgetVenue } from '../support/ccxt-bitget.js';
import { scriptedHyperliquid, type HyperliquidVenue } from '../support/ccxt-hyperliquid.js';
import { clientOrderIdBase, clientOrderIdFor } from '../../src/domain/client-order-id.js';

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

/** The spec the per-venue tests start from. */
const baseSpec = spec;

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

/** A scripted venue of a profiled exchange, as the registry tests below need it. */
interface VenueCase {
  readonly name: string;
  readonly make: () => { exchange: ConstructorParameters<typeof CcxtOrderPlacer>[0]; venue: ScriptedVenue & { openOrders(): unknown[] } };
  /** Unified symbol and position size there (default `BTC/USDT:USDT`, 0.01). */
  readonly symbol?: string;
  readonly quantity?: number;
  /** The venue symbol its prices are set under. */
  readonly venueSymbol: string;
  /** The trigger price of the one live order, as the venue stores it. */
  readonly liveTrigger: (venue: ScriptedVenue & { openOrders(): unknown[] }) => string;
  /** Whether a request (`METHOD path`) places a stop / cancels one. */
  readonly place: (route: string) => boolean;
  readonly cancel: (route: string) => boolean;
}

const venueCases: VenueCase[] = [
  {
    name: 'okx',
    make: scriptedOkx,
    venueSymbol: 'BTC-USDT-SWAP',
    liveTrigger: (venue) => (venue as OkxVenue).openOrders()[0]!.slTriggerPx,
    place: (route) => route === 'POST /api/v5/trade/order-algo',
    cancel: (route) => route === 'POST /api/v5/trade/cancel-algos',
  },
  {
    name: 'kucoinfutures',
    make: scriptedKucoinFutures,
    venueSymbol: 'XBTUSDTM',
    liveTrigger: (venue) => String((venue as KucoinFuturesVenue).openOrders()[0]!.stopPrice),
    place: (route) => route === 'POST /api/v1/orders',
    cancel: (route) => route.startsWith('DELETE /api/v1/orders/'),
  },
  {
    name: 'bingx',
    make: scriptedBingx,
    venueSymbol: 'BTC-USDT',
    liveTrigger: (venue) => String(Number((venue as BingxVenue).openOrders()[0]!.stopPrice)),
    place: (route) => route === 'POST /openApi/swap/v2/trade/order',
    cancel: (route) => route === 'DELETE /openApi/swap/v2/trade/order',
  },
  {
    name: 'bitget',
    make: scriptedBitget,
    venueSymbol: 'BTCUSDT',
    liveTrigger: (venue) => (venue as BitgetVenue).openOrders()[0]!.triggerPrice,
    place: (route) => route === 'POST /api/v2/mix/order/place-tpsl-order',
    cancel: (route) => route === 'POST /api/v2/mix/order/cancel-plan-order',
  },
  {
    name: 'hyperliquid',
    make: scriptedHyperliquid,
    symbol: 'BTC/USDC:USDC',
    quantity: 0.2, // Hyperliquid orders must be worth $10
    venueSymbol: 'BTC',
    liveTrigger: (venue) => (venue as HyperliquidVenue).openOrders()[0]!.triggerPx,
    // Every action is POST /exchange: tell placements from cancels by the action's type.
    place: (route) => route === 'POST /exchange order',
    cancel: (route) => route === 'POST /exchange cancel' || route === 'POST /exchange cancelByCloid',
  },
];

/** `METHOD path`, plus the action type of a Hyperliquid `/exchange` request. */
function routeOf(request: ScriptedVenue['requests'][number]): string {
  const action = (request.params as { action?: { type?: unknown } }).action;
  return typeof action?.type === 'string' ? `${request.method} ${request.path} ${action.type}` : `${request.method} ${request.path}`;
}

describe.each(venueCases)('TrailingStopRegistry over CcxtOrderPlacer on $name', (venueCase) => {
  const symbol = venueCase.symbol ?? 'BTC/USDT:USDT';
  const quantity = venueCase.quantity ?? 0.01;
  const spec = { ...baseSpec, symbol, quantity };
  it('each move places the new stop before cancelling the old one, leaving exactly one stop', async () => {
    const { exchange, venue } = venueCase.make();
    const registry = new TrailingStopRegistry({ placer: new CcxtOrderPlacer(exchange, { symbols: [symbol] }), minUpdateIntervalMs: 0 });
    try {
      await registry.create(spec);
      for (const price of [101, 102, 105]) {
        venue.setPrice(venueCase.venueSymbol, price);
        registry.updatePrice(symbol, price);
        await registry.onIdle();
      }
      const writes = venue.requests
        .map(routeOf)
        .filter((route) => venueCase.place(route) || venueCase.cancel(route))
        .map((route) => (venueCase.place(route) ? 'place' : 'cancel'));
      expect(writes[0]).toBe('place');
      expect(writes.length).toBeGreaterThan(2);
      for (let index = 1; index < writes.length; index += 2) expect(writes.slice(index, index + 2)).toEqual(['place', 'cancel']);
      expect(venue.openOrders()).toHaveLength(1);
      expect(venueCase.liveTrigger(venue)).toBe('103.9');
      await registry.remove(symbol);
      expect(venue.openOrders()).toEqual([]);
    } finally {
      await registry.close();
    }
  });

  it("reconcile() keeps the registry's live stop (its venue id form mapped back) and cancels an orphan with its prefix", async () => {
    const { exchange, venue } = venueCase.make();
    const placer = new CcxtOrderPlacer(exchange, { symbols: [symbol] });
    const registry = new TrailingStopRegistry({ placer });
    try {
      const stop = await registry.create(spec);
      const base = clientOrderIdBase('tsr', 'ETH-elsewhere', 'gone-position', placer.capabilities.clientOrderIdMaxLength!);
      const orphan = await placer.placeStop(
        { symbol, side: 'sell', quantity, stopPrice: 90, clientOrderId: clientOrderIdFor(base, 1) },
        { signal: new AbortController().signal },
      );
      expect(venue.openOrders()).toHaveLength(2);
      await registry.reconcile();
      const live = await placer.openStops({ signal: new AbortController().signal });
      expect(live.map((order) => order.id)).toEqual([stop.order!.id]);
      expect(live.map((order) => order.id)).not.toContain(orphan.id);
    } finally {
      await registry.close();
    }
  });

  it('create() with a symbol the markets do not know rejects with ValidationError before any I/O', async () => {
    const { exchange, venue } = venueCase.make();
    const registry = new TrailingStopRegistry({ placer: new CcxtOrderPlacer(exchange) });
    try {
      await expect(registry.create({ ...spec, symbol: 'BTCUSDT' })).rejects.toMatchObject({ name: 'ValidationError', field: 'symbol' });
      expect(venue.requests).toEqual([]);
    } finally {
      await registry.close();
    }
  });
});
