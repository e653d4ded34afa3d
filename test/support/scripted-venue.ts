/**
 * Scripted venues for ccxt: real ccxt `binanceusdm` and `bybit` instances whose HTTP layer
 * (`fetchImplementation`) answers from a small in-memory simulation of the venue, so ccxt itself
 * builds, signs and parses every request and no byte leaves the process.
 *
 * Each venue keeps an order book of conditional orders, refuses what the real venue refuses
 * (duplicate client order ids, stops the market already crossed, unknown orders) with the real
 * error bodies, records every request for assertions, and can be told to answer the next matching
 * request with a fault (an error body, an HTTP status, a network failure, a timeout, or a lost
 * answer after executing).
 */
import { readFileSync } from 'node:fs';
import { binanceusdm, bybit } from 'ccxt';

/** One HTTP request as the venue received it. */
export interface VenueRequest {
  /** HTTP method. */
  readonly method: string;
  /** Full URL, query string included. */
  readonly url: string;
  /** URL path, e.g. `/fapi/v1/algoOrder`. */
  readonly path: string;
  /** Query and body parameters merged (form values as strings, JSON values as sent). */
  readonly params: Readonly<Record<string, unknown>>;
  /** Request headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Raw body, if any. */
  readonly body: string | undefined;
}

/** How the venue answers a request. */
export type VenueAnswer =
  | { readonly status: number; readonly body: unknown; readonly statusText?: string }
  /** The connection fails before anything reaches the venue (ccxt NetworkError). */
  | { readonly fail: 'network' | 'timeout' }
  /** The venue executes the request, then the answer is lost (ccxt NetworkError / RequestTimeout). */
  | { readonly loseAnswer: 'network' | 'timeout' };

/** What a simulated endpoint returns. */
interface Reply {
  readonly status: number;
  readonly body: unknown;
}

interface Fault {
  readonly method: string;
  readonly path: string;
  readonly answer: VenueAnswer;
}

/** Credentials the scripted instances use: recognizable, so leak tests can search for them. */
export const testCredentials = {
  apiKey: 'LEAKCHECKapikey0123456789ABCDEFleakcheckAPIKEY',
  secret: 'LEAKCHECKsecret9876543210fedcbaLEAKCHECKsecret',
} as const;

const statusTexts: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  418: "I'm a teapot",
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Shared plumbing of the scripted venues: request parsing, recording, faults, prices, clock. */
export abstract class ScriptedVenue {
  /** Every request received, in order. */
  readonly requests: VenueRequest[] = [];
  /** Market price per venue symbol (`BTCUSDT`). */
  protected readonly prices = new Map<string, number>([
    ['BTCUSDT', 100],
    ['ETHUSDT', 10],
  ]);
  readonly #faults: Fault[] = [];
  #time = 1_700_000_000_000;
  #nextId = 1;

  /**
   * Answers the next request to `method path` with `answer` instead of the simulation. Faults
   * queue up in order; each is used once.
   */
  failNext(method: string, path: string, answer: VenueAnswer): void {
    this.#faults.push({ method, path, answer });
  }

  /** Requests received for `method path`. */
  requestsTo(method: string, path: string): VenueRequest[] {
    return this.requests.filter((request) => request.method === method && request.path === path);
  }

  /** Sets the market price of a venue symbol; conditional orders it crosses fill. */
  setPrice(venueSymbol: string, price: number): void {
    this.prices.set(venueSymbol, price);
    this.onPrice(venueSymbol, price);
  }

