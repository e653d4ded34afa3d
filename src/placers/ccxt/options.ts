/**
 * The options of `CcxtOrderPlacer`, all optional, each with its default.
 */
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { TriggerPriceType, VenueProfile } from './venue-profile.js';

/** Options of {@link CcxtOrderPlacer}; all optional. */
export interface CcxtOrderPlacerOptions {
  /**
   * Which price triggers the stop, mapped per venue (Binance `workingType` `MARK_PRICE` /
   * `CONTRACT_PRICE`; Bybit `triggerBy` `MarkPrice` / `LastPrice` / `IndexPrice`; OKX
   * `slTriggerPxType`; see each profile). A type the venue has no mapping for throws. Default: not
   * set; the stop triggers on the profile's `defaultTriggerPriceType` (`placer.triggerPriceType`
   * reports it).
   */
  readonly triggerPriceType?: TriggerPriceType;
  /**
   * The account is in hedge mode (two positions per symbol): orders carry ccxt's `hedged: true`,
   * which sets Binance `positionSide` / Bybit `positionIdx` instead of `reduceOnly`. Default false.
   */
  readonly hedged?: boolean;
  /**
   * Move stops in place where the venue can (Bybit). `false` forces make-before-break everywhere.
   * `true` on a venue that cannot move a conditional order in place throws. Default: the venue's ability.
   */
  readonly amend?: boolean;
  /** Symbols `openStops()` scans in addition to those this placer has used. Default: none. */
  readonly symbols?: readonly string[];
  /**
   * Extra venue parameters merged into every order this placer creates, e.g. `{ positionIdx: 1 }`.
   * Default: none.
   */
  readonly params?: Readonly<Record<string, unknown>>;
  /**
   * Longest client order id the registry may use, at most the profile's
   * (`profile.clientOrderIds.maxLength`: 36 on Binance and Bybit, 31 on OKX, ...). Default: the
   * profile's.
   */
  readonly clientOrderIdMaxLength?: number;
  /**
   * Callback-rate limits of native trailing orders, where the profile offers them
   * (`profile.nativeTrailing`). Default: the profile's (Binance 0.1-10).
   */
  readonly trailingCallbackPercent?: {
    /** Smallest callback rate to accept, in percent. */
    readonly min: number;
    /** Largest callback rate to accept, in percent. */
    readonly max: number;
  };
  /**
   * The venue profile to use instead of the shipped one for `exchange.id` (required for an
   * exchange without a shipped profile). See {@link VenueProfile}. Default: the shipped profile.
   */
  readonly profile?: VenueProfile;
  /**
   * What to do when the ccxt instance's version is outside the range the shipped profiles were
   * verified with (`verifiedCcxtVersions`): `'warn'` logs a warning once through `logger` and
   * sets `placer.ccxtVersionVerified` to false; `'refuse'` throws a TypeError. Default `'warn'`.
   */
  readonly ccxtVersionCheck?: 'warn' | 'refuse';
  /** Where mapped venue errors are reported (sanitized). Default: silent. */
  readonly logger?: Logger;
  /** Clock used to turn a venue's "banned until <time>" into `retryAfterMs`. Default: the system clock. */
  readonly clock?: Clock;
}
