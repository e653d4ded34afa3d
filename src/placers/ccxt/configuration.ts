/**
 * What a placer is, decided once at construction from the exchange instance and the options:
 * the venue profile, the trigger price parameters, the declared capabilities, and whether stops
 * move in place and native trailing orders exist. Everything that does not fit throws here, before
 * any I/O.
 */
import { describeValue } from '../../domain/validation.js';
import type { PlacerCapabilities } from '../../ports/order-placer.js';
import type { CcxtExchangeLike, CcxtOrderPlacerOptions } from './exchange.js';
import { resolveTriggerParams } from './requests.js';
import { profileOf, type VenueProfile } from './venues.js';

/** A placer's settings, resolved from the exchange instance and the options. */
export interface PlacerConfiguration {
  readonly profile: VenueProfile;
  /** Venue parameters of the configured trigger price type (`{}`: the venue's default). */
  readonly triggerParams: Readonly<Record<string, string>>;
  readonly capabilities: PlacerCapabilities;
  /** Stops are moved in place (`amendStop` exists). */
  readonly amend: boolean;
  /** Native trailing orders exist (`placeTrailingStop` exists). */
  readonly nativeTrailing: boolean;
  /** Callback-rate limits of native trailing orders, if declared. */
  readonly trailingLimits: { readonly min: number; readonly max: number } | undefined;
}

/**
 * Resolves a placer's settings.
 *
 * @throws TypeError when `exchange` is not a ccxt instance, when an option does not fit the venue
 *   (e.g. `amend: true` on Binance), or when a Binance instance comes from a ccxt older than 4.5.24.
 */
export function configure(exchange: CcxtExchangeLike, options: CcxtOrderPlacerOptions): PlacerConfiguration {
  if (exchange === null || typeof exchange !== 'object' || typeof exchange.createOrder !== 'function') {
    throw new TypeError(`Expected \`exchange\` to be a ccxt exchange instance, got ${describeValue(exchange)}`);
  }
  const profile = profileOf(exchange.id);
  if (profile.name === 'binance' && typeof exchange.fapiPrivatePostAlgoOrder !== 'function') {
    throw new TypeError(
      `ccxt >= 4.5.24 is required: this ${exchange.id} instance has no algo-order endpoint, which Binance USDⓈ-M conditional orders use`,
    );
  }
  const triggerParams = resolveTriggerParams(exchange.id, profile, options.triggerPriceType);

  const maxLength = options.clientOrderIdMaxLength ?? profile.clientOrderIdMaxLength;
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new TypeError(
      `Expected \`clientOrderIdMaxLength\` to be a positive integer, got ${describeValue(options.clientOrderIdMaxLength)}`,
    );
  }
  const trailingLimits = options.trailingCallbackPercent ?? profile.trailingCallbackPercent;
  const nativeTrailing = exchange.has['createTrailingPercentOrder'] === true;
  const capabilities: PlacerCapabilities = {
    clientOrderIdMaxLength: maxLength,
    ...(nativeTrailing && trailingLimits ? { trailingCallbackPercent: { ...trailingLimits } } : {}),
  };

  const canAmend = profile.canAmend && typeof exchange.editOrder === 'function';
  if (options.amend === true && !canAmend) {
    throw new TypeError(
      `Expected \`amend\` to be false or unset for ${exchange.id}: it cannot move a conditional order in place through ccxt`,
    );
  }
  return { profile, triggerParams, capabilities, amend: options.amend !== false && canAmend, nativeTrailing, trailingLimits };
}
