/**
 * Binance USDⓈ-M futures (`binanceusdm`, and `binance` with swap markets). Conditional orders
 * live in the algo-order service since 2025 (ccxt >= 4.5.24 routes `stopLossPrice` there):
 * `POST /fapi/v1/algoOrder` with `algoType=CONDITIONAL`, `type=STOP_MARKET`, `clientAlgoId`.
 *
 * - Client order id: `clientAlgoId`, `^[.A-Z:/a-z0-9_-]{1,36}$`, unchanged.
 * - Cancel: `DELETE /fapi/v1/algoOrder` by `algoId` or `clientAlgoId`; find: `GET /fapi/v1/algoOrder`
 *   (open and finished); list: `GET /fapi/v1/openAlgoOrders` per symbol.
 * - Amend: no (`editOrder` modifies LIMIT orders only): moves are make-before-break.
 * - Trigger price: `workingType` `CONTRACT_PRICE` (default) or `MARK_PRICE`.
 * - Native trailing: `TRAILING_STOP_MARKET`, callback 0.1-10 %.
 * - A triggered stop's algo status becomes `FINISHED` (reported `filled`).
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/New-Algo-Order
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code
 */
import { sameIds } from '../client-order-ids.js';
import { binanceUsdmRateLimit } from '../rate-limits.js';
import type { VenueProfile } from '../venue-profile.js';

/** The Binance USDⓈ-M profile. */
export const binanceProfile: VenueProfile = {
  name: 'binance',
  exchangeIds: ['binanceusdm', 'binance'],
  clientOrderIds: sameIds(36, /^[.A-Z:/a-z0-9_-]+$/),
  stopOrder: (stop) => ({ type: 'market', params: { stopLossPrice: stop.stopPrice, clientOrderId: stop.clientOrderId } }),
  canAmend: false,
  nativeTrailing: { min: 0.1, max: 10 },
  triggerPriceTypeParams: {
    mark: { workingType: 'MARK_PRICE' },
    last: { workingType: 'CONTRACT_PRICE' },
  },
  defaultTriggerPriceType: 'last',
  cancelParams: { trigger: true }, // routes to DELETE /fapi/v1/algoOrder
  cancelByClientOrderId: { param: 'clientOrderId' },
  listParams: { trigger: true }, // routes to GET /fapi/v1/openAlgoOrders
  lookup: { kind: 'fetch-order', params: { trigger: true } }, // GET /fapi/v1/algoOrder by clientAlgoId
  codes: {
    wouldTrigger: ['-2021'],
    duplicateClientOrderId: ['-4116'],
    gone: ['-2011', '-2013'],
    nothingToReduce: ['-2022'],
    rateLimited: ['-1003'],
    unknownOutcome: ['-1007'],
  },
  rateLimit: binanceUsdmRateLimit,
};
