/**
 * `CcxtOrderPlacer`: an {@link OrderPlacer} over a ccxt exchange instance that the caller creates
 * and configures (keys, sandbox, proxies, rate limiting). The adapter never imports ccxt: it
 * describes the few members it uses as {@link CcxtExchangeLike}, so the core package carries no
 * dependency on ccxt and any ccxt >= 4.5.24 instance fits.
 *
 * What it does per venue (declared, not guessed):
 *
 * | venue                      | stop order                               | amend in place | native trailing |
 * | -------------------------- | ---------------------------------------- | -------------- | --------------- |
 * | `binanceusdm` / `binance`  | algo-order service, `STOP_MARKET`        | no             | 0.1-10 %        |
 * | `bybit`                    | `/v5/order/create` conditional `Market`  | yes            | no              |
 * | any other ccxt venue       | unified `stopLossPrice` / `triggerPrice` | no             | if `has` says   |
 *
 * Errors are mapped by ccxt error class (read from the error's prototype chain and `name`, so no
 * `instanceof` against ccxt's classes is needed) and by the venue's own error code where ccxt's
 * class is too coarse. Every error this adapter creates carries a sanitized copy of the ccxt error
 * as `cause`: query strings, signatures and the instance's credentials are removed.
 *
 * @packageDocumentation
 */
export { CcxtOrderPlacer } from './ccxt/placer.js';
export type { CcxtExchangeLike, CcxtMarketLike, CcxtOrderLike, CcxtOrderPlacerOptions, TriggerPriceType } from './ccxt/exchange.js';
export { SanitizedCcxtError } from './ccxt/errors.js';
