/**
 * A scripted Bitget venue (classic account, v2 mix API, USDT-M perpetuals in one-way mode, TP/SL
 * plan orders) behind a real ccxt `bitget` instance: ccxt builds, signs and parses every request;
 * the venue answers with bodies shaped as Bitget's documentation shows and refuses what Bitget
 * refuses, including cancels reported in `failureList` with HTTP 200 and code `00000`.
 *
 * ccxt first asks `GET /api/v3/account/settings` (unified account?); a classic account is answered
 * with an error, which ccxt takes as "classic" (any error does). No documented code for a
 * duplicate `clientOid` was found: the venue answers 40786 "Duplicate clientOid", and the placer
 * does not rely on that code.
 *
 * @see https://www.bitget.com/api-doc/contract/plan/Place-Tpsl-Order
 * @see https://www.bitget.com/api-doc/contract/plan/Cancel-Plan-Order
 * @see https://www.bitget.com/api-doc/contract/plan/get-orders-plan-pending
 * @see https://www.bitget.com/api-doc/contract/plan/orders-plan-history
 * @see https://www.bitget.com/api-doc/common/error-code/restapi
 */
import { bitget } from 'ccxt';
import { documentedMarkets, readFixture } from './ccxt-markets.js';
import { ScriptedVenue, testCredentials, type VenueRequest } from './scripted-venue.js';

/** The passphrase of the scripted Bitget instance (recognizable for leak checks). */
export const bitgetPassphrase = 'LEAKCHECKpassphraseBG';

/** A Bitget TP/SL plan order as `orders-plan-pending` lists it. */
export interface BitgetPlanOrder {
  planType: string;
  symbol: string;
  size: string;
  orderId: string;
  clientOid: string;
  price: string;
  executePrice: string;
  callbackRatio: string;
  triggerPrice: string;
  triggerType: string;
  planStatus: string;
  side: string;
  posSide: string;
  marginCoin: string;
  marginMode: string;
  enterPointSource: string;
  tradeSide: string;
  posMode: string;
  orderType: string;
  stopSurplusTriggerPrice: string;
  stopSurplusExecutePrice: string;
  stopSurplusTriggerType: string;
  stopLossTriggerPrice: string;
  stopLossExecutePrice: string;
  stopLossTriggerType: string;
  cTime: string;
  uTime: string;
}

interface Reply {
  readonly status: number;
  readonly body: unknown;
}

const ok = (data: unknown): Reply => ({ status: 200, body: { code: '00000', msg: 'success', requestTime: 1_700_000_000_000, data } });
const failure = (code: string, msg: string, status = 400): Reply => ({
  status,
  body: { code, msg, requestTime: 1_700_000_000_000, data: null },
});

const contracts = readFixture<{ data: { symbol: string; volumePlace: string; pricePlace: string; minTradeNum: string }[] }>(
  'bitget-contracts.json',
).data;

const onGrid = (value: number, decimals: number) => Math.abs(value * 10 ** decimals - Math.round(value * 10 ** decimals)) < 1e-6;

/** Bitget classic account, v2 mix TP/SL plan orders on USDT-M perpetuals (one-way mode). */
export class BitgetVenue extends ScriptedVenue {
  /** Every plan order ever accepted, by order id. */
  readonly orders = new Map<string, BitgetPlanOrder>();

  constructor() {
    super();
    this.prices.set('BTCUSDT', 100);
    this.prices.set('ETHUSDT', 10);
  }

  /** Live plan orders, optionally of one symbol. */
  openOrders(symbol?: string): BitgetPlanOrder[] {
    return [...this.orders.values()].filter((order) => order.planStatus === 'live' && (symbol === undefined || order.symbol === symbol));
  }

  protected onPrice(symbol: string, price: number): void {
    for (const order of this.openOrders(symbol)) {
      const trigger = Number(order.triggerPrice);
      if (order.side === 'sell' ? price <= trigger : price >= trigger) {
        order.planStatus = 'executed';
        order.uTime = String(this.now());
      }
    }
  }

  protected handle(request: VenueRequest): Reply | undefined {
    const params = request.params as Record<string, unknown>;
    switch (`${request.method} ${request.path}`) {
      case 'GET /api/v3/account/settings':
        return failure('40084', 'You are in classic account mode');
      case 'POST /api/v2/mix/order/place-tpsl-order':
        return this.#create(params);
      case 'POST /api/v2/mix/order/cancel-plan-order':
        return this.#cancel(params);
      case 'GET /api/v2/mix/order/orders-plan-pending':
        return this.#list(params, true);
      case 'GET /api/v2/mix/order/orders-plan-history':
        return this.#list(params, false);
      default:
        return undefined;
    }
  }

