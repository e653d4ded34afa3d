/**
 * A scripted BingX USDT-M perpetual venue (`/openApi/swap/v2`) behind a real ccxt `bingx`
 * instance: ccxt builds, signs and parses every request; the venue answers with bodies shaped as
 * BingX's documentation shows, stores `clientOrderID` lowercased as BingX does, and refuses what
 * BingX refuses. BingX documents no code for a duplicate `clientOrderID` or for a stop the market
 * already crossed: the venue answers those with its documented parameter-error code 80014 (the
 * placer does not rely on either code).
 *
 * @see https://bingx-api.github.io/docs/#/en-us/swapV2/trade-api.html#Place%20order
 * @see https://bingx-api.github.io/docs/#/en-us/swapV2/trade-api.html#Cancel%20Order
 * @see https://bingx-api.github.io/docs/#/en-us/swapV2/trade-api.html#Current%20All%20Open%20Orders
 * @see https://bingx-api.github.io/docs/#/en-us/swapV2/trade-api.html#User's%20History%20Orders
 * @see https://bingx-api.github.io/docs/swap/base-info.html
 */
import { bingx } from 'ccxt';
import { documentedMarkets, readFixture } from './ccxt-markets.js';
import { ScriptedVenue, testCredentials, type VenueRequest } from './scripted-venue.js';

/** A BingX swap order as "Query Order" and "Current All Open Orders" return it. */
export interface BingxOrder {
  symbol: string;
  orderId: number;
  side: string;
  positionSide: string;
  type: string;
  origQty: string;
  price: string;
  executedQty: string;
  avgPrice: string;
  cumQuote: string;
  stopPrice: string;
  profit: string;
  commission: string;
  status: string;
  time: number;
  updateTime: number;
  clientOrderId: string;
  leverage: string;
  workingType: string;
  onlyOnePosition: boolean;
  reduceOnly: boolean;
  stopGuaranteed: string;
  triggerOrderId: number;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

const ok = (data: unknown): Reply => ({ status: 200, body: { code: 0, msg: '', data } });
const failure = (code: number, msg: string): Reply => ({ status: 200, body: { code, msg, data: {} } });

const contracts = readFixture<{ data: { symbol: string; quantityPrecision: number; pricePrecision: number; tradeMinQuantity: number }[] }>(
  'bingx-contracts.json',
).data;

const onGrid = (value: number, decimals: number) => Math.abs(value * 10 ** decimals - Math.round(value * 10 ** decimals)) < 1e-6;

/** BingX USDT-M perpetuals: conditional and market orders through `/openApi/swap/v2/trade/order`. */
export class BingxVenue extends ScriptedVenue {
  /** Every order ever accepted, by order id. */
  readonly orders = new Map<number, BingxOrder>();

  constructor() {
    super();
    this.prices.set('BTC-USDT', 100);
    this.prices.set('ETH-USDT', 10);
  }

  /** Untriggered conditional orders, optionally of one symbol. */
  openOrders(symbol?: string): BingxOrder[] {
    return [...this.orders.values()].filter((order) => order.status === 'NEW' && (symbol === undefined || order.symbol === symbol));
  }

  protected onPrice(symbol: string, price: number): void {
    for (const order of this.openOrders(symbol)) {
      const trigger = Number(order.stopPrice);
      if (order.side === 'SELL' ? price <= trigger : price >= trigger) {
        order.status = 'FILLED';
        order.executedQty = order.origQty;
        order.avgPrice = String(price);
        order.updateTime = this.now();
      }
    }
  }

  protected handle(request: VenueRequest): Reply | undefined {
    const params = request.params as Record<string, string | undefined>;
    switch (`${request.method} ${request.path}`) {
      case 'POST /openApi/swap/v2/trade/order':
        return this.#create(params);
      case 'DELETE /openApi/swap/v2/trade/order': {
        const order = this.#find(params);
        if (order === undefined || order.status !== 'NEW') return failure(80016, 'order does not exist');
        order.status = 'CANCELLED';
        order.updateTime = this.now();
        return ok({ order: { ...order } });
      }
      case 'GET /openApi/swap/v2/trade/openOrders':
        return ok({ orders: this.openOrders(params.symbol).map((order) => ({ ...order })) });
      case 'GET /openApi/swap/v2/trade/allOrders':
        return ok({ orders: [...this.orders.values()].filter((order) => order.symbol === params.symbol).map((order) => ({ ...order })) });
      default:
        return undefined;
    }
  }

