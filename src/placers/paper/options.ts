/**
 * The options of {@link PaperExchange} and what its latency and fault functions see of a call,
 * with the constructor's check of them.
 */
import { describeValue } from '../../domain/validation.js';
import type { Clock } from '../../ports/clock.js';

/** The operations a {@link PaperExchange} counts. */
export type PaperOperation =
  | 'placeStop'
  | 'cancelStop'
  | 'amendStop'
  | 'findStop'
  | 'openStops'
  | 'placeTrailingStop'
  | 'closePosition';

/** One call as seen by latency and fault functions. */
export interface PaperCall {
  /** Which operation. */
  readonly operation: PaperOperation;
  /** 1-based count of calls of this operation so far, this one included. */
  readonly sequence: number;
  /** Symbol concerned, when there is one. */
  readonly symbol?: string;
  /** Client order id concerned, when there is one. */
  readonly clientOrderId?: string;
}

/**
 * What a fault function returns for a call: an error to throw instead of executing (the call has
 * no effect), `'hang'` to never answer (and not execute), or `'lose-answer'` to execute but never answer.
 */
export type PaperFault = Error | 'hang' | 'lose-answer' | undefined;

/** Options of {@link PaperExchange}; all optional. */
export interface PaperExchangeOptions {
  /** Answer delay in ms, fixed or per call. 0 answers on the next microtask. Default 0. */
  readonly latencyMs?: number | ((call: PaperCall) => number);
  /** Decides a fault per call. Default: none. */
  readonly fault?: (call: PaperCall) => PaperFault;
  /** Provide `amendStop` (move in place, like Bybit). Default false: moves are make-before-break. */
  readonly amend?: boolean;
  /** Provide `findStop` (lookup by client order id). Default true. */
  readonly find?: boolean;
  /** Declare cancel-then-place moves (a venue that cannot hold two stops). Default false. */
  readonly cancelBeforePlace?: boolean;
  /** Provide `placeTrailingStop` with these callback limits in percent. Default: not provided. */
  readonly nativeTrailing?: {
    /** Smallest callback rate the venue accepts, in percent. */
    readonly min: number;
    /** Largest callback rate the venue accepts, in percent. */
    readonly max: number;
  };
  /** Honour the AbortSignal: an aborted call rejects and, if not yet executed, has no effect. Default false. */
  readonly honorAbort?: boolean;
  /** Clock for latency timers and unprotected-time accounting. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * Enforce a request limit, as a venue does: at most `requests` calls accepted in any window of
   * `intervalMs` (counted when a call arrives). A call beyond it is refused without effect, after
   * the latency, with a 429-style {@link ExchangeUnavailableError} (`unknownOutcome: false`,
   * `retryAfterMs` until a slot frees); refused calls do not count. Default: no limit.
   */
  readonly rateLimit?: {
    /** Calls accepted per window, an integer >= 1. */
    readonly requests: number;
    /** Length of the sliding window in ms, an integer >= 1. */
    readonly intervalMs: number;
  };
  /**
   * How order updates reach {@link PaperExchange.watchOrders} listeners. `'live'` (default): each
   * update is delivered on a microtask after the change that caused it, in order, to the listeners
   * subscribed when it happened (so never re-entrantly inside the call that caused it, and before
   * that call's answer when `latencyMs` is 0, as a fast stream often beats the REST answer).
   * `'manual'`: updates wait in a queue until {@link PaperExchange.deliverUpdates} (or are thrown
   * away by {@link PaperExchange.dropUpdates}), so a test can deliver a fill late or lose it.
   */
  readonly orderUpdates?: 'live' | 'manual';
}

/**
 * Checks the options the constructor cannot take as they come: `rateLimit` and `orderUpdates`.
 *
 * @throws TypeError for a wrong type, RangeError for a value out of range, naming the field.
 */
export function checkPaperOptions(options: PaperExchangeOptions): void {
  if (options.rateLimit !== undefined) checkRateLimit(options.rateLimit);
  if (options.orderUpdates !== undefined && options.orderUpdates !== 'live' && options.orderUpdates !== 'manual') {
    throw new TypeError(`Expected \`orderUpdates\` to be 'live' or 'manual', got ${describeValue(options.orderUpdates)}`);
  }
}

/** Checks the `rateLimit` option: TypeError for a wrong type, RangeError out of range, naming the field. */
function checkRateLimit(limit: unknown): void {
  if (typeof limit !== 'object' || limit === null) {
    throw new TypeError(`Expected \`rateLimit\` to be an object such as { requests: 50, intervalMs: 1000 }, got ${describeValue(limit)}`);
  }
  for (const field of ['requests', 'intervalMs'] as const) {
    const value = (limit as Record<string, unknown>)[field];
    if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`Expected \`rateLimit.${field}\` to be a number, got ${describeValue(value)}`);
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`Expected \`rateLimit.${field}\` to be an integer >= 1, got ${describeValue(value)}`);
  }
}