  /** Makes `exchange` send its HTTP requests to this venue. */
  attach(exchange: { fetchImplementation: unknown }): void {
    exchange.fetchImplementation = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) =>
      this.#fetch(url, init);
  }

  /** A deterministic timestamp, one millisecond later on every call. */
  protected now(): number {
    return (this.#time += 1);
  }

  /** A fresh sequence number for ids. */
  protected nextId(): number {
    return this.#nextId++;
  }

  protected price(venueSymbol: string): number {
    const price = this.prices.get(venueSymbol);
    if (price === undefined) throw new Error(`scripted venue: no price for ${venueSymbol}`);
    return price;
  }

  /** The venue's own reaction to a price change (fills). */
  protected abstract onPrice(venueSymbol: string, price: number): void;

  /** Simulates one endpoint; `undefined` means the route is not scripted. */
  protected abstract handle(request: VenueRequest): Reply | undefined;

  async #fetch(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Response> {
    const request = parseRequest(url, init);
    this.requests.push(request);
    const index = this.#faults.findIndex((fault) => fault.method === request.method && fault.path === request.path);
    const fault = index === -1 ? undefined : this.#faults.splice(index, 1)[0]!.answer;
    if (fault !== undefined && 'fail' in fault) throw transportError(fault.fail);
    if (fault !== undefined && 'status' in fault) {
      return respond({ status: fault.status, body: fault.body }, fault.statusText);
    }
    const reply = this.handle(request);
    if (reply === undefined) throw new Error(`scripted venue: no route for ${request.method} ${request.path}`);
    if (fault !== undefined && 'loseAnswer' in fault) throw transportError(fault.loseAnswer);
    return respond(reply);
  }
}

function transportError(kind: 'network' | 'timeout'): Error {
  // ccxt maps AbortError to RequestTimeout and TypeError to NetworkError, as for its own fetch.
  return kind === 'timeout' ? new DOMException('The operation was aborted', 'AbortError') : new TypeError('fetch failed');
}

function respond(reply: Reply, statusText?: string): Response {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  return new Response(text, {
    status: reply.status,
    statusText: statusText ?? statusTexts[reply.status] ?? '',
    headers: { 'content-type': typeof reply.body === 'string' ? 'text/html' : 'application/json' },
  });
}

function parseRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string }): VenueRequest {
  const parsed = new URL(url);
  const params: Record<string, unknown> = Object.fromEntries(parsed.searchParams.entries());
  const headers = { ...init.headers };
  const body = typeof init.body === 'string' && init.body !== '' ? init.body : undefined;
  if (body !== undefined) {
    if (body.startsWith('{')) Object.assign(params, JSON.parse(body) as Record<string, unknown>);
    else Object.assign(params, Object.fromEntries(new URLSearchParams(body).entries()));
  }
  return { method: (init.method ?? 'GET').toUpperCase(), url, path: parsed.pathname, params, headers, body };
}

// ---------------------------------------------------------------------------------------------
// Binance USDⓈ-M
// ---------------------------------------------------------------------------------------------

/** A Binance USDⓈ-M algo order as the venue returns it. */
interface BinanceAlgoOrder {
  algoId: number;
  clientAlgoId: string;
  algoType: 'CONDITIONAL';
  orderType: string;
  symbol: string;
  side: string;
  positionSide: string;
  timeInForce: string;
  quantity: string;
  algoStatus: string;
  triggerPrice: string;
  price: string;
  workingType: string;
  priceProtect: boolean;
  reduceOnly: boolean;
  closePosition: boolean;
  callbackRate?: string;
  activatePrice?: string;
  createTime: number;
  updateTime: number;
  triggerTime: number;
  goodTillDate: number;
}

const binanceError = (code: number, msg: string): Reply => ({ status: 400, body: { code, msg } });

/** Binance USDⓈ-M futures: algo-order service for conditional orders, `/fapi/v1/order` for market orders. */
export class BinanceUsdmVenue extends ScriptedVenue {
  /** Every algo order ever accepted, by algo id. */
  readonly orders = new Map<number, BinanceAlgoOrder>();
  /** Market orders (closes), in order. */
  readonly marketOrders: Record<string, unknown>[] = [];

