/**
 * Typed errors. Every error the library creates extends {@link TrailingStopError} and carries a
 * stable `code`, so callers can branch on `error.code` instead of parsing messages. The original
 * failure, where there is one, is chained as `cause`.
 *
 * The package ships an ESM and a CommonJS build, and a process can load both (an ESM bot using a
 * CommonJS helper): each build has its own classes, so `instanceof` fails across them. Test errors
 * with {@link hasErrorCode} or {@link isTrailingStopError} instead: they recognise an error of
 * either build by a brand registered with `Symbol.for` and its `code`.
 *
 * Messages never contain secrets: adapters build them from venue error codes and the request's
 * public fields only.
 */

/** Every error code the library uses. */
export type TrailingStopErrorCode =
  | 'ERR_VALIDATION'
  | 'ERR_TIMEOUT'
  | 'ERR_ABORTED'
  | 'ERR_PLACEMENT_FAILED'
  | 'ERR_STORE_CONFLICT'
  | 'ERR_STORE_FAILED'
  | 'ERR_CLOSED'
  | 'ERR_REMOVED'
  | 'ERR_CLAIM_BUSY'
  | 'ERR_STOP_CONFLICT'
  | 'ERR_NOT_FOUND'
  | 'ERR_EXCHANGE_REJECTED'
  | 'ERR_EXCHANGE_UNAVAILABLE'
  | 'ERR_WOULD_TRIGGER'
  | 'ERR_ORDER_NOT_FOUND'
  | 'ERR_UNSUPPORTED';

/** Every code, to recognise one at run time (a `Record`, so a code missing here fails to compile). */
const errorCodes: Readonly<Record<TrailingStopErrorCode, true>> = {
  ERR_VALIDATION: true,
  ERR_TIMEOUT: true,
  ERR_ABORTED: true,
  ERR_PLACEMENT_FAILED: true,
  ERR_STORE_CONFLICT: true,
  ERR_STORE_FAILED: true,
  ERR_CLOSED: true,
  ERR_REMOVED: true,
  ERR_CLAIM_BUSY: true,
  ERR_STOP_CONFLICT: true,
  ERR_NOT_FOUND: true,
  ERR_EXCHANGE_REJECTED: true,
  ERR_EXCHANGE_UNAVAILABLE: true,
  ERR_WOULD_TRIGGER: true,
  ERR_ORDER_NOT_FOUND: true,
  ERR_UNSUPPORTED: true,
};

/**
 * Marks the prototype of {@link TrailingStopError}. `Symbol.for` returns the same symbol to every
 * copy of the package in the process (ESM and CommonJS builds, or two installed versions), so
 * each copy recognises the others' errors.
 */
const errorBrand = Symbol.for('trailing-stop-registry.error');

/**
 * Base class of every error the library throws or rejects with.
 *
 * `instanceof TrailingStopError` holds only for errors of the same copy of the package; use
 * {@link isTrailingStopError} or {@link hasErrorCode} when the ESM and CommonJS builds may both be
 * loaded.
 */
export class TrailingStopError extends Error {
  static {
    // On the prototype, not on each instance: one property for all errors, invisible to JSON and spreads.
    Object.defineProperty(this.prototype, errorBrand, { value: true });
  }

  /** Stable machine-readable code. */
  readonly code: TrailingStopErrorCode;
  /** The key concerned, where there is one. */
  readonly key: string | undefined;

