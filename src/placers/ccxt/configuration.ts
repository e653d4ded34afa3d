/**
 * What a placer is, decided once at construction from the exchange instance and the options:
 * the venue profile, the trigger price parameters, the declared capabilities, whether stops move
 * in place and native trailing orders exist, and whether the ccxt version is one the profiles were
 * verified with. Everything that does not fit throws here, before any I/O.
 */
import { describeValue } from '../../domain/validation.js';
import type { Logger } from '../../ports/logger.js';
import type { PlacerCapabilities } from '../../ports/order-placer.js';
import type { CcxtExchangeLike } from './exchange.js';
import type { CcxtOrderPlacerOptions } from './options.js';
import { resolveTriggerParams } from './requests.js';
import type { TriggerPriceType, VenueProfile } from './venue-profile.js';
import { profileFor, verifiedCcxtVersions } from './venues.js';

/** A placer's settings, resolved from the exchange instance and the options. */
export interface PlacerConfiguration {
  readonly profile: VenueProfile;
  /** Venue parameters of the configured trigger price type (`{}`: the venue's default). */
  readonly triggerParams: Readonly<Record<string, unknown>>;
  /** The price stops trigger on: the configured type, else the profile's default. */
  readonly triggerPriceType: TriggerPriceType;
  readonly capabilities: PlacerCapabilities;
  /** Stops are moved in place (`amendStop` exists). */
  readonly amend: boolean;
  /** Native trailing orders exist (`placeTrailingStop` exists). */
  readonly nativeTrailing: boolean;
  /** Callback-rate limits of native trailing orders, if declared. */
  readonly trailingLimits: { readonly min: number; readonly max: number } | undefined;
  /** The instance's ccxt version (`Exchange.ccxtVersion`), if it reports one. */
  readonly ccxtVersion: string | undefined;
  /** The ccxt version is inside {@link verifiedCcxtVersions}. */
  readonly ccxtVersionVerified: boolean;
}

/**
 * Resolves a placer's settings.
 *
 * @throws TypeError when `exchange` is not a ccxt instance, when it has no profile, when an option
 *   does not fit the venue (e.g. `amend: true` on Binance), when a Binance instance comes from a
 *   ccxt older than 4.5.24, or (with `ccxtVersionCheck: 'refuse'`) when the ccxt version was not verified.
 */
export function configure(exchange: CcxtExchangeLike, options: CcxtOrderPlacerOptions, logger: Logger): PlacerConfiguration {
  if (exchange === null || typeof exchange !== 'object' || typeof exchange.createOrder !== 'function') {
    throw new TypeError(`Expected \`exchange\` to be a ccxt exchange instance, got ${describeValue(exchange)}`);
  }
  const profile = profileFor(exchange.id, options.profile);
  if (profile.name === 'binance' && typeof exchange.fapiPrivatePostAlgoOrder !== 'function') {
    throw new TypeError(
      `ccxt >= 4.5.24 is required: this ${exchange.id} instance has no algo-order endpoint, which Binance USDⓈ-M conditional orders use`,
    );
  }
  const { ccxtVersion, ccxtVersionVerified } = checkCcxtVersion(exchange, options, logger);
  const triggerParams = resolveTriggerParams(exchange.id, profile, options.triggerPriceType);

  const limit = profile.clientOrderIds.maxLength;
  const maxLength = options.clientOrderIdMaxLength ?? limit;
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > limit) {
    throw new TypeError(
      `Expected \`clientOrderIdMaxLength\` to be an integer in [1, ${limit}] for ${exchange.id}, got ${describeValue(options.clientOrderIdMaxLength)}`,
    );
  }
  const trailingLimits = options.trailingCallbackPercent ?? profile.nativeTrailing;
  const nativeTrailing = profile.nativeTrailing !== undefined && exchange.has['createTrailingPercentOrder'] === true;
  const capabilities: PlacerCapabilities = {
    clientOrderIdMaxLength: maxLength,
    ...(profile.rateLimit === undefined ? {} : { rateLimit: profile.rateLimit }),
    ...(nativeTrailing && trailingLimits ? { trailingCallbackPercent: { ...trailingLimits } } : {}),
  };

  const canAmend = profile.canAmend && typeof exchange.editOrder === 'function';
  if (options.amend === true && !canAmend) {
    throw new TypeError(
      `Expected \`amend\` to be false or unset for ${exchange.id}: it cannot move a conditional order in place through ccxt`,
    );
  }
  return {
    profile,
    triggerParams,
    triggerPriceType: options.triggerPriceType ?? profile.defaultTriggerPriceType,
    capabilities,
    amend: options.amend !== false && canAmend,
    nativeTrailing,
    trailingLimits,
    ccxtVersion,
    ccxtVersionVerified,
  };
}

/**
 * Warns (or, with `ccxtVersionCheck: 'refuse'`, throws) when the instance's ccxt is outside the
 * verified range. A warning by default: ccxt releases weekly and a newer patch usually keeps the
 * requests the profiles rely on; the offline suites (and `describeOrderPlacer`) are how to check.
 */
function checkCcxtVersion(
  exchange: CcxtExchangeLike,
  options: CcxtOrderPlacerOptions,
  logger: Logger,
): { ccxtVersion: string | undefined; ccxtVersionVerified: boolean } {
  const check = options.ccxtVersionCheck;
  if (check !== undefined && check !== 'warn' && check !== 'refuse') {
    throw new TypeError(`Expected \`ccxtVersionCheck\` to be 'warn' or 'refuse', got ${describeValue(check)}`);
  }
  const reported = (exchange.constructor as { ccxtVersion?: unknown } | undefined)?.ccxtVersion;
  const ccxtVersion = typeof reported === 'string' ? reported : undefined;
  const ccxtVersionVerified =
    ccxtVersion !== undefined &&
    compareVersions(ccxtVersion, verifiedCcxtVersions.min) >= 0 &&
    compareVersions(ccxtVersion, verifiedCcxtVersions.below) < 0;
  if (!ccxtVersionVerified) {
    const message = `ccxt ${ccxtVersion ?? '(version unknown)'} is outside the range the ${exchange.id} profile was verified with (>= ${verifiedCcxtVersions.min}, < ${verifiedCcxtVersions.below})`;
    if (check === 'refuse') throw new TypeError(`${message}; \`ccxtVersionCheck: 'refuse'\` is set`);
    logger.warn(`${message}: run the offline conformance suite before trading`, { venue: exchange.id, ccxtVersion });
  }
  return { ccxtVersion, ccxtVersionVerified };
}

/** Compares dotted numeric versions (`4.5.83` < `4.5.100`); a pre-release tag is ignored. */
function compareVersions(left: string, right: string): number {
  const parts = (version: string) => version.split(/[.-]/).slice(0, 3).map((part) => Number.parseInt(part, 10) || 0);
  const [a, b] = [parts(left), parts(right)];
  for (let index = 0; index < 3; index++) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