  /** Open algo orders, optionally of one venue symbol. */
  openOrders(venueSymbol?: string): BinanceAlgoOrder[] {
    return [...this.orders.values()].filter(
      (order) => order.algoStatus === 'NEW' && (venueSymbol === undefined || order.symbol === venueSymbol),
    );
  }

  protected onPrice(venueSymbol: string, price: number): void {
    for (const order of this.openOrders(venueSymbol)) {
      if (order.orderType !== 'STOP_MARKET') continue;
      const trigger = Number(order.triggerPrice);
      if (order.side === 'SELL' ? price <= trigger : price >= trigger) {
        order.algoStatus = 'FINISHED';
        order.updateTime = this.now();
        order.triggerTime = order.updateTime;
      }
    }
  }

  protected handle(request: VenueRequest): Reply | undefined {
    const route = `${request.method} ${request.path}`;
    const params = request.params as Record<string, string | undefined>;
    switch (route) {
      case 'POST /fapi/v1/algoOrder':
        return this.#create(params);
      case 'DELETE /fapi/v1/algoOrder': {
        const order = this.#find(params);
        if (order === undefined || order.algoStatus !== 'NEW') return binanceError(-2011, 'Unknown order sent.');
        order.algoStatus = 'CANCELED';
        order.updateTime = this.now();
        return { status: 200, body: { algoId: order.algoId, clientAlgoId: order.clientAlgoId, code: '200', msg: 'success' } };
      }
      case 'GET /fapi/v1/algoOrder': {
        const order = this.#find(params);
        return order === undefined ? binanceError(-2013, 'Order does not exist.') : { status: 200, body: { ...order } };
      }
      case 'GET /fapi/v1/openAlgoOrders':
        return { status: 200, body: this.openOrders(params.symbol).map((order) => ({ ...order })) };
      case 'POST /fapi/v1/order': {
        if (this.marketOrders.some((order) => order['clientOrderId'] === params.newClientOrderId)) {
          return binanceError(-4116, 'ClientOrderId is duplicated.');
        }
        const time = this.now();
        const order = {
          orderId: 4_000_000 + this.nextId(),
          symbol: params.symbol,
          status: 'FILLED',
          clientOrderId: params.newClientOrderId,
          price: '0',
          avgPrice: String(this.price(params.symbol!)),
          origQty: params.quantity,
          executedQty: params.quantity,
          cumQty: params.quantity,
          cumQuote: '0',
          timeInForce: 'GTC',
          type: 'MARKET',
          reduceOnly: params.reduceOnly === 'true',
          closePosition: false,
          side: params.side,
          positionSide: 'BOTH',
          stopPrice: '0',
          workingType: 'CONTRACT_PRICE',
          origType: 'MARKET',
          updateTime: time,
        };
        this.marketOrders.push(order);
        return { status: 200, body: order };
      }
      default:
        return undefined;
    }
  }

  #find(params: Record<string, string | undefined>): BinanceAlgoOrder | undefined {
    if (params.algoId !== undefined) return this.orders.get(Number(params.algoId));
    const matches = [...this.orders.values()].filter((order) => order.clientAlgoId === params.clientAlgoId);
    return matches.find((order) => order.algoStatus === 'NEW') ?? matches.at(-1);
  }

  #create(params: Record<string, string | undefined>): Reply {
    if (params.algoType !== 'CONDITIONAL') return binanceError(-1102, "Mandatory parameter 'algoType' was not sent.");
    if (this.openOrders().some((order) => order.clientAlgoId === params.clientAlgoId)) {
      return binanceError(-4116, 'ClientOrderId is duplicated.');
    }
    const price = this.price(params.symbol!);
    if (params.type === 'STOP_MARKET') {
      const trigger = Number(params.triggerPrice);
      if (params.side === 'SELL' ? trigger >= price : trigger <= price) return binanceError(-2021, 'Order would immediately trigger.');
    }
    const time = this.now();
    const order: BinanceAlgoOrder = {
      algoId: 3000 + this.nextId(),
      clientAlgoId: params.clientAlgoId!,
      algoType: 'CONDITIONAL',
      orderType: params.type!,
      symbol: params.symbol!,
      side: params.side!,
      positionSide: params.positionSide ?? 'BOTH',
      timeInForce: 'GTC',
      quantity: params.quantity!,
      algoStatus: 'NEW',
      triggerPrice: params.triggerPrice ?? '0',
      price: '0',
      workingType: params.workingType ?? 'CONTRACT_PRICE',
      priceProtect: false,
      reduceOnly: params.reduceOnly === 'true',
      closePosition: false,
      ...(params.callbackRate === undefined ? {} : { callbackRate: params.callbackRate }),
      ...(params.activationPrice === undefined ? {} : { activatePrice: params.activationPrice }),
      createTime: time,
      updateTime: time,
      triggerTime: 0,
      goodTillDate: 0,
    };
    this.orders.set(order.algoId, order);
    return { status: 200, body: { ...order } };
  }
}

