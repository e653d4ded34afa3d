/**
 * How a failed venue call is understood: ccxt's error class and the venue's own code decide the
 * kind (would trigger, duplicate id, gone, nothing to reduce, refused, unavailable, rejected), and
 * the kind decides the library's typed error. Every error built here carries a sanitized copy of
 * the ccxt error as `cause` and is logged without secrets.
 */
import {
  ExchangeRejectedError,
  ExchangeUnavailableError,
  OrderNotFoundError,
  TrailingStopError,
  WouldTriggerError,
} from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import { SanitizedCcxtError, ccxtErrorClasses, redact, venueErrorCode } from './errors.js';
import type { CcxtExchangeLike } from './exchange.js';
import type { VenueProfile } from './venue-profile.js';

/** The operations this adapter performs, as they appear in error messages and logs. */
export type Operation = 'placeStop' | 'cancelStop' | 'amendStop' | 'findStop' | 'openStops' | 'placeTrailingStop' | 'closePosition';

/** How a failed venue call is to be understood. */
export type FailureKind = 'wouldTrigger' | 'duplicate' | 'gone' | 'nothingToReduce' | 'refused' | 'unavailable' | 'rejected';

/** What a call was about, for messages and logs. */
export interface CallTarget {
  readonly symbol?: string;
  readonly clientOrderId?: string;
}

/** What classification needs of the placer. */
export interface FailureContext {
  readonly exchange: CcxtExchangeLike;
  readonly profile: VenueProfile;
  readonly logger: Logger;
  readonly clock: Clock;
}

/** A classified failure and the typed error to throw for it. */
export interface Failure {
  readonly kind: FailureKind;
  readonly error: TrailingStopError;
}

/** Classifies a failed venue call and builds the typed error to throw. */
export function classifyFailure(context: FailureContext, operation: Operation, target: CallTarget, error: unknown): Failure {
  if (error instanceof TrailingStopError) return { kind: kindOfOwn(error), error };
  const { exchange, profile, logger } = context;
  const classes = ccxtErrorClasses(error);
  const rawMessage = error instanceof Error ? error.message : String(error);
  const message = redact(rawMessage, secretsOf(exchange));
  const venueCode = profile.errorCodeOf ? profile.errorCodeOf(rawMessage) : venueErrorCode(rawMessage);
  const cause = new SanitizedCcxtError(classes[0] ?? 'Error', message, classes, venueCode);
  const has = (name: string) => classes.includes(name);
  const codes = profile.codes;
  const codeIn = (list: readonly string[]) => venueCode !== undefined && list.includes(venueCode);

  let kind: FailureKind;
  if (has('OrderImmediatelyFillable') || codeIn(codes.wouldTrigger)) kind = 'wouldTrigger';
  else if (has('DuplicateOrderId') || codeIn(codes.duplicateClientOrderId)) kind = 'duplicate';
  else if (has('OrderNotFound') || codeIn(codes.gone)) kind = 'gone';
  else if (codeIn(codes.nothingToReduce)) kind = 'nothingToReduce';
  else if (codeIn(codes.rateLimited) || has('RateLimitExceeded') || has('DDoSProtection') || has('InvalidNonce')) kind = 'refused';
  else if (codeIn(codes.unknownOutcome) || has('NetworkError') || has('OperationFailed')) kind = 'unavailable';
  else if (has('BaseError')) kind = 'rejected';
  else kind = 'unavailable'; // not a ccxt error (a bug, a parse failure): the request may have gone out

  const where = `${exchange.id} ${operation}${target.symbol ? ` ${target.symbol}` : ''}${
    target.clientOrderId ? ` (${target.clientOrderId})` : ''
  }`;
  const summary = `${where}: ${cause.name}${venueCode === undefined ? '' : ` ${venueCode}`}: ${message}`;
  let mapped: TrailingStopError;
  switch (kind) {
    case 'wouldTrigger':
      mapped = new WouldTriggerError(`${summary} (the stop would immediately trigger)`, { cause });
      break;
    case 'gone':
      mapped = new OrderNotFoundError(summary, { cause });
      break;
    case 'refused':
      // Rate limits and clock-skew refusals are answered before the order is processed: nothing
      // was executed, so the outcome is known (not placed).
      mapped = new ExchangeUnavailableError(summary, {
        cause,
        unknownOutcome: false,
        retryAfterMs: retryAfter(context.clock, rawMessage),
      });
      break;
    case 'unavailable':
      mapped = new ExchangeUnavailableError(summary, { cause, unknownOutcome: true });
      break;
    default:
      mapped = new ExchangeRejectedError(summary, { cause });
  }
  logger.warn(`${operation} failed`, {
    venue: exchange.id,
    symbol: target.symbol,
    clientOrderId: target.clientOrderId,
    errorClass: cause.name,
    venueCode,
    kind,
    message,
  });
  return { kind, error: mapped };
}

/** Binance bans carry "banned until <epoch ms>"; other limits do not say. */
function retryAfter(clock: Clock, message: string): number | undefined {
  const until = /banned until (\d{12,14})/i.exec(message)?.[1];
  if (until === undefined) return undefined;
  return Math.max(0, Number(until) - clock.now());
}

/** The instance's credentials, to redact from every message. */
function secretsOf(exchange: CcxtExchangeLike): string[] {
  const values = [exchange.apiKey, exchange.secret, exchange.password, exchange.uid, exchange.privateKey, exchange.token];
  return values.filter((value): value is string => typeof value === 'string' && value.length > 0);
}

function kindOfOwn(error: TrailingStopError): FailureKind {
  if (error instanceof WouldTriggerError) return 'wouldTrigger';
  if (error instanceof OrderNotFoundError) return 'gone';
  if (error instanceof ExchangeUnavailableError) return error.unknownOutcome ? 'unavailable' : 'refused';
  return 'rejected';
}
