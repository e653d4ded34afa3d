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
 *
 * Its collaborators: the budget (`order-budget.ts`), retries and error classes (`retry.ts`),
 * priorities (`call-priority.ts`) and placement under unknown outcomes (`unknown-outcome.ts`).
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
import { ClosedError, OrderNotFoundError, TimeoutError, UnsupportedError } from '../errors.js';
import { defaultPriority, type CallPriority, type MoveOptions } from './call-priority.js';
import { OrderBudget, type BudgetStats, type ResolvedRateLimit, type VenueOperation } from './order-budget.js';
import { hasUnknownOutcome, Retrier, type ResolvedRetryOptions } from './retry.js';
import { UnknownOutcomePlacement } from './unknown-outcome.js';

export type { CallPriority, MoveOptions } from './call-priority.js';
export { defaultRetryOptions, type ResolvedRetryOptions, type RetryOptions } from './retry.js';

/** How many cancelled client order ids the gateway remembers for {@link ExchangeGateway.cancelledHere}. */
const remembersCancels = 4_096;

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
  /** The venue's adapter. */
  readonly placer: OrderPlacer;
  /** Placer calls running at once, at most. */
  readonly concurrency: number;
  /** The account-wide request budget; absent: no window (the global pause still applies). */
  readonly rateLimit?: ResolvedRateLimit;
  /** Timeout of each placer call, in ms. */
  readonly timeoutMs: number;
  /** Retry policy of every retried call. */
  readonly retry: ResolvedRetryOptions;
  /** Runs timeouts, backoff and the budget's window. */
  readonly clock: Clock;
  /** Jitter source in [0, 1). */
  readonly random: () => number;
  /** Keeps background work (late-answer cleanup) visible to `onIdle()`. */
  readonly track: (work: Promise<unknown>) => void;
  /** Called when a late or superseded order was cancelled. */
  readonly onLateOrderCancelled: (order: StopOrder, key: string) => void;
  /** True once the registry closed (late orders are then left, not cancelled). */
  readonly closed: () => boolean;
  /** True once the registry's close() finished: every call then rejects with `ClosedError` before reaching the placer. */
  readonly finished: () => boolean;
  /** Called when a late order was left on the venue because the registry had closed. */
  readonly onLateOrderLeft: (order: StopOrder, key: string) => void;
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
  readonly #retrier: Retrier;
  readonly #placement: UnknownOutcomePlacement;

  /** @param options See {@link ExchangeGatewayOptions}. */
  constructor(options: ExchangeGatewayOptions) {
    this.#options = options;
    this.#limit = pLimit(options.concurrency);
    this.#budget = new OrderBudget({ rateLimit: options.rateLimit, clock: options.clock });
    this.#retrier = new Retrier(options.retry, options.clock, options.random);
    this.#placement = new UnknownOutcomePlacement({
      gateway: this,
      retrier: this.#retrier,
      clock: options.clock,
      timeoutMs: options.timeoutMs,
      track: options.track,
      onLateOrderCancelled: options.onLateOrderCancelled,
      closed: options.closed,
      onLateOrderLeft: options.onLateOrderLeft,
    });
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
    // After close() resolved nothing reaches the venue: a retry still running in the background
    // ends here, and so does a call that waited for the budget or the concurrency bound meanwhile.
    const refused = () => Promise.reject(new ClosedError('The registry closed: no venue call is made after close() resolved'));
    if (this.#options.finished()) return refused();
    const budget = this.#budget;
    const send = () => {
      if (this.#options.finished()) return refused();
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
   * With `takeLate`, an open order that answers after the placement gave up is offered to the
   * caller before it would be cancelled.
   */
  async placeStop(
    request: StopOrderRequest,
    key: string,
    options: MoveOptions & { lookupFirst?: boolean; takeLate?: (order: StopOrder) => Promise<boolean> } = {},
  ): Promise<StopOrder> {
    const placer = this.#options.placer;
    const latest = this.#budget.supersedes ? options.latest : undefined;
    let current = request;
    let sent = false;
    return this.#placement.place({
      operation: 'placeStop',
      clientOrderId: request.clientOrderId,
      symbol: request.symbol,
      key,
      place: (signal) => {
        if (!sent) {
          sent = true;
          // Read when the first attempt goes out: a move that waited sends the newest target.
          if (latest !== undefined) current = { ...request, stopPrice: latest() };
        }
        return placer.placeStop(current, { signal });
      },
      lookupFirst: options.lookupFirst === true,
      priority: options,
      takeLate: options.takeLate,
    });
  }

  /** Places a native trailing order, with the same unknown-outcome handling as {@link placeStop}. */
  async placeTrailingStop(
    request: TrailingStopOrderRequest,
    key: string,
    options: CallPriority & { lookupFirst?: boolean } = {},
  ): Promise<StopOrder> {
    const placer = this.#options.placer;
    if (placer.placeTrailingStop === undefined) throw new UnsupportedError('The placer has no placeTrailingStop', { key });
    return this.#placement.place({
      operation: 'placeTrailingStop',
      clientOrderId: request.clientOrderId,
      symbol: request.symbol,
      key,
      place: (signal) => placer.placeTrailingStop!(request, { signal }),
      lookupFirst: options.lookupFirst === true,
      priority: options,
    });
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
      await this.#retrier.run(async () => {
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
    return this.#retrier.run(() => {
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
    return this.#retrier.run(() => this.call('openStops', '*', (signal) => placer.openStops!({ signal, symbols }), undefined, options));
  }

  /**
   * Closes a position by market order; the deterministic client order id makes retries safe.
   * Priority `protect` by default (the position is closed because no stop protects it).
   */
  async closePosition(request: ClosePositionRequest, key: string, options: CallPriority = {}): Promise<void> {
    const placer = this.#options.placer;
    if (placer.closePosition === undefined) throw new UnsupportedError('The placer has no closePosition', { key });
    await this.#retrier.run(() =>
      this.call('closePosition', key, (signal) => placer.closePosition!(request, { signal }), undefined, options),
    );
  }
}
