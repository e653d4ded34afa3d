/**
 * A scripted OKX v5 venue (USDT-margined swaps, algo orders) behind a real ccxt `okx` instance:
 * ccxt builds, signs and parses every request; the venue answers with bodies shaped as OKX's
 * documentation shows and refuses what OKX refuses.
 *
 * @see https://www.okx.com/docs-v5/en/#order-book-trading-algo-trading-post-place-algo-order
 * @see https://www.okx.com/docs-v5/en/#order-book-trading-algo-trading-post-cancel-algo-order
 * @see https://www.okx.com/docs-v5/en/#order-book-trading-algo-trading-get-algo-order-details
 * @see https://www.okx.com/docs-v5/en/#order-book-trading-algo-trading-get-algo-order-list
 * @see https://www.okx.com/docs-v5/en/#error-code-rest-api
 */
import { readFileSync } from 'node:fs';
import { okx } from 'ccxt';
import { ScriptedVenue, testCredentials, type VenueRequest } from './scripted-venue.js';

/** The passphrase of the scripted OKX instance (recognizable for leak checks). */
export const okxPassphrase = 'LEAKCHECKpassphraseOKX';

/** An OKX algo order as "Get algo order details" returns it. */
export interface OkxAlgoOrder {
  activePx: string;
  actualPx: string;
  actualSide: string;
  actualSz: string;
  algoClOrdId: string;
  algoId: string;
  attachAlgoOrds: unknown[];
  cTime: string;
  callbackRatio: string;
  callbackSpread: string;
  ccy: string;
  clOrdId: string;
  closeFraction: string;
  failCode: string;
  instId: string;
  instType: string;
  last: string;
  lever: string;
  moveTriggerPx: string;
  ordId: string;
  ordIdList: string[];
  ordPx: string;
  ordType: string;
  posSide: string;
  reduceOnly: string;
  side: string;
  slOrdPx: string;
  slTriggerPx: string;
  slTriggerPxType: string;
  state: string;
  sz: string;
  tag: string;
  tdMode: string;
  tgtCcy: string;
  tpOrdPx: string;
  tpTriggerPx: string;
  tpTriggerPxType: string;
  triggerPx: string;
  triggerPxType: string;
  triggerTime: string;
  uTime: string;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

const ok = (data: unknown[]): Reply => ({ status: 200, body: { code: '0', msg: '', data } });
/** A refused item: top-level code 1 ("Operation failed"), the reason in `data[].sCode`. */
const refusedItem = (item: Record<string, string>, sCode: string, sMsg: string): Reply => ({
  status: 200,
  body: { code: '1', msg: '', data: [{ ...item, sCode, sMsg }] },
});
const failure = (code: string, msg: string, status = 200): Reply => ({ status, body: { code, msg, data: [] } });

/** Lot and tick of the scripted instruments (as in the instruments fixture). */
const instruments: Record<string, { lotSz: number; tickSz: number }> = {
  'BTC-USDT-SWAP': { lotSz: 0.01, tickSz: 0.1 },
  'ETH-USDT-SWAP': { lotSz: 0.01, tickSz: 0.01 },
};

const onGrid = (value: number, step: number) => Math.abs(value / step - Math.round(value / step)) < 1e-9;

/** OKX v5 algo-order service for USDT swaps. */
export class OkxVenue extends ScriptedVenue {
  /** Every algo order ever accepted, by algo id. */
  readonly orders = new Map<string, OkxAlgoOrder>();
  /** Regular (market) orders, in order. */
  readonly marketOrders: Record<string, unknown>[] = [];

  constructor() {
    super();
    this.prices.set('BTC-USDT-SWAP', 100);
    this.prices.set('ETH-USDT-SWAP', 10);
  }

  /** Live conditional orders, optionally of one instrument. */
  openOrders(instId?: string): OkxAlgoOrder[] {
    return [...this.orders.values()].filter((order) => order.state === 'live' && (instId === undefined || order.instId === instId));
  }