  constructor(code: TrailingStopErrorCode, message: string, options: { cause?: unknown; key?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.key = options.key;
  }
}

/** Bad input (I8): rejected before any I/O, nothing placed or stored. */
export class ValidationError extends TrailingStopError {
  /** The offending field, e.g. `entryPrice` or `steps[1].profitPercent`. */
  readonly field: string;
  constructor(field: string, message: string, options: { key?: string } = {}) {
    super('ERR_VALIDATION', message, options);
    this.field = field;
  }
}

/** An exchange call did not answer within `timeoutMs`: its outcome is unknown (I7). */
export class TimeoutError extends TrailingStopError {
  constructor(operation: string, timeoutMs: number, options: { key?: string } = {}) {
    super('ERR_TIMEOUT', `${operation} did not answer within ${timeoutMs} ms; its outcome is unknown`, options);
  }
}

/** The caller's AbortSignal fired: that caller stopped waiting; shared work goes on. */
export class AbortedError extends TrailingStopError {
  constructor(message = 'The operation was aborted by the caller', options: { cause?: unknown; key?: string } = {}) {
    super('ERR_ABORTED', message, options);
  }
}

/** Creation could not place the protective stop; the position is NOT protected (I6). */
export class PlacementError extends TrailingStopError {
  constructor(message: string, options: { cause?: unknown; key?: string } = {}) {
    super('ERR_PLACEMENT_FAILED', message, options);
  }
}

/** A compare-and-set lost: another writer changed the record first (I4). */
export class StoreConflictError extends TrailingStopError {
  constructor(message: string, options: { cause?: unknown; key?: string } = {}) {
    super('ERR_STORE_CONFLICT', message, options);
  }
}

/** The state store failed (rejected, timed out, closed). */
export class StoreError extends TrailingStopError {
  constructor(message: string, options: { cause?: unknown; key?: string } = {}) {
    super('ERR_STORE_FAILED', message, options);
  }
}

/** The registry is closed and refuses new work. */
export class ClosedError extends TrailingStopError {
  constructor(message = 'The registry is closed and accepts no new work') {
    super('ERR_CLOSED', message);
  }
}

/** The key was removed while its creation was in flight; nothing is left on the exchange. */
export class RemovedError extends TrailingStopError {
  constructor(key: string, message = `The stop for key \`${key}\` was removed while it was being created`) {
    super('ERR_REMOVED', message, { key });
  }
}

/** Another registry holds a live claim on the key and did not finish within the wait. */
export class ClaimBusyError extends TrailingStopError {
  constructor(key: string, owner: string) {
    super('ERR_CLAIM_BUSY', `Key \`${key}\` is being created by registry \`${owner}\`, which did not finish in time`, { key });
  }
}

/**
 * `create()` named a key whose live stop protects a different position (another side, quantity,
 * entry price or mode) and gave no new `positionId`: the old stop is never returned for it. Remove
 * the old stop first, pass the new position's `positionId`, or `resize()` for a new quantity.
 */
export class StopConflictError extends TrailingStopError {
  /** The fields whose values differ from the live stop's. */
  readonly fields: readonly string[];
  constructor(key: string, fields: readonly string[]) {
    super(
      'ERR_STOP_CONFLICT',
      `The live stop for \`${key}\` protects another position (${fields.join(', ')} differ): remove it first, pass a new \`positionId\`, or resize() it`,
      { key },
    );
    this.fields = fields;
  }
}

/** No stop exists for the key. */
export class NotFoundError extends TrailingStopError {
  constructor(key: string) {
    super('ERR_NOT_FOUND', `No trailing stop for key \`${key}\``, { key });
  }
}

/** The placer does not support what was asked (e.g. emulated mode without `closePosition`). */
export class UnsupportedError extends TrailingStopError {
  constructor(message: string, options: { key?: string } = {}) {
    super('ERR_UNSUPPORTED', message, options);
  }
}

/**
 * The venue refused the order for good (bad parameters, insufficient funds, authentication,
 * permission): retrying the same request cannot help.
 */
export class ExchangeRejectedError extends TrailingStopError {
  constructor(message: string, options: { cause?: unknown; key?: string } = {}) {
    super('ERR_EXCHANGE_REJECTED', message, options);
  }
}

/**
 * The venue refused a client order id that an earlier, finished order already used. Placers throw
 * it so the registry can tell "this id is spent, take the next one" from other refusals.
 */
export class ClientOrderIdUsedError extends ExchangeRejectedError {
  /** The spent client order id. */
  readonly clientOrderId: string;
  constructor(clientOrderId: string, message = `Client order id ${clientOrderId} was already used`, options: { cause?: unknown; key?: string } = {}) {
    super(message, options);
    this.clientOrderId = clientOrderId;
  }
}

/**
 * The venue could not be reached or asked us to slow down (network, rate limit, overload).
 * Retryable. When `unknownOutcome` is true the request may have been executed anyway (I7).
 */
export class ExchangeUnavailableError extends TrailingStopError {
  /** True when the request may have reached the venue (so the order may exist). */
  readonly unknownOutcome: boolean;
  /** Suggested wait before retrying, when the venue said (rate limits). */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    options: { cause?: unknown; key?: string; unknownOutcome?: boolean; retryAfterMs?: number } = {},
  ) {
    super('ERR_EXCHANGE_UNAVAILABLE', message, options);
    this.unknownOutcome = options.unknownOutcome ?? true;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * The stop price is already crossed by the market ("order would immediately trigger"): a gap or a
 * stale price. The registry takes the emergency path instead of retrying.
 */
export class WouldTriggerError extends TrailingStopError {
  constructor(message: string, options: { cause?: unknown; key?: string } = {}) {
    super('ERR_WOULD_TRIGGER', message, options);
  }
}

/** The venue does not know the order (already filled, cancelled or never placed). */
export class OrderNotFoundError extends TrailingStopError {
  constructor(message: string, options: { cause?: unknown; key?: string } = {}) {
    super('ERR_ORDER_NOT_FOUND', message, options);
  }
}

/**
 * True when `error` is an error of this library, from this copy of the package or another one
 * (the ESM and CommonJS builds loaded side by side): it carries the library's brand and one of its
 * codes. Use it where `instanceof TrailingStopError` could miss an error of the other build.
 *
 * @example
 * ```ts
 * try {
 *   await registry.create(spec);
 * } catch (error) {
 *   if (isTrailingStopError(error)) log.warn({ code: error.code, key: error.key }, error.message);
 *   else throw error;
 * }
 * ```
 */
export function isTrailingStopError(error: unknown): error is TrailingStopError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { readonly [errorBrand]?: unknown; readonly code?: unknown };
  return candidate[errorBrand] === true && typeof candidate.code === 'string' && Object.hasOwn(errorCodes, candidate.code);
}

/**
 * True when `error` is an error of this library (of either build, see
 * {@link isTrailingStopError}) with the given `code`.
 *
 * @example
 * ```ts
 * registry.create(spec).catch((error: unknown) => {
 *   if (hasErrorCode(error, 'ERR_VALIDATION')) return; // bad input: nothing was placed
 *   throw error;
 * });
 * ```
 */
export function hasErrorCode(error: unknown, code: TrailingStopErrorCode): error is TrailingStopError {
  return isTrailingStopError(error) && error.code === code;
}
