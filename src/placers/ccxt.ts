/**
 * `CcxtOrderPlacer`: an {@link index!OrderPlacer | OrderPlacer} over a ccxt exchange instance that
 * the caller creates and configures (keys, sandbox, proxies, rate limiting). The adapter never
 * imports ccxt: it describes the few members it uses as {@link CcxtExchangeLike}, so the core
 * package carries no dependency on ccxt.
 *
 * Each venue is served by a profile, verified offline against a real ccxt instance whose HTTP
 * layer answers as the venue's documentation shows (ccxt `verifiedCcxtVersions`). An exchange
 * without a profile is refused at construction; pass a {@link VenueProfile} of your own as
 * `options.profile` to use another one.
 *
 * | profile   | ccxt ids                   | stop order                                   | amend | native trailing |
 * | --------- | -------------------------- | -------------------------------------------- | ----- | --------------- |
 * | `binance` | `binanceusdm`, `binance`   | algo service `STOP_MARKET`, `clientAlgoId`   | no    | 0.1-10 %        |
 * | `bybit`   | `bybit`                    | `/v5/order/create` conditional, `orderLinkId`| yes   | no              |
 * | `okx`     | `okx`                      | `order-algo` `conditional` SL, `algoClOrdId` | no    | no              |
 * | `kucoinfutures` | `kucoinfutures`      | `/api/v1/orders` `stop=down/up`, `clientOid` | no    | no              |
 * | `bingx`   | `bingx`                    | `STOP_MARKET`, `clientOrderID` (base 36)     | no    | no              |
 * | `bitget`  | `bitget`                   | `place-tpsl-order` `loss_plan`, `clientOid`  | no    | no              |
 * | `hyperliquid` | `hyperliquid`          | trigger `sl` market, `cloid` (128-bit hex)   | no    | no              |
 *
 * Refused with the reason (`unsupportedVenues`): `gate`, whose price-triggered orders carry no
 * client order id. *
 * Errors are mapped by ccxt error class (read from the error's prototype chain and `name`, so no
 * `instanceof` against ccxt's classes is needed) and by the venue's own error code where ccxt's
 * class is too coarse. Every error this adapter creates carries a sanitized copy of the ccxt error
 * as `cause`: query strings, signatures and the instance's credentials are removed.
 *
 * @packageDocumentation
 */
export { CcxtOrderPlacer } from './ccxt/placer.js';
export type { CcxtExchangeLike, CcxtMarketLike, CcxtOrderLike } from './ccxt/exchange.js';
export type { CcxtOrderPlacerOptions } from './ccxt/options.js';
export { SanitizedCcxtError } from './ccxt/errors.js';
export type { TriggerPriceType, VenueErrorCodes, VenueLookup, VenueProfile, VenueStop, VenueStopCall } from './ccxt/venue-profile.js';
export { supportedExchangeIds, unsupportedVenues, venueProfiles, verifiedCcxtVersions } from './ccxt/venues.js';
export { alphanumericIds, hexIds, lowercaseIds, sameIds, type ClientOrderIdCodec } from './ccxt/client-order-ids.js';
export {
  createCcxtOrderUpdateMapper,
  orderUpdateFromCcxt,
  verifiedOrderStreams,
  watchCcxtOrders,
  type CcxtMarketsLike,
  type CcxtOrderStreamLike,
  type CcxtOrderUpdateLike,
  type CcxtOrderUpdateMapper,
  type OrderUpdateMappingOptions,
  type WatchCcxtOrdersOptions,
} from './ccxt/order-updates.js';
