/**
 * The registry's only door to the {@link OrderPlacer}: every call goes through the concurrency
 * bound (p-limit), gets its own timeout and AbortSignal, is retried with exponential backoff and
 * jitter when the error is retryable, and is counted. Placement resolves unknown outcomes by
 * client order id (I7): look the order up and adopt it, or re-place under the same id; an answer
 * that arrives after the gateway gave up is adopted or cancelled, never left behind.
 *
 * Before the concurrency bound, every call passes the account-wide {@link OrderBudget} with a
 * priority (placing a stop for an unprotected position first, then correctness cancels, then
 * moves by lag, then lookups; defaults by operation, see {@link CallPriority}), and a venue's
 * rate-limit answer pauses the whole registry's non-critical calls.
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
import { OrderBudget, WithdrawnError, type BudgetStats, type RequestPriority, type ResolvedRateLimit, type VenueOperation } from './order-budget.js';

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

/** How many cancelled client order ids the gateway remembers for {@link ExchangeGateway.cancelledHere}. */
const remembersCancels = 4_096;

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

/**
 * How urgent a call is, for the {@link OrderBudget}. Defaults by operation: placements
 * (`placeStop`, `placeTrailingStop`) and `closePosition` are `protect`, `cancelStop` is `cancel`,
 * `amendStop` is `move`, `findStop` and `openStops` are `lookup`; lookups and retries made on a
 * call's behalf (unknown outcomes) keep its priority.
 */
export interface CallPriority {
  /** The call's priority class; default by operation (see above). */
  readonly priority?: RequestPriority;
  /** Moves: how far the venue's stop lags its target, as a fraction of the price; read whenever the budget chooses. */
  readonly lag?: () => number;
}

/** Options of a call that moves (or places) a stop. */
export interface MoveOptions extends CallPriority {
  /**
   * The stop's latest target price, read when the first attempt is sent: a move that waited for
   * the budget sends the newest target, not the one it was queued with (latest wins in the queue
   * too). Not read in the budget's `arrival` order. The caller learns the price sent through it.
   */
  readonly latest?: () => number;
}

/** Dependencies and settings of the gateway. */
export interface ExchangeGatewayOptions {
  readonly placer: OrderPlacer;
  readonly concurrency: number;
  /** The account-wide request budget; absent: no window (the global pause still applies). */
  readonly rateLimit?: ResolvedRateLimit;
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
  /** Client order ids this registry asked to cancel, oldest first (bounded). */
  readonly #cancels = new Set<string>();
  readonly #options: ExchangeGatewayOptions;
  readonly #limit: LimitFunction;
  readonly #budget: OrderBudget;

  constructor(options: ExchangeGatewayOptions) {
    this.#options = options;
    this.#limit = pLimit(options.concurrency);
    this.#budget = new OrderBudget({ rateLimit: options.rateLimit, clock: options.clock });
  }

  /** The placer behind this gateway. */
  get placer(): OrderPlacer {
    return this.#options.placer;
  }

  /** The budget's counters and gauges (requests in the window, deferred calls, pause), as a fresh object. */
  get budget(): BudgetStats {
    return this.#budget.stats;
  }

  /**
   * Drops the move of `key` waiting for the budget, if one waits and nothing of it was sent yet
   * (the stop ended or is being removed); that call rejects with `WithdrawnError`. Returns how many.
   */
  withdraw(key: string): number {
    return this.#budget.withdraw(key);
  }

