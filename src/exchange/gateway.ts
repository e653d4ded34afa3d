/**
 * The registry's only door to the {@link OrderPlacer}: every call goes through the concurrency
 * bound (p-limit), gets its own timeout and AbortSignal, is retried with exponential backoff and
 * jitter when the error is retryable, and is counted. Placement resolves unknown outcomes by
 * client order id (I7): look the order up and adopt it, or re-place under the same id; an answer
 * that arrives after the gateway gave up is adopted or cancelled, never left behind.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type {
  ClosePositionRequest,
  OrderPlacer,
  StopOrder,
  StopOrderRequest,
  TrailingStopOrderRequest,
} from '../ports/order-placer.js';
import type { Clock } from '../ports/clock.js';
import {
  AbortedError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  OrderNotFoundError,
  PlacementError,
  TimeoutError,
  TrailingStopError,
  UnsupportedError,
  WouldTriggerError,
} from '../errors.js';
import { unref } from '../domain/timers.js';

/** Retry policy for exchange calls. */
export interface RetryOptions {
  /** Attempts in all, the first included (>= 1). Default 4. */
  readonly attempts?: number;
  /** Delay before the first retry, in ms; doubles each retry. Default 250. */
  readonly baseDelayMs?: number;
  /** Longest delay between retries, in ms. Default 5,000. */
  readonly maxDelayMs?: number;
}

/** Resolved {@link RetryOptions}. */
export type ResolvedRetryOptions = Required<RetryOptions>;

/** Default retry policy. */
export const defaultRetryOptions: ResolvedRetryOptions = { attempts: 4, baseDelayMs: 250, maxDelayMs: 5_000 };

/** Counters the gateway keeps; the registry exposes them in its stats. */
export interface GatewayCounters {
  /** Exchange calls started (placements, cancels, amends, lookups...). */
  exchangeCalls: number;
  /** Exchange calls running now. */
  inFlight: number;
  /** Calls that timed out (outcome unknown). */
  timedOut: number;
}

/** Dependencies and settings of the gateway. */
export interface ExchangeGatewayOptions {
  readonly placer: OrderPlacer;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly retry: ResolvedRetryOptions;
  readonly clock: Clock;
  readonly random: () => number;
  /** Keeps background work (late-answer cleanup) visible to `onIdle()`. */
  readonly track: (work: Promise<unknown>) => void;
  /** Called when a late or superseded order was cancelled. */
  readonly onLateOrderCancelled: (order: StopOrder, key: string) => void;
  /** Called when a call timed out. */
  readonly onTimeout: (operation: string, key: string) => void;
}

/** See the module comment. */
export class ExchangeGateway {
  /** Counters, live. */
  readonly counters: GatewayCounters = { exchangeCalls: 0, inFlight: 0, timedOut: 0 };
  readonly #options: ExchangeGatewayOptions;
  readonly #limit: LimitFunction;


  constructor(options: ExchangeGatewayOptions) {
    this.#options = options;
    this.#limit = pLimit(options.concurrency);
  }

  /** The placer behind this gateway. */
  get placer(): OrderPlacer {
    return this.#options.placer;
  }

  /**
   * Runs one placer call under the bound with a timeout. On timeout rejects with
   * {@link TimeoutError} and hands the still-pending promise to `onLate`.
   */
  call<T>(
    operation: string,
    key: string,
    run: (signal: AbortSignal) => Promise<T>,
    onLate?: (late: Promise<T>) => void,
  ): Promise<T> {
    return this.#limit(() => this.#timed(operation, key, run, onLate));
  }

