/**
 * KuCoin Futures, USDT-margined perpetuals (`kucoinfutures`), classic accounts (ccxt asks
 * `GET /api/ua/v1/account/mode` and takes the unified-account API when it answers `UNIFIED`: not
 * verified). A stop is a reduce-only stop market order through `POST /api/v1/orders` with
 * `stop=down` (sell) or `stop=up` (buy), `stopPrice`, `stopPriceType`, `reduceOnly`, `clientOid`.
 *
 * - Client order id: `clientOid`, up to 40 of letters, digits, `-`, `_`, unchanged.
 * - Cancel: `DELETE /api/v1/orders/{orderId}` or `DELETE /api/v1/orders/client-order/{clientOid}`
 *   (stop orders included); no parameter is added (ccxt would forward `trigger=true` into the query).
 * - Find: `GET /api/v1/orders/byClientOid?clientOid=` (open, triggered or cancelled); list:
 *   `GET /api/v1/stopOrders?symbol=` (untriggered stop orders).
 * - Amend: no; moves are make-before-break.
 * - Trigger price: `stopPriceType` `MP` (mark: what ccxt sends when nothing is set), `TP` (last), `IP` (index).
 * - Native trailing: none.
 * - A stop whose price the market already crossed triggers at once (no refusal): it is reported
 *   `filled` from then on; a triggered stop becomes an inactive order (`isActive: false`).
 * - Sizes are whole contracts (`multiplier` base units each; XBTUSDTM: 0.001 BTC).
 *
 * @see https://www.kucoin.com/docs-new/rest/futures-trading/orders/add-order
 * @see https://www.kucoin.com/docs-new/rest/futures-trading/orders/get-stop-order-list
 * @see https://www.kucoin.com/docs-new/rest/futures-trading/orders/get-order-by-clientoid
 * @see https://www.kucoin.com/docs/basic-info/errors-code/futures-errors-code
 */
import { sameIds } from '../client-order-ids.js';
import type { VenueProfile } from '../venue-profile.js';

/** The KuCoin Futures profile (classic account). */
export const kucoinFuturesProfile: VenueProfile = {
  name: 'kucoinfutures',
  exchangeIds: ['kucoinfutures'],
  clientOrderIds: sameIds(40),
  stopOrder: (stop) => ({ type: 'market', params: { stopLossPrice: stop.stopPrice, clientOrderId: stop.clientOrderId } }),
  canAmend: false,
  nativeTrailing: undefined,
  triggerPriceTypeParams: {
    mark: { triggerPriceType: 'mark' }, // ccxt sends stopPriceType MP
    last: { triggerPriceType: 'last' }, // TP
    index: { triggerPriceType: 'index' }, // IP
  },
  defaultTriggerPriceType: 'mark',
  cancelParams: {},
  cancelByClientOrderId: { param: 'clientOrderId' }, // DELETE /api/v1/orders/client-order/{clientOid}?symbol=
  listParams: { trigger: true }, // GET /api/v1/stopOrders
  lookup: { kind: 'fetch-order', params: {} }, // GET /api/v1/orders/byClientOid
  codes: {
    wouldTrigger: [],
    duplicateClientOrderId: ['300018'],
    gone: ['100004'],
    nothingToReduce: ['300009'],
    rateLimited: ['429000', '200002', '1015'],
    unknownOutcome: ['500000'],
  },
};