  protected onPrice(instId: string, price: number): void {
    for (const order of this.openOrders(instId)) {
      const trigger = Number(order.slTriggerPx);
      if (order.side === 'sell' ? price <= trigger : price >= trigger) {
        order.state = 'effective';
        order.ordIdList = [String(700_000 + this.nextId())];
        order.actualSz = order.sz;
        order.actualSide = 'sl';
        order.triggerTime = String(this.now());
        order.uTime = order.triggerTime;
      }
    }
  }

  protected handle(request: VenueRequest): Reply | undefined {
    const params = request.params as Record<string, unknown>;
    switch (`${request.method} ${request.path}`) {
      case 'POST /api/v5/trade/order-algo':
        return this.#create(params);
      case 'POST /api/v5/trade/cancel-algos':
        return this.#cancel(JSON.parse(request.body ?? '[]') as Record<string, string>[]);
      case 'GET /api/v5/trade/order-algo': {
        const order = this.#find(params);
        return order === undefined ? failure('51603', 'Order does not exist.') : ok([{ ...order }]);
      }
      case 'GET /api/v5/trade/orders-algo-pending': {
        if (typeof params['ordType'] !== 'string' || params['ordType'] === '') return failure('50014', 'Parameter ordType can not be empty.', 400);
        const types = params['ordType'].split(',');
        const list = this.openOrders(params['instId'] as string | undefined).filter((order) => types.includes(order.ordType));
        return ok(list.map((order) => ({ ...order })));
      }
      case 'POST /api/v5/trade/batch-orders':
      case 'POST /api/v5/trade/order':
        return this.#market(request);
      default:
        return undefined;
    }
  }

  #find(params: Record<string, unknown>): OkxAlgoOrder | undefined {
    if (typeof params['algoId'] === 'string') return this.orders.get(params['algoId']);
    const matches = [...this.orders.values()].filter((order) => order.algoClOrdId !== '' && order.algoClOrdId === params['algoClOrdId']);
    return matches.find((order) => order.state === 'live') ?? matches.at(-1);
  }

