/**
 * The venue profiles the adapter ships, each verified offline against a real ccxt instance of its
 * venue (test/placers/ccxt-<venue>.test.ts), and the choice of profile for an exchange instance:
 * an exchange without a shipped profile is refused, never served by a guessed generic one.
 */
import type { VenueProfile } from './venue-profile.js';
import { binanceProfile } from './venues/binance.js';
import { bingxProfile } from './venues/bingx.js';
import { bitgetProfile } from './venues/bitget.js';
import { bybitProfile } from './venues/bybit.js';
import { hyperliquidProfile } from './venues/hyperliquid.js';
import { kucoinFuturesProfile } from './venues/kucoinfutures.js';
import { okxProfile } from './venues/okx.js';

/**
 * The shipped profiles by name. Spread one into your own {@link VenueProfile} to adapt it.
 *
 * @example
 * ```ts
 * const profile = { ...venueProfiles.okx, exchangeIds: ['myokx'] };
 * ```
 */
export const venueProfiles = {
  /**
   * Binance USDⓈ-M futures (ccxt `binanceusdm`, `binance`): algo-service `STOP_MARKET` orders by
   * `clientAlgoId`, native trailing 0.1-10 %.
   */
  binance: binanceProfile,
  /** Bybit (ccxt `bybit`): `/v5/order/create` conditional orders by `orderLinkId`, moved in place with `editOrder`. */
  bybit: bybitProfile,
  /** OKX (ccxt `okx`): `order-algo` conditional stop-loss orders by `algoClOrdId`. */
  okx: okxProfile,
  /** KuCoin Futures (ccxt `kucoinfutures`): `/api/v1/orders` stop orders (`stop=down/up`) by `clientOid`. */
  kucoinfutures: kucoinFuturesProfile,
  /** BingX (ccxt `bingx`): `STOP_MARKET` orders by `clientOrderID`, ids in base 36. */
  bingx: bingxProfile,
  /** Bitget (ccxt `bitget`): `place-tpsl-order` `loss_plan` orders by `clientOid`. */
  bitget: bitgetProfile,
  /** Hyperliquid (ccxt `hyperliquid`): trigger `sl` market orders by `cloid`, a 128-bit hex id. */
  hyperliquid: hyperliquidProfile,
} as const satisfies Readonly<Record<string, VenueProfile>>;

/**
 * The ccxt versions the shipped profiles were verified with: `min` inclusive, `below` exclusive,
 * compared with the instance's `Exchange.ccxtVersion`.
 */
export const verifiedCcxtVersions = {
  /** Oldest verified ccxt version (inclusive). */
  min: '4.5.83',
  /** First ccxt version outside the verified range (exclusive). */
  below: '4.6.0',
} as const;

/**
 * Venues the adapter refuses even though ccxt supports them, with the reason: a profile cannot
 * keep a stop correct there. Passing a profile of one's own still works (at one's own risk).
 */
export const unsupportedVenues: Readonly<Record<string, string>> = {
  gate:
    "Gate's price-triggered futures orders (POST /futures/{settle}/price_orders) carry no client order id: `initial.text` is the " +
    'order source (web, api, app), so a retried placement cannot be deduplicated, findStop cannot find an order whose answer was lost, ' +
    "and the orphan sweep cannot recognise this registry's orders (see FuturesInitialOrder in Gate's API v4 reference)",
};

/** Every ccxt exchange id a shipped profile is for. */
export const supportedExchangeIds: readonly string[] = Object.values(venueProfiles).flatMap((profile) => profile.exchangeIds);

/**
 * The profile for `exchangeId`: `own` when given, else the shipped one.
 *
 * @throws TypeError for an exchange without a shipped profile and no `own`, naming the supported
 *   ids and how to pass a profile.
 */
export function profileFor(exchangeId: string, own: VenueProfile | undefined): VenueProfile {
  if (own !== undefined) return own;
  const profile = Object.values(venueProfiles).find((candidate: VenueProfile) => candidate.exchangeIds.includes(exchangeId));
  const reason = exchangeId === 'gateeu' ? unsupportedVenues['gate'] : unsupportedVenues[exchangeId];
  if (profile === undefined && reason !== undefined) {
    throw new TypeError(
      `CcxtOrderPlacer does not support ccxt exchange '${exchangeId}': ${reason}. Supported: ${supportedExchangeIds.join(', ')}.`,
    );
  }
  if (profile === undefined) {
    throw new TypeError(
      `CcxtOrderPlacer has no verified venue profile for ccxt exchange '${exchangeId}'. Supported: ${supportedExchangeIds.join(', ')}. ` +
        'For another venue, pass a full profile as `new CcxtOrderPlacer(exchange, { profile })` (type `VenueProfile`, ' +
        "exported from 'trailing-stop-registry/ccxt'; start from one of `venueProfiles`) and run `describeOrderPlacer` on it before trading.",
    );
  }
  return profile;
}
