/**
 * A scripted KuCoin Futures venue (classic account, USDT perpetuals, stop orders) behind a real
 * ccxt `kucoinfutures` instance: ccxt builds, signs and parses every request; the venue answers
 * with bodies shaped as KuCoin's documentation shows and refuses what KuCoin refuses.
 *
 * @see https://www.kucoin.com/docs-new/rest/futures-trading/orders/add-order
 * @see https://www.kucoin.com/docs-new/rest/futures-trading/orders/cancel-order-by-orderld
 * @see https://www.kucoin.com/docs-new/rest/futures-trading/orders/cancel-order-by-clientoid
 * @see https://www.kucoin.com/docs-new/rest/futures-trading/orders/get-stop-order-list
 * @see https://www.kucoin.com/docs-new/rest/futures-trading/orders/get-order-by-clientoid
 * @see https://www.kucoin.com/docs-new/rest/ua/get-account-mode
 * @see https://www.kucoin.com/docs/basic-info/errors-code/futures-errors-code
 */
import { kucoinfutures } from 'ccxt';
import { documentedMarkets, readFixture } from './ccxt-markets.js';
import { ScriptedVenue, testCredentials, type VenueRequest } from './scripted-venue.js';

/** The passphrase of the scripted KuCoin instance (recognizable for leak checks). */
export const kucoinPassphrase = 'LEAKCHECKpassphraseKC';

/** A KuCoin Futures order as "Get Order" and the stop-order list return it. */
export interface KucoinOrder {
  id: string;
  symbol: string;
  type: string;
  side: string;
  price: string | null;
  size: number;
  value: string;
  dealValue: string;
  dealSize: number;
  stp: string;
  stop: string;
  stopPriceType: string;
  stopTriggered: boolean;
  stopPrice: string | null;
  timeInForce: string;
  postOnly: boolean;
  hidden: boolean;
  iceberg: boolean;
  leverage: string;
  forceHold: boolean;
  closeOrder: boolean;
  visibleSize: number | null;
  clientOid: string;
  remark: string | null;
  tags: string;
  isActive: boolean;
  cancelExist: boolean;
  createdAt: number;
  updatedAt: number;
  endAt: number | null;
  orderTime: number;
  settleCurrency: string;
  marginMode: string;
  avgDealPrice: string;
  filledSize: number;
  filledValue: string;
  status: string;
  reduceOnly: boolean;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

const ok = (data: unknown): Reply => ({ status: 200, body: { code: '200000', data } });
const failure = (code: string, msg: string, status = 200): Reply => ({ status, body: { code, msg } });

const contracts = readFixture<{ data: { symbol: string; lotSize: number; tickSize: number }[] }>('kucoinfutures-contracts.json').data;

/** KuCoin Futures classic account, stop orders on USDT perpetuals. */
export class KucoinFuturesVenue extends ScriptedVenue {
  /** Every order ever accepted, by order id. */
  readonly orders = new Map<string, KucoinOrder>();

  constructor() {
    super();
    this.prices.set('XBTUSDTM', 100);
    this.prices.set('ETHUSDTM', 10);
  }

  /** Untriggered stop orders, optionally of one contract. */
  openOrders(symbol?: string): KucoinOrder[] {
    return [...this.orders.values()].filter(
      (order) => order.isActive && !order.stopTriggered && order.stop !== '' && (symbol === undefined || order.symbol === symbol),
    );
  }

  protected onPrice(symbol: string, price: number): void {
    for (const order of this.openOrders(symbol)) this.#maybeTrigger(order, price);
  }

  /** A stop the price reached triggers: its market order fills at once (the order becomes inactive). */
  #maybeTrigger(order: KucoinOrder, price: number): void {
    const trigger = Number(order.stopPrice);
    if (order.stop === 'down' ? price > trigger : price < trigger) return;
    order.stopTriggered = true;
    order.isActive = false;
    order.status = 'done';
    order.dealSize = order.size;
    order.filledSize = order.size;
    order.updatedAt = this.now();
    order.endAt = order.updatedAt;
  }

  protected handle(request: VenueRequest): Reply | undefined {
    const params = request.params as Record<string, unknown>;
    const route = `${request.method} ${request.path}`;
    if (route === 'GET /api/ua/v1/account/mode') return ok({ selfAccountMode: 'CLASSIC' });
    if (route === 'POST /api/v1/orders') return this.#create(params);
    if (route === 'GET /api/v1/stopOrders') {
      const items = this.openOrders(params['symbol'] as string | undefined).map((order) => ({ ...order }));
      return ok({ currentPage: 1, pageSize: 50, totalNum: items.length, totalPage: 1, items });
    }
    if (route === 'GET /api/v1/orders/byClientOid') {
      const order = this.#byClientOid(String(params['clientOid']));
      return ok(order === undefined ? null : { ...order });
    }
    const byClientOid = /^\/api\/v1\/orders\/client-order\/(.+)$/.exec(request.path);
    if (request.method === 'DELETE' && byClientOid !== null) {
      if (params['symbol'] === undefined) return failure('100001', 'There are invalid parameters');
      const order = this.#byClientOid(decodeURIComponent(byClientOid[1]!));
      if (order === undefined || !order.isActive) return failure('100004', 'Order is in not cancelable state');
      this.#cancel(order);
      return ok({ clientOid: order.clientOid });
    }
    const byId = /^\/api\/v1\/orders\/([^/]+)$/.exec(request.path);
    if (request.method === 'DELETE' && byId !== null) {
      if (Object.keys(params).length > 0) return failure('100001', 'There are invalid parameters');
      const order = this.orders.get(byId[1]!);
      if (order === undefined || !order.isActive) return failure('100004', 'Order is in not cancelable state');
      this.#cancel(order);
      return ok({ cancelledOrderIds: [order.id] });
    }
    return undefined;
  }

