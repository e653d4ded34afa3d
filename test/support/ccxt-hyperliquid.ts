/**
 * A scripted Hyperliquid venue (perpetuals, `POST /exchange` signed actions and `POST /info`
 * queries) behind a real ccxt `hyperliquid` instance: ccxt builds and signs every action with the
 * test wallet key and parses every answer; the venue answers with bodies shaped as Hyperliquid's
 * documentation shows and refuses what Hyperliquid refuses. Also answered: the builder-fee
 * approval, referrer and account-abstraction calls ccxt makes before its first order.
 *
 * Hyperliquid documents no message for a repeated `cloid`; the venue refuses one with
 * "Order has a duplicate cloid." (the placer does not rely on that text).
 *
 * @see https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/exchange-endpoint
 * @see https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/info-endpoint
 * @see https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/error-responses
 * @see https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/tick-and-lot-size
 */
import { hyperliquid } from 'ccxt';
import { documentedMarkets, readFixture } from './ccxt-markets.js';
import { ScriptedVenue, type VenueRequest } from './scripted-venue.js';

/** The test wallet: a recognizable private key (for leak checks) and an address. */
export const hyperliquidWallet = {
  privateKey: '0x4c45414b434845434b7072697661746520b6a1b2c3d4e5f60718293a4b5c6d7e',
  walletAddress: '0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a',
} as const;

/** A Hyperliquid order as `frontendOpenOrders` and `orderStatus` return it. */
export interface HyperliquidOrder {
  coin: string;
  isPositionTpsl: boolean;
  isTrigger: boolean;
  limitPx: string;
  oid: number;
  orderType: string;
  origSz: string;
  reduceOnly: boolean;
  side: 'A' | 'B';
  sz: string;
  timestamp: number;
  triggerCondition: string;
  triggerPx: string;
  cloid: string | null;
  tif: string | null;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

const ok = (type: string, statuses: unknown[]): Reply => ({ status: 200, body: { status: 'ok', response: { type, data: { statuses } } } });

const meta = readFixture<{ response: [{ universe: { name: string; szDecimals: number }[] }, unknown[]] }>(
  'hyperliquid-meta-and-asset-ctxs.json',
).response;

const onGrid = (value: number, decimals: number) => Math.abs(value * 10 ** decimals - Math.round(value * 10 ** decimals)) < 1e-6;

/** Hyperliquid perpetuals: reduce-only stop-market trigger orders. */
export class HyperliquidVenue extends ScriptedVenue {
  /** Every order ever accepted, by oid, with its lifecycle status. */
  readonly orders = new Map<number, { order: HyperliquidOrder; status: string; statusTimestamp: number }>();

  constructor() {
    super();
    this.prices.set('BTC', 100);
    this.prices.set('ETH', 10);
  }

  /** Untriggered trigger orders, optionally of one coin. */
  openOrders(coin?: string): HyperliquidOrder[] {
    return [...this.orders.values()]
      .filter((entry) => entry.status === 'open' && (coin === undefined || entry.order.coin === coin))
      .map((entry) => entry.order);
  }

  protected onPrice(coin: string, price: number): void {
    for (const entry of this.orders.values()) {
      if (entry.status !== 'open' || entry.order.coin !== coin) continue;
      this.#maybeTrigger(entry, price);
    }
  }

  /** A stop the mark reached triggers: its market order fills (the oid is then `filled`). */
  #maybeTrigger(entry: { order: HyperliquidOrder; status: string; statusTimestamp: number }, price: number): void {
    const trigger = Number(entry.order.triggerPx);
    if (entry.order.side === 'A' ? price > trigger : price < trigger) return;
    entry.status = 'filled';
    entry.order.sz = '0.0';
    entry.statusTimestamp = this.now();
  }