  #timed<T>(
    operation: string,
    key: string,
    run: (signal: AbortSignal) => Promise<T>,
    onLate?: (late: Promise<T>) => void,
  ): Promise<T> {
    const { clock, timeoutMs } = this.#options;
    const controller = new AbortController();
    this.counters.exchangeCalls++;
    this.counters.inFlight++;
    let pending: Promise<T>;
    try {
      pending = Promise.resolve(run(controller.signal));
    } catch (error) {
      pending = Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = () => {
        done = true;
        this.counters.inFlight--;
      };
      const timer = clock.setTimeout(() => {
        if (done) return;
        finish();
        this.counters.timedOut++;
        controller.abort();
        this.#options.onTimeout(operation, key);
        onLate?.(pending);
        // A late answer may reject; nobody awaits it any more.
        pending.catch(() => {});
        reject(new TimeoutError(operation, timeoutMs, { key }));
      }, timeoutMs);
      pending.then(
        (value) => {
          if (done) return;
          clock.clearTimeout(timer);
          finish();
          resolve(value);
        },
        (error: unknown) => {
          if (done) return;
          clock.clearTimeout(timer);
          finish();
          reject(error);
        },
      );
    });
  }

  /**
   * Places a stop and resolves the order the venue holds for `request.clientOrderId`, whatever
   * timeouts happened on the way (I7). Rejects with {@link WouldTriggerError},
   * {@link ExchangeRejectedError}, or a {@link PlacementError} after the retry budget.
   */
  async placeStop(request: StopOrderRequest, key: string, options: { lookupFirst?: boolean } = {}): Promise<StopOrder> {
    const placer = this.#options.placer;
    return this.#placeResolved(
      request.clientOrderId,
      request.symbol,
      key,
      (signal) => placer.placeStop(request, { signal }),
      options.lookupFirst === true,
    );
  }

  /** Places a native trailing order, with the same unknown-outcome handling as {@link placeStop}. */
  async placeTrailingStop(request: TrailingStopOrderRequest, key: string, options: { lookupFirst?: boolean } = {}): Promise<StopOrder> {
    const placer = this.#options.placer;
    if (placer.placeTrailingStop === undefined) throw new UnsupportedError('The placer has no placeTrailingStop', { key });
    return this.#placeResolved(
      request.clientOrderId,
      request.symbol,
      key,
      (signal) => placer.placeTrailingStop!(request, { signal }),
      options.lookupFirst === true,
    );
  }

  async #placeResolved(
    clientOrderId: string,
    symbol: string,
    key: string,
    place: (signal: AbortSignal) => Promise<StopOrder>,
    lookupFirst: boolean,
  ): Promise<StopOrder> {
    const late: Promise<StopOrder>[] = [];
    let adopted: StopOrder | undefined;
    try {
      if (lookupFirst) {
        adopted = await this.#lookup(symbol, clientOrderId, key);
        if (adopted !== undefined) return adopted;
      }
      let lastError: unknown;
      const { attempts } = this.#options.retry;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (attempt > 1) await this.#backoff(attempt - 1, lastError);
        try {
          adopted = await this.call('placeStop', key, place, (pending) => late.push(pending));
          return adopted;
        } catch (error) {
          lastError = error;
          if (!isRetryable(error)) throw error;
          if (hasUnknownOutcome(error)) {
            adopted = await this.#lookup(symbol, clientOrderId, key);
            if (adopted !== undefined) return adopted;
          }
        }
      }
      throw new PlacementError(
        `Could not place stop ${clientOrderId} for ${symbol} after ${attempts} attempts: ${messageOf(lastError)}`,
        { cause: lastError, key },
      );
    } finally {
      this.#settleLate(late, adopted, key);
    }
  }

  /** A lookup by client order id; `undefined` when absent, cancelled, or not possible. */
  async #lookup(symbol: string, clientOrderId: string, key: string): Promise<StopOrder | undefined> {
    const placer = this.#options.placer;
    if (placer.findStop === undefined) return undefined;
    try {
      const found = await this.call('findStop', key, (signal) => placer.findStop!({ symbol, clientOrderId }, { signal }));
      return found !== undefined && found.status !== 'cancelled' ? found : undefined;
    } catch {
      // The lookup itself failed: fall back to re-placing under the same id.
      return undefined;
    }
  }

  /**
   * Late answers: the adopted order stays; anything else that shows up is cancelled. `onIdle()`
   * counts a late answer for at most one more timeout: a call that never answers is abandoned,
   * never awaited forever (if it does answer later, its order is still cancelled).
   */
  #settleLate(late: Promise<StopOrder>[], adopted: StopOrder | undefined, key: string): void {
    const { clock, timeoutMs } = this.#options;
    for (const pending of late) {
      const cleanup = pending.then(
        async (order) => {
          if (adopted !== undefined && order.id === adopted.id) return;
          if (order.status === 'filled' || order.status === 'cancelled') return;
          await this.cancelStop(order, key);
          this.#options.onLateOrderCancelled(order, key);
        },
        () => {},
      );
      let timer: unknown;
      const abandoned = new Promise<void>((resolve) => {
        timer = clock.setTimeout(resolve, timeoutMs);
        unref(timer);
      });
      this.#options.track(Promise.race([cleanup.catch(() => {}), abandoned]).finally(() => clock.clearTimeout(timer)));
    }
  }

  /**
   * Cancels with retries; an order that is already gone counts as cancelled. When every attempt
   * ended with an unknown outcome, a lookup by client order id decides: gone means cancelled.
   */
  async cancelStop(order: StopOrder, key: string): Promise<void> {
    const placer = this.#options.placer;
    try {
      await this.#retrying(key, async () => {
        try {
          await this.call('cancelStop', key, (signal) => placer.cancelStop(order, { signal }));
        } catch (error) {
          if (error instanceof OrderNotFoundError) return;
          throw error;
        }
      });
    } catch (error) {
      if (hasUnknownOutcome(error) && (await this.#probe(order, key)) === 'gone') return;
      throw error;
    }
  }

  /** Whether an order is still open, by lookup; `unknown` when the venue cannot tell us now. */
  async #probe(order: StopOrder, key: string): Promise<'open' | 'gone' | 'unknown'> {
    const placer = this.#options.placer;
    if (placer.findStop === undefined) return 'unknown';
    try {
      const found = await this.call('findStop', key, (signal) =>
        placer.findStop!({ symbol: order.symbol, clientOrderId: order.clientOrderId }, { signal }),
      );
      return found === undefined || found.id !== order.id || (found.status ?? 'open') !== 'open' ? 'gone' : 'open';
    } catch {
      return 'unknown';
    }
  }

  /** Moves a stop in place (placer must have `amendStop`); retried like any call. */
  async amendStop(order: StopOrder, stopPrice: number, key: string): Promise<StopOrder> {
    const placer = this.#options.placer;
    return this.#retrying(key, () => this.call('amendStop', key, (signal) => placer.amendStop!(order, stopPrice, { signal })));
  }

  /** Looks an order up by client order id (no retries: lookups are advisory). */
  async findStop(symbol: string, clientOrderId: string, key: string): Promise<StopOrder | undefined> {
    const placer = this.#options.placer;
    if (placer.findStop === undefined) return undefined;
    return this.call('findStop', key, (signal) => placer.findStop!({ symbol, clientOrderId }, { signal }));
  }

  /** Every open stop the placer can see on `symbols` (at least); `undefined` when it cannot list them. */
  async openStops(symbols: readonly string[]): Promise<StopOrder[] | undefined> {
    const placer = this.#options.placer;
    if (placer.openStops === undefined) return undefined;
    return this.#retrying('*', () => this.call('openStops', '*', (signal) => placer.openStops!({ signal, symbols })));
  }

  /** Closes a position by market order; the deterministic client order id makes retries safe. */
  async closePosition(request: ClosePositionRequest, key: string): Promise<void> {
    const placer = this.#options.placer;
    if (placer.closePosition === undefined) throw new UnsupportedError('The placer has no closePosition', { key });
    await this.#retrying(key, () => this.call('closePosition', key, (signal) => placer.closePosition!(request, { signal })));
  }

  async #retrying<T>(key: string, run: () => Promise<T>): Promise<T> {
    const { attempts } = this.#options.retry;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await this.#backoff(attempt - 1, lastError);
      try {
        return await run();
      } catch (error) {
        lastError = error;
        if (!isRetryable(error)) throw error;
      }
    }
    throw lastError;
  }

  /** Exponential backoff with equal jitter, honouring a venue's retry-after hint. */
  #backoff(retry: number, error: unknown): Promise<void> {
    const { baseDelayMs, maxDelayMs } = this.#options.retry;
    const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));
    let delay = exponential / 2 + (exponential / 2) * this.#options.random();
    if (error instanceof ExchangeUnavailableError && error.retryAfterMs !== undefined) {
      delay = Math.max(delay, error.retryAfterMs);
    }
    return new Promise((resolve) => this.#options.clock.setTimeout(resolve, delay));
  }
}

/** Errors worth retrying: anything but a definite refusal, a gap, an abort or a missing order. */
export function isRetryable(error: unknown): boolean {
  return !(
    error instanceof WouldTriggerError ||
    error instanceof ExchangeRejectedError ||
    error instanceof AbortedError ||
    error instanceof OrderNotFoundError ||
    error instanceof UnsupportedError
  );
}

/** True when the failed call may have executed anyway (I7). */
export function hasUnknownOutcome(error: unknown): boolean {
  if (error instanceof ExchangeUnavailableError) return error.unknownOutcome;
  return !(error instanceof TrailingStopError) || error instanceof TimeoutError;
}

/** The message of an unknown thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
