/**
 * Bybit v5, USDT and USDC linear perpetuals (unified and classic accounts). A stop is a
 * conditional market order through `POST /v5/order/create` (`triggerPrice`, `triggerDirection`
 * 2 = falling for a sell stop, 1 = rising for a buy stop, `reduceOnly`, `orderLinkId`).
 *
 * - Client order id: `orderLinkId`, up to 36 of letters, digits, `-`, `_`, unchanged.
 * - Cancel: `POST /v5/order/cancel` by `orderId` or `orderLinkId`; find: `GET /v5/order/realtime`
 *   then `/v5/order/history` with `orderFilter=StopOrder`; list: `/v5/order/realtime`.
 * - Amend: yes, `POST /v5/order/amend` moves `triggerPrice` of an untriggered order.
 * - Trigger price: `triggerBy` `LastPrice` (default), `MarkPrice`, `IndexPrice`.
 * - Native trailing: on the position only (`/v5/position/trading-stop`), not an order: not offered.
 *
 * @see https://bybit-exchange.github.io/docs/v5/order/create-order
 * @see https://bybit-exchange.github.io/docs/v5/error
 */
import { sameIds } from '../client-order-ids.js';
import { bybitRateLimit } from '../rate-limits.js';
import type { VenueProfile } from '../venue-profile.js';

/** The Bybit v5 linear profile. */
export const bybitProfile: VenueProfile = {
  name: 'bybit',
  exchangeIds: ['bybit'],
  clientOrderIds: sameIds(36),
  stopOrder: (stop) => ({ type: 'market', params: { stopLossPrice: stop.stopPrice, clientOrderId: stop.clientOrderId } }),
  canAmend: true,
  nativeTrailing: undefined,
  triggerPriceTypeParams: {
    mark: { triggerBy: 'MarkPrice' },
    last: { triggerBy: 'LastPrice' },
    index: { triggerBy: 'IndexPrice' },
  },
  defaultTriggerPriceType: 'last',
  cancelParams: {}, // linear conditional orders cancel through /v5/order/cancel like any order
  cancelByClientOrderId: { param: 'orderLinkId' },
  listParams: { trigger: true }, // orderFilter=StopOrder
  lookup: { kind: 'open-then-history', param: 'orderLinkId' },
  codes: {
    wouldTrigger: ['110092', '110093'],
    duplicateClientOrderId: ['110072'],
    gone: ['110001', '110008', '110010', '170142', '170213'],
    nothingToReduce: ['110017'],
    rateLimited: ['10006'],
    unknownOutcome: ['10016', '5004'],
  },
  rateLimit: bybitRateLimit,
};
