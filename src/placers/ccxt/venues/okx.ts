/**
 * OKX v5, USDT-margined perpetual swaps (`okx`). A stop is a `conditional` algo order:
 * `POST /api/v5/trade/order-algo` with `ordType=conditional`, `slTriggerPx`, `slOrdPx=-1` (market),
 * `reduceOnly`, `algoClOrdId` (ccxt routes `stopLossPrice` there). The stop-loss side implies the
 * protective direction: the venue refuses a sell stop at or above the last price (51280) and a buy
 * stop at or below it (51278).
 *
 * - Client order id: `algoClOrdId`, case-sensitive letters and digits, at most 32: the registry's
 *   ids (at most 31 characters) are written without separators, their positions appended
 *   (`alphanumericIds`), and read back from `info.algoClOrdId` (ccxt's `clientOrderId` is the
 *   order's `clOrdId`, which ccxt fills with a random broker id on algo orders).
 * - Cancel: `POST /api/v5/trade/cancel-algos` with `[{ instId, algoId }]` or `[{ instId, algoClOrdId }]`.
 * - Find: `GET /api/v5/trade/order-algo?algoClOrdId=` answers open and finished algo orders;
 *   list: `GET /api/v5/trade/orders-algo-pending?ordType=conditional` per symbol (ccxt's default
 *   `ordType=trigger` would never list a conditional order).
 * - Amend: the venue has `amend-algos`; not wired: moves are make-before-break.
 * - Trigger price: `slTriggerPxType` `last` (ccxt always sends it, also the venue's default),
 *   `mark`, `index`.
 * - Native trailing: `move_order_stop` exists; not offered.
 * - A triggered stop's state becomes `effective` (reported `filled`); the resulting market order
 *   is listed in `ordIdList`.
 * - Sizes are contracts (`ctVal` base units each; BTC-USDT-SWAP: 0.01 BTC).
 * - Error codes sit in `data[].sCode` (the top-level `code` is `1`, "Operation failed").
 *
 * @see https://www.okx.com/docs-v5/en/#order-book-trading-algo-trading-post-place-algo-order
 * @see https://www.okx.com/docs-v5/en/#order-book-trading-algo-trading-post-cancel-algo-order
 * @see https://www.okx.com/docs-v5/en/#order-book-trading-algo-trading-get-algo-order-details
 * @see https://www.okx.com/docs-v5/en/#error-code-rest-api
 */
import { alphanumericIds } from '../client-order-ids.js';
import { embeddedBody, venueErrorCode } from '../errors.js';
import type { CcxtOrderLike } from '../exchange.js';
import type { VenueProfile } from '../venue-profile.js';

/** The OKX USDT-margined swap profile. */
export const okxProfile: VenueProfile = {
  name: 'okx',
  exchangeIds: ['okx'],
  clientOrderIds: alphanumericIds(32),
  clientOrderIdOf: (order: CcxtOrderLike) => {
    const info = order.info as { algoId?: unknown; algoClOrdId?: unknown } | undefined;
    if (info !== undefined && info !== null && 'algoId' in info) return typeof info.algoClOrdId === 'string' ? info.algoClOrdId : undefined;
    return order.clientOrderId;
  },
  stopOrder: (stop) => ({ type: 'market', params: { stopLossPrice: stop.stopPrice, algoClOrdId: stop.clientOrderId } }),
  canAmend: false,
  nativeTrailing: undefined,
  triggerPriceTypeParams: {
    last: { slTriggerPxType: 'last' },
    mark: { slTriggerPxType: 'mark' },
    index: { slTriggerPxType: 'index' },
  },
  defaultTriggerPriceType: 'last',
  cancelParams: { trigger: true }, // routes to POST /api/v5/trade/cancel-algos
  cancelByClientOrderId: { param: 'clientOrderId' }, // ccxt sends it as algoClOrdId to cancel-algos
  listParams: { ordType: 'conditional' }, // GET /api/v5/trade/orders-algo-pending
  lookup: { kind: 'fetch-order', params: { trigger: true } }, // GET /api/v5/trade/order-algo?algoClOrdId=
  errorCodeOf(message) {
    const body = embeddedBody(message) as { code?: unknown; data?: unknown } | undefined;
    if (body !== undefined && body !== null && typeof body === 'object') {
      const failed = Array.isArray(body.data)
        ? (body.data as { sCode?: unknown }[]).find((item) => item !== null && typeof item === 'object' && item.sCode !== undefined && String(item.sCode) !== '0')
        : undefined;
      if (failed !== undefined) return String(failed.sCode);
      if (body.code !== undefined) return String(body.code);
    }
    return venueErrorCode(message);
  },
  codes: {
    // SL trigger price against the last (51278 buy, 51280 sell), mark (51302, 51304) and index (51306, 51308) price.
    wouldTrigger: ['51278', '51280', '51302', '51304', '51306', '51308'],
    duplicateClientOrderId: ['51065', '51016'],
    gone: ['51400', '51401', '51402', '51603'],
    nothingToReduce: ['51169'],
    rateLimited: ['50011', '50013', '50061'],
    unknownOutcome: ['50001', '50004', '50026', '51054', '51149'],
  },
};