// ---------------------------------------------------------------------------------------------
// Bybit v5
// ---------------------------------------------------------------------------------------------

/** A Bybit v5 order as `/v5/order/realtime` lists it. */
interface BybitOrder {
  orderId: string;
  orderLinkId: string;
  symbol: string;
  price: string;
  qty: string;
  side: string;
  isLeverage: string;
  positionIdx: number;
  orderStatus: string;
  cancelType: string;
  rejectReason: string;
  avgPrice: string;
  leavesQty: string;
  leavesValue: string;
  cumExecQty: string;
  cumExecValue: string;
  cumExecFee: string;
  timeInForce: string;
  orderType: string;
  stopOrderType: string;
  orderIv: string;
  triggerPrice: string;
  takeProfit: string;
  stopLoss: string;
  tpTriggerBy: string;
  slTriggerBy: string;
  triggerDirection: number;
  triggerBy: string;
  lastPriceOnCreated: string;
  reduceOnly: boolean;
  closeOnTrigger: boolean;
  smpType: string;
  smpGroup: number;
  smpOrderId: string;
  tpslMode: string;
  tpLimitPrice: string;
  slLimitPrice: string;
  placeType: string;
  createdTime: string;
  updatedTime: string;
}

const bybitReply = (retCode: number, retMsg: string, result: unknown = {}): Reply => ({
  status: 200,
  body: { retCode, retMsg, result, retExtInfo: {}, time: 1_700_000_000_000 },
});

/** Bybit's price format in trigger errors: the price scaled by 10^4, as an integer. */
const scaled = (price: number) => String(Math.round(price * 10_000));

/** Bybit v5 unified account, linear perpetuals: conditional orders through `/v5/order/*`. */
export class BybitVenue extends ScriptedVenue {
  /** Every order ever accepted, by order id. */
  readonly orders = new Map<string, BybitOrder>();
  /** Market orders without a trigger (closes), in order. */
  readonly marketOrders: Record<string, unknown>[] = [];

  /** Open (untriggered) conditional orders, optionally of one venue symbol. */
  openOrders(venueSymbol?: string): BybitOrder[] {
    return [...this.orders.values()].filter(
      (order) => order.orderStatus === 'Untriggered' && (venueSymbol === undefined || order.symbol === venueSymbol),
    );
  }

  protected onPrice(venueSymbol: string, price: number): void {
    for (const order of this.openOrders(venueSymbol)) {
      const trigger = Number(order.triggerPrice);
      if (order.triggerDirection === 2 ? price <= trigger : price >= trigger) {
        order.orderStatus = 'Filled';
        order.cumExecQty = order.qty;
        order.leavesQty = '0';
        order.updatedTime = String(this.now());
      }
    }
  }