  #byClientOid(clientOid: string): KucoinOrder | undefined {
    const matches = [...this.orders.values()].filter((order) => order.clientOid === clientOid);
    return matches.find((order) => order.isActive) ?? matches.at(-1);
  }

  #cancel(order: KucoinOrder): void {
    order.isActive = false;
    order.cancelExist = true;
    order.status = 'done';
    order.updatedAt = this.now();
    order.endAt = order.updatedAt;
  }

  #create(params: Record<string, unknown>): Reply {
    const symbol = String(params['symbol']);
    const contract = contracts.find((candidate) => candidate.symbol === symbol);
    if (contract === undefined) return failure('100003', 'Contract parameter invalid');
    const clientOid = String(params['clientOid']);
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(clientOid)) return failure('100001', 'There are invalid parameters');
    const size = params['size'];
    if (typeof size !== 'number' || !Number.isInteger(size) || size < contract.lotSize) {
      return failure('100001', 'There are invalid parameters'); // whole contracts only
    }
    if (params['trigger'] !== undefined) return failure('100001', 'There are invalid parameters');
    if ([...this.orders.values()].some((order) => order.clientOid === clientOid && order.isActive)) {
      return failure('300018', 'clientOid duplicated');
    }
    const stop = typeof params['stop'] === 'string' ? params['stop'] : '';
    if (stop !== '' && stop !== 'down' && stop !== 'up') return failure('100001', 'There are invalid parameters');
    const stopPrice = stop === '' ? null : String(params['stopPrice']);
    if (stopPrice !== null && Math.abs(Number(stopPrice) / contract.tickSize - Math.round(Number(stopPrice) / contract.tickSize)) > 1e-9) {
      return failure('100001', 'There are invalid parameters');
    }
    const time = this.now();
    const id = (0x64507d02921f1c0001ff6800n + BigInt(this.nextId())).toString(16);
    const order: KucoinOrder = {
      id,
      symbol,
      type: String(params['type']),
      side: String(params['side']),
      price: null,
      size,
      value: '0',
      dealValue: '0',
      dealSize: 0,
      stp: '',
      stop,
      stopPriceType: stop === '' ? '' : String(params['stopPriceType'] ?? 'TP'),
      stopTriggered: false,
      stopPrice,
      timeInForce: 'GTC',
      postOnly: false,
      hidden: false,
      iceberg: false,
      leverage: String(params['leverage'] ?? '1'),
      forceHold: false,
      closeOrder: false,
      visibleSize: null,
      clientOid,
      remark: null,
      tags: '',
      isActive: true,
      cancelExist: false,
      createdAt: time,
      updatedAt: time,
      endAt: null,
      orderTime: time * 1_000_000,
      settleCurrency: 'USDT',
      marginMode: 'ISOLATED',
      avgDealPrice: '0',
      filledSize: 0,
      filledValue: '0',
      status: 'open',
      reduceOnly: params['reduceOnly'] === true,
    };
    this.orders.set(id, order);
    if (stop !== '') {
      this.#maybeTrigger(order, this.price(symbol)); // a stop already crossed triggers at once
    } else {
      order.isActive = false; // a market order fills at once
      order.status = 'done';
      order.dealSize = size;
      order.filledSize = size;
    }
    return ok({ orderId: id, clientOid });
  }
}

/** Markets of the scripted instances, parsed by ccxt from the documented contract list. */
const markets = await documentedMarkets(new kucoinfutures({ options: { fetchCurrencies: false } }), (path) =>
  path === '/api/v1/contracts/active' ? readFixture('kucoinfutures-contracts.json') : { code: '200000', data: [] },
);

/** A real ccxt `kucoinfutures` instance, markets parsed from the documented contracts body, HTTP answered by a {@link KucoinFuturesVenue}. */
export function scriptedKucoinFutures(): { exchange: kucoinfutures; venue: KucoinFuturesVenue } {
  const exchange = new kucoinfutures({
    apiKey: testCredentials.apiKey,
    secret: testCredentials.secret,
    password: kucoinPassphrase,
    enableRateLimit: false,
    options: { fetchCurrencies: false },
  });
  exchange.setMarkets(markets as Parameters<kucoinfutures['setMarkets']>[0]);
  const venue = new KucoinFuturesVenue();
  venue.attach(exchange);
  return { exchange, venue };
}