  #create(params: Record<string, unknown>): Reply {
    const algoClOrdId = typeof params['algoClOrdId'] === 'string' ? params['algoClOrdId'] : '';
    const item = { algoId: '', clOrdId: '', algoClOrdId, tag: '' };
    const instId = String(params['instId']);
    const instrument = instruments[instId];
    if (instrument === undefined) return refusedItem(item, '51001', "Instrument ID, Instrument ID code or Spread ID doesn't exist.");
    if (algoClOrdId !== '' && !/^[A-Za-z0-9]{1,32}$/.test(algoClOrdId)) return refusedItem(item, '51000', 'Parameter algoClOrdId error');
    if (params['ordType'] !== 'conditional' && params['ordType'] !== 'trigger') return refusedItem(item, '51000', 'Parameter ordType error');
    const size = Number(params['sz']);
    if (!(size >= instrument.lotSz) || !onGrid(size, instrument.lotSz)) return refusedItem(item, '51121', 'Order quantity must be a multiple of the lot size.');
    const trigger = Number(params['slTriggerPx']);
    if (!(trigger > 0) || !onGrid(trigger, instrument.tickSz)) return refusedItem(item, '51000', 'Parameter slTriggerPx error');
    if (algoClOrdId !== '' && [...this.orders.values()].some((order) => order.algoClOrdId === algoClOrdId)) {
      return refusedItem(item, '51065', 'algoClOrdId already exists.');
    }
    const last = this.price(instId);
    if (params['side'] === 'sell' && trigger >= last) return refusedItem(item, '51280', 'SL trigger price cannot be higher than the last price.');
    if (params['side'] === 'buy' && trigger <= last) return refusedItem(item, '51278', 'SL trigger price cannot be lower than the last price.');
    const time = String(this.now());
    const order: OkxAlgoOrder = {
      activePx: '',
      actualPx: '',
      actualSide: '',
      actualSz: '0',
      algoClOrdId,
      algoId: String(681_000_000_000_000_000n + BigInt(this.nextId())),
      attachAlgoOrds: [],
      cTime: time,
      callbackRatio: '',
      callbackSpread: '',
      ccy: '',
      clOrdId: typeof params['clOrdId'] === 'string' ? params['clOrdId'] : '',
      closeFraction: '',
      failCode: '0',
      instId,
      instType: 'SWAP',
      last: String(last),
      lever: '',
      moveTriggerPx: '',
      ordId: '',
      ordIdList: [],
      ordPx: '',
      ordType: String(params['ordType']),
      posSide: typeof params['posSide'] === 'string' ? params['posSide'] : 'net',
      reduceOnly: String(params['reduceOnly'] === true),
      side: String(params['side']),
      slOrdPx: String(params['slOrdPx']),
      slTriggerPx: String(params['slTriggerPx']),
      slTriggerPxType: typeof params['slTriggerPxType'] === 'string' ? params['slTriggerPxType'] : 'last',
      state: 'live',
      sz: String(params['sz']),
      tag: typeof params['tag'] === 'string' ? params['tag'] : '',
      tdMode: String(params['tdMode']),
      tgtCcy: '',
      tpOrdPx: '',
      tpTriggerPx: '',
      tpTriggerPxType: '',
      triggerPx: '',
      triggerPxType: '',
      triggerTime: '',
      uTime: time,
    };
    this.orders.set(order.algoId, order);
    return ok([{ algoId: order.algoId, clOrdId: order.clOrdId, algoClOrdId, sCode: '0', sMsg: '', tag: order.tag }]);
  }

  #cancel(items: Record<string, string>[]): Reply {
    const results = items.map((item) => {
      if (item['algoId'] === undefined && item['algoClOrdId'] === undefined) {
        return { algoId: '', algoClOrdId: '', sCode: '50015', sMsg: 'Either parameter algoId or algoClOrdId is required' };
      }
      const order = this.#find(item);
      const answer = { algoId: order?.algoId ?? item['algoId'] ?? '', algoClOrdId: order?.algoClOrdId ?? item['algoClOrdId'] ?? '' };
      if (order === undefined || order.state !== 'live') {
        return { ...answer, sCode: '51400', sMsg: 'Order cancellation failed as the order has been filled, canceled or does not exist.' };
      }
      order.state = 'canceled';
      order.uTime = String(this.now());
      return { ...answer, sCode: '0', sMsg: '' };
    });
    const failed = results.filter((result) => result.sCode !== '0').length;
    const code = failed === 0 ? '0' : failed === results.length ? '1' : '2';
    return { status: 200, body: { code, msg: '', data: results } };
  }

  #market(request: VenueRequest): Reply {
    const parsed = JSON.parse(request.body ?? '{}') as Record<string, unknown> | Record<string, unknown>[];
    const orders = Array.isArray(parsed) ? parsed : [parsed];
    const data = orders.map((order) => {
      const clOrdId = typeof order['clOrdId'] === 'string' ? order['clOrdId'] : '';
      if (clOrdId !== '' && this.marketOrders.some((placed) => placed['clOrdId'] === clOrdId)) {
        return { ordId: '', clOrdId, tag: '', sCode: '51016', sMsg: 'Client order ID already exists.' };
      }
      const ordId = String(700_000 + this.nextId());
      this.marketOrders.push({ ...order, ordId });
      return { ordId, clOrdId, tag: '', ts: String(this.now()), sCode: '0', sMsg: 'Order placed' };
    });
    const failed = data.some((item) => item.sCode !== '0');
    return { status: 200, body: { code: failed ? '1' : '0', msg: '', data, inTime: '', outTime: '' } };
  }
}

/** A real ccxt `okx` instance, markets parsed from the documented instruments body, HTTP answered by an {@link OkxVenue}. */
export function scriptedOkx(): { exchange: okx; venue: OkxVenue } {
  const exchange = new okx({
    apiKey: testCredentials.apiKey,
    secret: testCredentials.secret,
    password: okxPassphrase,
    enableRateLimit: false,
    options: { fetchCurrencies: false },
  });
  const body = JSON.parse(readFileSync(new URL('../fixtures/ccxt/okx-instruments.json', import.meta.url), 'utf8')) as { data: unknown[] };
  exchange.setMarkets(body.data.map((instrument) => exchange.parseMarket(instrument as Record<string, unknown>)));
  const venue = new OkxVenue();
  venue.attach(exchange);
  return { exchange, venue };
}