  protected handle(request: VenueRequest): Reply | undefined {
    const route = `${request.method} ${request.path}`;
    const params = request.params;
    switch (route) {
      case 'GET /v5/user/query-api':
        // The real endpoint echoes the API key; it must never reach an error message.
        return bybitReply(0, '', { id: '1', note: 'test', apiKey: request.headers['X-BAPI-API-KEY'], readOnly: 0, uta: 1, unified: 0 });
      case 'GET /v5/account/info':
        return bybitReply(0, 'OK', { marginMode: 'REGULAR_MARGIN', unifiedMarginStatus: 5 });
      case 'POST /v5/order/create':
        return this.#create(params);
      case 'POST /v5/order/cancel': {
        const order = this.#findOpen(params);
        if (order === undefined) return bybitReply(110001, 'Order does not exist');
        order.orderStatus = 'Deactivated';
        order.cancelType = 'CancelByUser';
        order.updatedTime = String(this.now());
        return bybitReply(0, 'OK', { orderId: order.orderId, orderLinkId: order.orderLinkId });
      }
      case 'POST /v5/order/amend': {
        const order = this.#findOpen(params);
        if (order === undefined) return bybitReply(110001, 'Order does not exist');
        if (params['triggerPrice'] !== undefined) {
          const refusal = this.#crossed(order.symbol, order.triggerDirection, Number(params['triggerPrice']));
          if (refusal !== undefined) return refusal;
          order.triggerPrice = String(params['triggerPrice']);
        }
        if (typeof params['triggerBy'] === 'string') order.triggerBy = params['triggerBy'];
        order.updatedTime = String(this.now());
        return bybitReply(0, 'OK', { orderId: order.orderId, orderLinkId: order.orderLinkId });
      }
      case 'GET /v5/order/realtime':
        return this.#list(params, true);
      case 'GET /v5/order/history':
        return this.#list(params, false);
      default:
        return undefined;
    }
  }

  #findOpen(params: Readonly<Record<string, unknown>>): BybitOrder | undefined {
    return this.openOrders().find((order) =>
      params['orderId'] !== undefined ? order.orderId === params['orderId'] : order.orderLinkId === params['orderLinkId'],
    );
  }

  #crossed(venueSymbol: string, direction: number, trigger: number): Reply | undefined {
    const price = this.price(venueSymbol);
    if (direction === 1 && trigger <= price) {
      return bybitReply(110092, `expect Rising, but trigger_price[${scaled(trigger)}] <= current[${scaled(price)}]??LastPrice`);
    }
    if (direction === 2 && trigger >= price) {
      return bybitReply(110093, `expect Falling, but trigger_price[${scaled(trigger)}] >= current[${scaled(price)}]??LastPrice`);
    }
    return undefined;
  }

  #create(params: Readonly<Record<string, unknown>>): Reply {
    const orderLinkId = typeof params['orderLinkId'] === 'string' ? params['orderLinkId'] : '';
    const symbol = String(params['symbol']);
    // Bybit keeps orderLinkId unique across open and finished orders.
    const taken =
      [...this.orders.values()].some((order) => order.orderLinkId === orderLinkId) ||
      this.marketOrders.some((order) => order['orderLinkId'] === orderLinkId);
    if (orderLinkId !== '' && taken) return bybitReply(110072, 'OrderLinkedID is duplicate');
    const id = this.nextId();
    const orderId = `00000000-0000-4000-8000-${id.toString(16).padStart(12, '0')}`;
    if (params['triggerPrice'] === undefined) {
      this.marketOrders.push({ ...params, orderId });
      return bybitReply(0, 'OK', { orderId, orderLinkId });
    }
    const direction = Number(params['triggerDirection']);
    const refusal = this.#crossed(symbol, direction, Number(params['triggerPrice']));
    if (refusal !== undefined) return refusal;
    const time = String(this.now());
    const order: BybitOrder = {
      orderId,
      orderLinkId,
      symbol,
      price: '0',
      qty: String(params['qty']),
      side: String(params['side']),
      isLeverage: '',
      positionIdx: Number(params['positionIdx'] ?? 0),
      orderStatus: 'Untriggered',
      cancelType: 'UNKNOWN',
      rejectReason: 'EC_NoError',
      avgPrice: '',
      leavesQty: String(params['qty']),
      leavesValue: '0',
      cumExecQty: '0',
      cumExecValue: '0',
      cumExecFee: '0',
      timeInForce: 'IOC',
      orderType: String(params['orderType']),
      stopOrderType: 'Stop',
      orderIv: '',
      triggerPrice: String(params['triggerPrice']),
      takeProfit: '',
      stopLoss: '',
      tpTriggerBy: '',
      slTriggerBy: '',
      triggerDirection: direction,
      triggerBy: typeof params['triggerBy'] === 'string' ? params['triggerBy'] : 'LastPrice',
      lastPriceOnCreated: String(this.price(symbol)),
      reduceOnly: params['reduceOnly'] === true,
      closeOnTrigger: false,
      smpType: 'None',
      smpGroup: 0,
      smpOrderId: '',
      tpslMode: '',
      tpLimitPrice: '',
      slLimitPrice: '',
      placeType: '',
      createdTime: time,
      updatedTime: time,
    };
    this.orders.set(orderId, order);
    return bybitReply(0, 'OK', { orderId, orderLinkId });
  }

  #list(params: Readonly<Record<string, unknown>>, open: boolean): Reply {
    const list = [...this.orders.values()].filter(
      (order) =>
        (order.orderStatus === 'Untriggered') === open &&
        (params['symbol'] === undefined || order.symbol === params['symbol']) &&
        (params['orderId'] === undefined || order.orderId === params['orderId']) &&
        (params['orderLinkId'] === undefined || order.orderLinkId === params['orderLinkId']),
    );
    return bybitReply(0, 'OK', { list: list.map((order) => ({ ...order })), nextPageCursor: '', category: 'linear' });
  }
}