  #list(params: Record<string, unknown>, pending: boolean): Reply {
    if (params['planType'] === undefined) return failure('40019', 'Parameter planType cannot be empty');
    const list = [...this.orders.values()].filter(
      (order) =>
        (order.planStatus === 'live') === pending &&
        (params['planType'] === 'profit_loss' ? ['profit_plan', 'loss_plan', 'pos_profit', 'pos_loss'].includes(order.planType) : order.planType === params['planType']) &&
        (params['symbol'] === undefined || order.symbol === params['symbol']) &&
        (params['clientOid'] === undefined || order.clientOid === params['clientOid']),
    );
    return ok({ entrustedList: list.length === 0 ? null : list.map((order) => ({ ...order })), endId: list.at(-1)?.orderId ?? null });
  }

  #create(params: Record<string, unknown>): Reply {
    const contract = contracts.find((candidate) => candidate.symbol === params['symbol']);
    if (contract === undefined) return failure('40034', 'Parameter symbol does not exist');
    const planType = String(params['planType']);
    if (!['profit_plan', 'loss_plan', 'pos_profit', 'pos_loss'].includes(planType)) return failure('40020', 'Parameter planType error');
    const size = Number(params['size']);
    if ((planType === 'loss_plan' || planType === 'profit_plan') && (!(size >= Number(contract.minTradeNum)) || !onGrid(size, Number(contract.volumePlace)))) {
      return failure('40020', 'Parameter size error');
    }
    const trigger = Number(params['triggerPrice']);
    if (!(trigger > 0) || !onGrid(trigger, Number(contract.pricePlace))) return failure('40020', 'Parameter triggerPrice error');
    const clientOid = typeof params['clientOid'] === 'string' ? params['clientOid'] : '';
    if (clientOid !== '' && [...this.orders.values()].some((order) => order.clientOid === clientOid)) {
      return failure('40786', 'Duplicate clientOid');
    }
    const holdSide = String(params['holdSide']);
    if (holdSide !== 'buy' && holdSide !== 'sell') return failure('40020', 'Parameter holdSide error');
    const price = this.price(contract.symbol);
    // A long's stop loss must sit below the price, a short's above it.
    if (planType === 'loss_plan' && holdSide === 'buy' && trigger >= price) {
      return failure('40917', `Stop price for long positions please < mark price ${price}`);
    }
    if (planType === 'loss_plan' && holdSide === 'sell' && trigger <= price) {
      return failure('45122', `Short position stop loss price please > mark price ${price}`);
    }
    const time = String(this.now());
    const orderId = String(1_111_491_399_869_075_000n + BigInt(this.nextId()));
    const order: BitgetPlanOrder = {
      planType,
      symbol: contract.symbol,
      size: String(params['size']),
      orderId,
      clientOid: clientOid === '' ? String(BigInt(orderId) - 1n) : clientOid,
      price: '0',
      executePrice: '0',
      callbackRatio: '',
      triggerPrice: String(params['triggerPrice']),
      triggerType: typeof params['triggerType'] === 'string' ? params['triggerType'] : 'fill_price',
      planStatus: 'live',
      side: holdSide === 'buy' ? 'sell' : 'buy', // the closing side in one-way mode
      posSide: 'net',
      marginCoin: String(params['marginCoin']),
      marginMode: 'crossed',
      enterPointSource: 'API',
      tradeSide: 'close',
      posMode: 'one_way_mode',
      orderType: 'market',
      stopSurplusTriggerPrice: '',
      stopSurplusExecutePrice: '',
      stopSurplusTriggerType: '',
      stopLossTriggerPrice: '',
      stopLossExecutePrice: '',
      stopLossTriggerType: '',
      cTime: time,
      uTime: time,
    };
    this.orders.set(orderId, order);
    return ok({ orderId, clientOid: order.clientOid });
  }

  /** Bitget answers a cancel with code 00000 and sorts each order into successList or failureList. */
  #cancel(params: Record<string, unknown>): Reply {
    const items = Array.isArray(params['orderIdList']) ? (params['orderIdList'] as Record<string, string>[]) : [];
    const planType = typeof params['planType'] === 'string' ? params['planType'] : 'normal_plan';
    const successList: { orderId: string; clientOid: string }[] = [];
    const failureList: { orderId: string; clientOid: string; errorMsg: string; errorCode: string }[] = [];
    for (const item of items) {
      const order =
        item['orderId'] !== undefined
          ? this.orders.get(item['orderId'])
          : [...this.orders.values()].find((candidate) => candidate.clientOid === item['clientOid']);
      const ids = { orderId: order?.orderId ?? item['orderId'] ?? '', clientOid: order?.clientOid ?? item['clientOid'] ?? '' };
      if (order === undefined || order.planStatus !== 'live' || order.planType !== planType) {
        failureList.push({ ...ids, errorMsg: 'The order does not exist', errorCode: '40768' });
        continue;
      }
      order.planStatus = 'cancelled';
      order.uTime = String(this.now());
      successList.push(ids);
    }
    return ok({ successList, failureList });
  }
}

/** Markets of the scripted instances, parsed by ccxt from the documented contract list. */
const markets = await documentedMarkets(new bitget({ options: { fetchMarkets: { types: ['swap'] }, fetchCurrencies: false } }), (_path, query) =>
  query.get('productType') === 'USDT-FUTURES'
    ? readFixture('bitget-contracts.json')
    : { code: '00000', msg: 'success', requestTime: 1_695_793_701_269, data: [] },
);

/** A real ccxt `bitget` instance, markets parsed from the documented contracts body, HTTP answered by a {@link BitgetVenue}. */
export function scriptedBitget(): { exchange: bitget; venue: BitgetVenue } {
  const exchange = new bitget({
    apiKey: testCredentials.apiKey,
    secret: testCredentials.secret,
    password: bitgetPassphrase,
    enableRateLimit: false,
    options: { fetchCurrencies: false },
  });
  exchange.setMarkets(markets as Parameters<bitget['setMarkets']>[0]);
  const venue = new BitgetVenue();
  venue.attach(exchange);
  return { exchange, venue };
}