  protected handle(request: VenueRequest): Reply | undefined {
    const params = request.params as { type?: string; action?: { type?: string }; signature?: unknown; user?: string; oid?: unknown };
    if (request.method !== 'POST') return undefined;
    if (request.path === '/exchange') {
      if (params.signature === undefined) return { status: 200, body: { status: 'err', response: 'Missing signature' } };
      const action = params.action as Record<string, unknown>;
      switch (action['type']) {
        case 'approveBuilderFee':
        case 'setReferrer':
          return { status: 200, body: { status: 'ok', response: { type: 'default' } } };
        case 'order':
          return this.#place(action['orders'] as Record<string, unknown>[]);
        case 'cancel':
          return this.#cancel((action['cancels'] as { a: number; o: number }[]).map((item) => this.orders.get(item.o)));
        case 'cancelByCloid':
          return this.#cancel(
            (action['cancels'] as { asset: number; cloid: string }[]).map((item) =>
              [...this.orders.values()].find((entry) => entry.order.cloid === item.cloid.toLowerCase()),
            ),
          );
        default:
          return undefined;
      }
    }
    if (request.path === '/info') {
      switch (params.type) {
        case 'userAbstraction':
          return { status: 200, body: '"default"' };
        case 'frontendOpenOrders':
          return { status: 200, body: this.openOrders().map((order) => ({ ...order })) };
        case 'orderStatus': {
          const oid = params.oid;
          const entry =
            typeof oid === 'string' && oid.startsWith('0x')
              ? [...this.orders.values()].find((candidate) => candidate.order.cloid === oid.toLowerCase())
              : this.orders.get(Number(oid));
          if (entry === undefined) return { status: 200, body: { status: 'unknownOid' } };
          return { status: 200, body: { status: 'order', order: { order: { ...entry.order }, status: entry.status, statusTimestamp: entry.statusTimestamp } } };
        }
        default:
          return undefined;
      }
    }
    return undefined;
  }

  #place(orders: Record<string, unknown>[]): Reply {
    const statuses = orders.map((wire) => {
      const asset = meta[0].universe[Number(wire['a'])];
      if (asset === undefined) return { error: 'Invalid asset' };
      const size = Number(wire['s']);
      if (!(size > 0) || !onGrid(size, asset.szDecimals)) return { error: 'Order has invalid size.' };
      const trigger = (wire['t'] as { trigger?: { isMarket: boolean; triggerPx: string; tpsl: string } }).trigger;
      if (trigger === undefined) return { error: 'Only trigger orders are scripted' };
      const triggerPx = Number(trigger.triggerPx);
      if (!onGrid(triggerPx, 6 - asset.szDecimals) || !onGrid(Number(wire['p']), 6 - asset.szDecimals)) {
        return { error: 'Price must be divisible by tick size. asset=' + String(wire['a']) };
      }
      if (size * triggerPx < 10) return { error: 'Order must have minimum value of $10. asset=' + String(wire['a']) };
      const cloid = typeof wire['c'] === 'string' ? wire['c'].toLowerCase() : null;
      if (cloid !== null && !/^0x[0-9a-f]{32}$/.test(cloid)) return { error: 'Invalid cloid' };
      if (cloid !== null && [...this.orders.values()].some((entry) => entry.order.cloid === cloid)) {
        return { error: 'Order has a duplicate cloid.' };
      }
      const isSell = wire['b'] === false;
      const time = this.now();
      const order: HyperliquidOrder = {
        coin: asset.name,
        isPositionTpsl: false,
        isTrigger: true,
        limitPx: String(wire['p']),
        oid: 77_738_300 + this.nextId(),
        orderType: trigger.tpsl === 'sl' ? (trigger.isMarket ? 'Stop Market' : 'Stop Limit') : trigger.isMarket ? 'Take Profit Market' : 'Take Profit Limit',
        origSz: String(wire['s']),
        reduceOnly: wire['r'] === true,
        side: isSell ? 'A' : 'B',
        sz: String(wire['s']),
        timestamp: time,
        triggerCondition: `Price ${isSell ? 'below' : 'above'} ${trigger.triggerPx}`,
        triggerPx: trigger.triggerPx,
        cloid,
        tif: null,
      };
      const entry = { order, status: 'open', statusTimestamp: time };
      this.orders.set(order.oid, entry);
      this.#maybeTrigger(entry, this.price(asset.name)); // a stop the mark already crossed triggers at once
      return { resting: { oid: order.oid, ...(cloid === null ? {} : { cloid }) } };
    });
    return ok('order', statuses);
  }

  #cancel(entries: ({ order: HyperliquidOrder; status: string; statusTimestamp: number } | undefined)[]): Reply {
    const statuses = entries.map((entry) => {
      if (entry === undefined || entry.status !== 'open') return { error: 'Order was never placed, already canceled, or filled.' };
      entry.status = 'canceled';
      entry.statusTimestamp = this.now();
      return 'success';
    });
    return ok('cancel', statuses);
  }
}

/** Markets of the scripted instances, parsed by ccxt from the documented `metaAndAssetCtxs` answer. */
const markets = await documentedMarkets(
  new hyperliquid({ options: { fetchMarkets: { types: ['swap'] }, fetchCurrencies: false } }),
  () => meta,
);

/** A real ccxt `hyperliquid` instance, markets parsed from the documented meta, HTTP answered by a {@link HyperliquidVenue}. */
export function scriptedHyperliquid(): { exchange: hyperliquid; venue: HyperliquidVenue } {
  const exchange = new hyperliquid({
    privateKey: hyperliquidWallet.privateKey,
    walletAddress: hyperliquidWallet.walletAddress,
    enableRateLimit: false,
    options: { fetchCurrencies: false },
  });
  exchange.setMarkets(markets as Parameters<hyperliquid['setMarkets']>[0]);
  const venue = new HyperliquidVenue();
  venue.attach(exchange);
  return { exchange, venue };
}