// ---------------------------------------------------------------------------------------------
// Instances
// ---------------------------------------------------------------------------------------------

function loadMarkets(file: string): unknown[] {
  return JSON.parse(readFileSync(new URL(`../fixtures/ccxt/${file}`, import.meta.url), 'utf8')) as unknown[];
}

/** Options of the scripted instances. */
export interface ScriptedExchangeOptions {
  /** API key. Default {@link testCredentials}. */
  readonly apiKey?: string;
  /** API secret. Default {@link testCredentials}. */
  readonly secret?: string;
}

/** A real ccxt `binanceusdm` instance, markets from the fixture, HTTP answered by a {@link BinanceUsdmVenue}. */
export function scriptedBinanceUsdm(options: ScriptedExchangeOptions = {}): { exchange: binanceusdm; venue: BinanceUsdmVenue } {
  const exchange = new binanceusdm({
    apiKey: options.apiKey ?? testCredentials.apiKey,
    secret: options.secret ?? testCredentials.secret,
    enableRateLimit: false, // ccxt's throttle would add timers; the venue answers at once
    options: { fetchCurrencies: false },
  });
  exchange.setMarkets(loadMarkets('binanceusdm-markets.json'));
  const venue = new BinanceUsdmVenue();
  venue.attach(exchange);
  return { exchange, venue };
}

/** A real ccxt `bybit` instance, markets from the fixture, HTTP answered by a {@link BybitVenue}. */
export function scriptedBybit(options: ScriptedExchangeOptions = {}): { exchange: bybit; venue: BybitVenue } {
  const exchange = new bybit({
    apiKey: options.apiKey ?? testCredentials.apiKey,
    secret: options.secret ?? testCredentials.secret,
    enableRateLimit: false,
    options: { fetchCurrencies: false },
  });
  exchange.setMarkets(loadMarkets('bybit-markets.json'));
  const venue = new BybitVenue();
  venue.attach(exchange);
  return { exchange, venue };
}