  /**
   * Runs one placer call: admitted by the budget (at `priority`; waiting when the window is full
   * or a pause holds it), then under the concurrency bound with a timeout. On timeout rejects with
   * {@link TimeoutError} and hands the still-pending promise to `onLate`.
   */
  call<T>(
    operation: VenueOperation,
    key: string,
    run: (signal: AbortSignal) => Promise<T>,
    onLate?: (late: Promise<T>) => void,
    priority: CallPriority = {},
    withdrawable = false,
  ): Promise<T> {
    const budget = this.#budget;
    const send = () => {
      budget.spend(operation);
      return this.#timed(operation, key, run, onLate);
    };
    const admitted = budget.acquire(operation, priority.priority ?? defaultPriority[operation], key, priority.lag, withdrawable);
    if (admitted === undefined) return this.#limit(send);
    return admitted.then(() => this.#limit(send));
  }

  #timed<T>(
    operation: VenueOperation,
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
          this.#budget.observe(error);
          reject(error);
        },
      );
    });
  }

  /**
   * Places a stop and resolves the order the venue holds for `request.clientOrderId`, whatever
   * timeouts happened on the way (I7). Rejects with {@link WouldTriggerError},
   * {@link ExchangeRejectedError}, or a {@link PlacementError} after the retry budget; with
   * `WithdrawnError` when a move was withdrawn before anything was sent ({@link withdraw}).
   * Priority `protect` unless `options.priority` says otherwise (a move: `move` with its `lag`).
   */
  async placeStop(request: StopOrderRequest, key: string, options: MoveOptions & { lookupFirst?: boolean } = {}): Promise<StopOrder> {
    const placer = this.#options.placer;
    const latest = this.#budget.supersedes ? options.latest : undefined;
    let current = request;
    let sent = false;
    return this.#placeResolved(
      'placeStop',
      request.clientOrderId,
      request.symbol,
      key,
      (signal) => {
        if (!sent) {
          sent = true;
          // Read when the first attempt goes out: a move that waited sends the newest target.
          if (latest !== undefined) current = { ...request, stopPrice: latest() };
        }
        return placer.placeStop(current, { signal });
      },
      options.lookupFirst === true,
      options,
    );
  }

  /** Places a native trailing order, with the same unknown-outcome handling as {@link placeStop}. */
  async placeTrailingStop(
    request: TrailingStopOrderRequest,
    key: string,
    options: CallPriority & { lookupFirst?: boolean } = {},
  ): Promise<StopOrder> {
    const placer = this.#options.placer;
    if (placer.placeTrailingStop === undefined) throw new UnsupportedError('The placer has no placeTrailingStop', { key });
    return this.#placeResolved(
      'placeTrailingStop',
      request.clientOrderId,
      request.symbol,
      key,
      (signal) => placer.placeTrailingStop!(request, { signal }),
      options.lookupFirst === true,
      options,
    );
  }

  async #placeResolved(
    operation: 'placeStop' | 'placeTrailingStop',
    clientOrderId: string,
    symbol: string,
    key: string,
    place: (signal: AbortSignal) => Promise<StopOrder>,
    lookupFirst: boolean,
    priority: CallPriority,
  ): Promise<StopOrder> {
    const late: Promise<StopOrder>[] = [];
    let adopted: StopOrder | undefined;
    // Lookups made for this placement (unknown outcomes) keep its priority.
    const resolving: CallPriority = { priority: priority.priority ?? defaultPriority[operation], lag: priority.lag };
    try {
      if (lookupFirst) {
        adopted = await this.#lookup(symbol, clientOrderId, key, resolving);
        if (adopted !== undefined) return adopted;
      }
      let lastError: unknown;
      const { attempts } = this.#options.retry;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (attempt > 1) await this.#backoff(attempt - 1, lastError);
        try {
          // Only a move nothing of which was sent yet may be withdrawn: after that its outcome must be resolved.
          const withdrawable = resolving.priority === 'move' && attempt === 1 && !lookupFirst;
          adopted = await this.call(operation, key, place, (pending) => late.push(pending), resolving, withdrawable);
          return adopted;
        } catch (error) {
          lastError = error;
          if (!isRetryable(error)) throw error;
          if (hasUnknownOutcome(error)) {
            adopted = await this.#lookup(symbol, clientOrderId, key, resolving);
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
  async #lookup(symbol: string, clientOrderId: string, key: string, priority: CallPriority): Promise<StopOrder | undefined> {
    const placer = this.#options.placer;
    if (placer.findStop === undefined) return undefined;
    try {
      const found = await this.call('findStop', key, (signal) => placer.findStop!({ symbol, clientOrderId }, { signal }), undefined, priority);
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
   * Priority `cancel` unless `options.priority` says otherwise.
   */
  async cancelStop(order: StopOrder, key: string, options: CallPriority = {}): Promise<void> {
    const placer = this.#options.placer;
    this.#noteCancel(order.clientOrderId);
    const priority: CallPriority = { priority: options.priority ?? defaultPriority.cancelStop, lag: options.lag };
    try {
      await this.#retrying(key, async () => {
        try {
          await this.call('cancelStop', key, (signal) => placer.cancelStop(order, { signal }), undefined, priority);
        } catch (error) {
          if (error instanceof OrderNotFoundError) return;
          throw error;
        }
      });
    } catch (error) {
      if (hasUnknownOutcome(error) && (await this.#probe(order, key, priority)) === 'gone') return;
      throw error;
    }
  }

  /**
   * True when this registry asked the venue to cancel the order with `clientOrderId` (recently: the
   * newest few thousand are kept), so a `cancelled` order update for it is the registry's own doing.
   */
  cancelledHere(clientOrderId: string): boolean {
    return this.#cancels.has(clientOrderId);
  }

  #noteCancel(clientOrderId: string): void {
    this.#cancels.add(clientOrderId);
    if (this.#cancels.size > remembersCancels) this.#cancels.delete(this.#cancels.values().next().value!);
  }

  /** Whether an order is still open, by lookup; `unknown` when the venue cannot tell us now. */
  async #probe(order: StopOrder, key: string, priority: CallPriority): Promise<'open' | 'gone' | 'unknown'> {
    const placer = this.#options.placer;
    if (placer.findStop === undefined) return 'unknown';
    try {
      const found = await this.call(
        'findStop',
        key,
        (signal) => placer.findStop!({ symbol: order.symbol, clientOrderId: order.clientOrderId }, { signal }),
        undefined,
        priority,
      );
      return found === undefined || found.id !== order.id || (found.status ?? 'open') !== 'open' ? 'gone' : 'open';
    } catch {
      return 'unknown';
    }
  }

  /**
   * Moves a stop in place (placer must have `amendStop`); retried like any call. Priority `move`
   * (give its `lag`); with `latest`, the first attempt sends the newest target.
   */
  async amendStop(order: StopOrder, stopPrice: number, key: string, options: MoveOptions = {}): Promise<StopOrder> {
    const placer = this.#options.placer;
    const latest = this.#budget.supersedes ? options.latest : undefined;
    let price = stopPrice;
    let attempt = 0;
    return this.#retrying(key, () => {
      attempt++;
      const first = attempt === 1;
      return this.call(
        'amendStop',
        key,
        (signal) => {
          if (first && latest !== undefined) price = latest();
          return placer.amendStop!(order, price, { signal });
        },
        undefined,
        options,
        // A retry may follow an attempt that reached the venue: only the first may be withdrawn.
        (options.priority ?? defaultPriority.amendStop) === 'move' && first,
      );
    });
  }

  /** Looks an order up by client order id (no retries: lookups are advisory). Priority `lookup` by default. */
  async findStop(symbol: string, clientOrderId: string, key: string, options: CallPriority = {}): Promise<StopOrder | undefined> {
    const placer = this.#options.placer;
    if (placer.findStop === undefined) return undefined;
    return this.call('findStop', key, (signal) => placer.findStop!({ symbol, clientOrderId }, { signal }), undefined, options);
  }

  /**
   * Every open stop the placer can see on `symbols` (at least); `undefined` when it cannot list
   * them. Priority `lookup` by default.
   */
  async openStops(symbols: readonly string[], options: CallPriority = {}): Promise<StopOrder[] | undefined> {
    const placer = this.#options.placer;
    if (placer.openStops === undefined) return undefined;
    return this.#retrying('*', () => this.call('openStops', '*', (signal) => placer.openStops!({ signal, symbols }), undefined, options));
  }

  /**
   * Closes a position by market order; the deterministic client order id makes retries safe.
   * Priority `protect` by default (the position is closed because no stop protects it).
   */
  async closePosition(request: ClosePositionRequest, key: string, options: CallPriority = {}): Promise<void> {
    const placer = this.#options.placer;
    if (placer.closePosition === undefined) throw new UnsupportedError('The placer has no closePosition', { key });
    await this.#retrying(key, () =>
      this.call('closePosition', key, (signal) => placer.closePosition!(request, { signal }), undefined, options),
    );
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

/** Priority of each operation when the caller gives none (see {@link CallPriority}). */
const defaultPriority: Readonly<Record<VenueOperation, RequestPriority>> = {
  placeStop: 'protect',
  placeTrailingStop: 'protect',
  closePosition: 'protect',
  cancelStop: 'cancel',
  amendStop: 'move',
  findStop: 'lookup',
  openStops: 'lookup',
};

/** Errors worth retrying: anything but a definite refusal, a gap, an abort, a missing order or a withdrawn move. */
export function isRetryable(error: unknown): boolean {
  return !(
    error instanceof WithdrawnError ||
    error instanceof WouldTriggerError ||
    error instanceof ExchangeRejectedError ||
    error instanceof AbortedError ||
    error instanceof OrderNotFoundError ||
    error instanceof UnsupportedError
  );
}

/** True when the failed call may have executed anyway (I7). */
export function hasUnknownOutcome(error: unknown): boolean {
  if (error instanceof WithdrawnError) return false;
  if (error instanceof ExchangeUnavailableError) return error.unknownOutcome;
  return !(error instanceof TrailingStopError) || error instanceof TimeoutError;
}

/** The message of an unknown thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
