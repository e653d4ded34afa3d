/**
 * BingX USDT-M perpetual futures (`bingx`, swap markets). A stop is a `STOP_MARKET` order through
 * `POST /openApi/swap/v2/trade/order` with `stopPrice`, `reduceOnly=true` (one-way mode;
 * `positionSide` `LONG`/`SHORT` in hedge mode) and `clientOrderID`; a sell stop triggers when the
 * price falls to `stopPrice`, a buy stop when it rises to it.
 *
 * - Client order id: `clientOrderID`, 1-40 characters, which BingX converts to lowercase: the
 *   registry's mixed-case ids are packed into base 36 (`lowercaseIds`, at most 34 characters) so
 *   the lowercase form still decodes to the exact id.
 * - Cancel: `DELETE /openApi/swap/v2/trade/order` by `orderId` or `clientOrderID`.
 * - Find: `GET /openApi/swap/v2/trade/openOrders`, then `GET /openApi/swap/v2/trade/allOrders`
 *   (finished orders); list: `openOrders` per symbol (conditional orders included, status `NEW`).
 * - Amend: no (ccxt's `editOrder` cancels and replaces); moves are make-before-break.
 * - Trigger price: `workingType` `MARK_PRICE` (the venue's default; ccxt sends none),
 *   `CONTRACT_PRICE` (last), `INDEX_PRICE`.
 * - Native trailing: `TRAILING_STOP_MARKET` exists; not offered.
 * - Quantities are in base units (`contractSize` 1).
 * - No documented code for a duplicate `clientOrderID` or a stop the market already crossed:
 *   a refused placement looks its id up and adopts an open order holding it (`lookupOnRefusal`);
 *   a crossed stop's refusal is an `ExchangeRejectedError`, not a `WouldTriggerError`.
 *
 * @see https://bingx-api.github.io/docs/#/en-us/swapV2/trade-api.html#Place%20order
 * @see https://bingx-api.github.io/docs/#/en-us/swapV2/trade-api.html#Cancel%20Order
 * @see https://bingx-api.github.io/docs/#/en-us/swapV2/trade-api.html#Current%20All%20Open%20Orders
 * @see https://bingx-api.github.io/docs/swap/base-info.html
 */
import { lowercaseIds } from '../client-order-ids.js';
import type { VenueProfile } from '../venue-profile.js';

/** The BingX USDT-M perpetual profile. */
export const bingxProfile: VenueProfile = {
  name: 'bingx',
  exchangeIds: ['bingx'],
  clientOrderIds: lowercaseIds(),
  stopOrder: (stop) => ({ type: 'market', params: { stopLossPrice: stop.stopPrice, clientOrderId: stop.clientOrderId } }),
  canAmend: false,
  nativeTrailing: undefined,
  triggerPriceTypeParams: {
    mark: { workingType: 'MARK_PRICE' },
    last: { workingType: 'CONTRACT_PRICE' },
    index: { workingType: 'INDEX_PRICE' },
  },
  defaultTriggerPriceType: 'mark',
  cancelParams: {},
  cancelByClientOrderId: { param: 'clientOrderId' }, // ccxt sends clientOrderID
  listParams: {},
  lookup: { kind: 'open-then-closed', historyParams: {} },
  lookupOnRefusal: true,
  codes: {
    wouldTrigger: [],
    duplicateClientOrderId: [],
    gone: ['80016'],
    nothingToReduce: [],
    rateLimited: ['429'],
    unknownOutcome: ['504', '100410', '100500'],
  },
};
