/**
 * The request limits `CcxtOrderPlacer` declares as `capabilities.rateLimit` for the venues it has
 * profiles for, from each venue's documented default (non-VIP) limits. The registry uses the
 * declared limit as its `rateLimit` unless the user sets one (a VIP tier, or a budget shared with
 * another bot on the same account). Every request counts once, so each limit below holds whatever
 * the mix of placements, cancels, amends and lookups.
 */
import type { PlacerCapabilities } from '../../ports/order-placer.js';

/** A venue's request limit, as placers declare it. */
export type CcxtRateLimit = NonNullable<PlacerCapabilities['rateLimit']>;

/**
 * Binance USDⓈ-M futures: the default order limit of an account is 1,200 orders per minute, with an
 * additional 300 orders per 10 seconds; the IP limit is 2,400 request weight per minute. 200
 * requests per 10 s satisfies all three (6 windows of 10 s make a minute: at most 1,200), whichever
 * requests are orders. Repeated 429s lead to an IP ban (HTTP 418, "banned until"), which the
 * placer reports as `retryAfterMs` and the registry honours as a global pause.
 *
 * @see https://www.binance.com/en/support/faq/rate-limits-on-binance-futures-281596e222414cdd9051664ea621cdc3
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info
 */
export const binanceUsdmRateLimit: CcxtRateLimit = { requests: 200, intervalMs: 10_000 };

/**
 * Bybit (v5, linear contracts): the API limit is per UID in a rolling one-second window, by
 * default 10 requests per second for each of `/v5/order/create`, `/v5/order/amend` and
 * `/v5/order/cancel` (the "Futures: 10/s" default of a UID); the IP limit is 600 requests per
 * 5 seconds. 10 requests per second across all endpoints stays within every one of them.
 *
 * @see https://bybit-exchange.github.io/docs/v5/rate-limit
 */
export const bybitRateLimit: CcxtRateLimit = { requests: 10, intervalMs: 1_000 };

/** The declared limit per venue profile name (`VenueProfile.name`). */
export const venueRateLimits: Readonly<Record<'binance' | 'bybit', CcxtRateLimit>> = {
  binance: binanceUsdmRateLimit,
  bybit: bybitRateLimit,
};