  #find(params: Record<string, string | undefined>): BingxOrder | undefined {
    if (params.orderId !== undefined) return this.orders.get(Number(params.orderId));
    const clientOrderId = params.clientOrderID?.toLowerCase();
    const matches = [...this.orders.values()].filter((order) => order.clientOrderId === clientOrderId);
    return matches.find((order) => order.status === 'NEW') ?? matches.at(-1);
  }

  #create(params: Record<string, string | undefined>): Reply {
    const contract = contracts.find((candidate) => candidate.symbol === params.symbol);
    if (contract === undefined) return failure(80014, 'Invalid parameters, err:symbol');
    const clientOrderId = (params.clientOrderID ?? '').toLowerCase(); // BingX stores it lowercased
    if (clientOrderId !== '' && clientOrderId.length > 40) return failure(80014, 'Invalid parameters, err:clientOrderID');
    const quantity = Number(params.quantity);
    if (!(quantity >= contract.tradeMinQuantity) || !onGrid(quantity, contract.quantityPrecision)) {
      return failure(80014, 'Invalid parameters, err:quantity');
    }
    if (clientOrderId !== '' && [...this.orders.values()].some((order) => order.clientOrderId === clientOrderId)) {
      return failure(80014, 'Invalid parameters, err:clientOrderID is repeated');
    }
    const type = params.type ?? '';
    const price = this.price(contract.symbol);
    const stopPrice = type === 'STOP_MARKET' ? Number(params.stopPrice) : 0;
    if (type === 'STOP_MARKET') {
      if (!(stopPrice > 0) || !onGrid(stopPrice, contract.pricePrecision)) return failure(80014, 'Invalid parameters, err:stopPrice');
      if (params.side === 'SELL' ? stopPrice >= price : stopPrice <= price) {
        return failure(80014, 'Invalid parameters, err:the stop price would trigger immediately');
      }
    } else if (type !== 'MARKET') {
      return failure(80014, 'Invalid parameters, err:type');
    }
    const time = this.now();
    const order: BingxOrder = {
      symbol: contract.symbol,
      orderId: 1_735_950_529_000_000 + this.nextId(),
      side: params.side ?? '',
      positionSide: params.positionSide ?? 'BOTH',
      type,
      origQty: params.quantity ?? '0',
      price: '0.0',
      executedQty: type === 'MARKET' ? (params.quantity ?? '0') : '0',
      avgPrice: type === 'MARKET' ? String(price) : '0.0',
      cumQuote: '0',
      stopPrice: type === 'STOP_MARKET' ? (params.stopPrice ?? '0') : '0.0',
      profit: '0.0000',
      commission: '0.000000',
      status: type === 'MARKET' ? 'FILLED' : 'NEW',
      time,
      updateTime: time,
      clientOrderId,
      leverage: '20X',
      workingType: params.workingType ?? 'MARK_PRICE',
      onlyOnePosition: false,
      reduceOnly: params.reduceOnly === 'true',
      stopGuaranteed: 'false',
      triggerOrderId: 0,
    };
    this.orders.set(order.orderId, order);
    const { symbol, orderId, side, positionSide, workingType } = order;
    return ok({ order: { symbol, orderId, side, positionSide, type, clientOrderID: clientOrderId, workingType } });
  }
}

/** Markets of the scripted instances, parsed by ccxt from the documented contract list. */
const markets = await documentedMarkets(new bingx({ options: { fetchCurrencies: false } }), (path) =>
  path === '/openApi/swap/v2/quote/contracts' ? readFixture('bingx-contracts.json') : { code: 0, msg: '', data: [] },
);

/** A real ccxt `bingx` instance, markets parsed from the documented contracts body, HTTP answered by a {@link BingxVenue}. */
export function scriptedBingx(): { exchange: bingx; venue: BingxVenue } {
  const exchange = new bingx({
    apiKey: testCredentials.apiKey,
    secret: testCredentials.secret,
    enableRateLimit: false,
    options: { fetchCurrencies: false },
  });
  exchange.setMarkets(markets as Parameters<bingx['setMarkets']>[0]);
  const venue = new BingxVenue();
  venue.attach(exchange);
  return { exchange, venue };
}
