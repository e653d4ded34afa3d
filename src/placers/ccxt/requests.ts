/**
 * Checking requests before anything is sent (typed {@link ValidationError}s, no I/O) and the
 * venue parameters every order carries: trigger price type, position mode.
 */
import { ExchangeRejectedError, ValidationError } from '../../errors.js';
import { describeValue } from '../../domain/validation.js';
import type { TriggerPriceType, VenueProfile } from './venue-profile.js';

/** The fields every order request shares. */
export interface OrderFields {
  readonly symbol: unknown;
  readonly side: unknown;
  readonly quantity: unknown;
  readonly clientOrderId: unknown;
}

/**
 * Checks symbol, side, quantity and the client order id (length and the venue's charset).
 *
 * @throws ValidationError naming the first bad field.
 */
export function validateOrder(
  exchangeId: string,
  profile: VenueProfile,
  maxLength: number,
  operation: string,
  request: OrderFields,
): void {
  if (typeof request.symbol !== 'string' || request.symbol.trim() === '') {
    throw new ValidationError('symbol', `Expected \`symbol\` to be a non-empty string, got ${describeValue(request.symbol)}`);
  }
  if (request.side !== 'buy' && request.side !== 'sell') {
    throw new ValidationError('side', `Expected \`side\` to be 'buy' or 'sell', got ${describeValue(request.side)}`);
  }
  requirePositive('quantity', request.quantity);
  const id = request.clientOrderId;
  const characters = profile.clientOrderIds.characters;
  if (typeof id !== 'string' || id.length === 0 || id.length > maxLength || !characters.test(id)) {
    throw new ValidationError(
      'clientOrderId',
      `Expected \`clientOrderId\` for ${operation} on ${exchangeId} to be 1-${maxLength} characters of ${characters.source.slice(1, -2)}, got ${describeValue(id)}`,
    );
  }
}

/** @throws ValidationError unless `value` is a finite number > 0. */
export function requirePositive(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(field, `Expected \`${field}\` to be a finite number > 0, got ${describeValue(value)}`);
  }
}

/**
 * Checks a native trailing order's callback rate against the venue's limits.
 *
 * @throws ExchangeRejectedError when the rate is outside `limits`.
 */
export function checkCallbackRate(
  exchangeId: string,
  limits: { readonly min: number; readonly max: number } | undefined,
  callbackPercent: number,
): void {
  if (limits && (callbackPercent < limits.min || callbackPercent > limits.max)) {
    throw new ExchangeRejectedError(
      `${exchangeId} accepts callback rates of ${limits.min}-${limits.max}% for native trailing orders, got ${callbackPercent}%`,
    );
  }
}

/**
 * The venue parameters of a trigger price type, `{}` when none is asked for.
 *
 * @throws TypeError when the venue has no mapping for `type`.
 */
export function resolveTriggerParams(
  exchangeId: string,
  profile: VenueProfile,
  type: TriggerPriceType | undefined,
): Readonly<Record<string, unknown>> {
  if (type === undefined) return {};
  const params = profile.triggerPriceTypeParams[type];
  if (params === undefined) {
    const accepted = Object.keys(profile.triggerPriceTypeParams).join("', '");
    throw new TypeError(
      accepted === ''
        ? `Expected \`triggerPriceType\` to be unset for ${exchangeId}: no mapping is known; pass the venue's own parameter through \`params\``
        : `Expected \`triggerPriceType\` to be one of '${accepted}' for ${exchangeId}, got ${describeValue(type)}`,
    );
  }
  return params;
}

/** ccxt's reduce-only flags; in hedge mode also `hedged`, which selects the position side. */
export function positionParams(hedged: boolean): Record<string, unknown> {
  return hedged ? { hedged: true, reduceOnly: true } : { reduceOnly: true };
}
