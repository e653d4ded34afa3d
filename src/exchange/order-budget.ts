/**
 * `OrderBudget`: the account-wide budget of venue requests. Venues limit requests per account
 * (Binance USDⓈ-M counts orders per 10 s and per minute, Bybit per second), and in a fast market
 * every stop wants to move at once; per-key throttles cannot see that. The budget sees every call
 * the gateway sends:
 *
 * - a sliding window: never more than `requests` (weighted) requests in any `intervalMs`; a
 *   request counts from the moment it is sent, and one admitted but not yet sent holds its place;
 * - a priority queue, spent by risk when the window is full: first placing a stop for a position
 *   that has none (`protect`), then the cancels correctness needs (`cancel`: compensation,
 *   removal, the old half of a move), then moves, the stop that lags its target most (as a fraction
 *   of the price) first (`move`), then lookups and listings (`lookup`); arrival order within a
 *   class. With `order: 'arrival'` it is a plain first-come, first-served limiter instead;
 * - a global pause: a venue's rate-limit answer with a retry-after (Binance's 418 "banned until")
 *   holds every call but `protect` until then, for the whole registry, not per key.
 *
 * Moves never queue more than one per key: the per-key sync runs one operation at a time, so a key
 * has at most one call waiting here, and a newer target for the key does not add a call: the
 * waiting move reads the latest target when it is sent (see `ExchangeGateway`) and its lag, read
 * each time the budget chooses, grows with the target. A waiting move is withdrawn by key when its
 * stop ends or is removed, so a removal never waits behind it.
 *
 * Time comes from the injected {@link Clock}, so tests decide it. The parts: the window
 * (`sliding-window.ts`), the queue and its priority rule (`request-queue.ts`), the pause
 * (`budget-pause.ts`), the `rateLimit` option (`rate-limit.ts`).
 */
import type { Clock } from '../ports/clock.js';
import { ExchangeUnavailableError } from '../errors.js';
import { BudgetPause } from './budget-pause.js';
import type { ResolvedRateLimit, VenueOperation } from './rate-limit.js';
import { RequestQueue, type RequestPriority } from './request-queue.js';
import { SlidingWindow } from './sliding-window.js';
import { WithdrawnError } from './withdrawn-error.js';

export { resolveRateLimit, venueOperations, type RateLimit, type ResolvedRateLimit, type VenueOperation, type VenueRateLimit } from './rate-limit.js';
export type { RequestPriority } from './request-queue.js';
export { stopLag } from './stop-lag.js';
export { WithdrawnError } from './withdrawn-error.js';

/** Counters and gauges of a budget, for the registry's stats. */
export interface BudgetStats {
  /** Requests (weighted) sent within the last `intervalMs`; 0 without a rate limit. */
  readonly requestsInWindow: number;
  /** Calls that had to wait (for the window or a pause), since the start. */
  readonly deferred: number;
  /** Calls waiting now. */
  readonly queued: number;
  /** The largest lag (fraction of the price) among the moves waiting now; 0 when none waits, `Infinity` when one's venue price is unknown. */
  readonly largestQueuedLag: number;
  /** Until when non-critical calls are paused (ms epoch), or `null`. */
  readonly pausedUntil: number | null;
  /** Ms left of the current pause; 0 when none. */
  readonly pauseRemainingMs: number;
  /** Pauses started by a venue's rate-limit answer, since the start. */
  readonly pauses: number;
}

/** Dependencies and settings of an {@link OrderBudget}. */
export interface OrderBudgetOptions {
  /** The window; `undefined`: no window, only the global pause and its priorities. */
  readonly rateLimit?: ResolvedRateLimit;
  /** Decides when calls are sent and when the window frees. */
  readonly clock: Clock;
}

/** See the module comment. */
export class OrderBudget {
  readonly #limit: ResolvedRateLimit | undefined;
  readonly #clock: Clock;
  readonly #window: SlidingWindow | undefined;
  readonly #queue: RequestQueue;
  readonly #pause = new BudgetPause();
  readonly #arrival: boolean;
  #deferred = 0;
  #timer: unknown = undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  /** @param options See {@link OrderBudgetOptions}. */
  constructor(options: OrderBudgetOptions) {
    const limit = options.rateLimit;
    this.#limit = limit;
    this.#clock = options.clock;
    this.#window = limit === undefined ? undefined : new SlidingWindow(limit.requests, limit.intervalMs);
    this.#arrival = limit?.order === 'arrival';
    this.#queue = new RequestQueue(this.#arrival ? 'arrival' : 'risk');
  }

  /** The resolved rate limit, `undefined` when there is none. */
  get rateLimit(): ResolvedRateLimit | undefined {
    return this.#limit;
  }

  /** True when a waiting move sends its stop's latest target (risk order, or no window at all). */
  get supersedes(): boolean {
    return !this.#arrival;
  }

  /**
   * Admits a call, or queues it. Returns `undefined` when the call may be sent at once (its weight
   * is then reserved: call {@link spend} when it is sent), or a promise that resolves once it may
   * (reserved the same way) and rejects with {@link WithdrawnError} when it is withdrawn. `lag`
   * (moves) is read each time the budget chooses; `withdrawable` lets {@link withdraw} drop it.
   */
  acquire(
    operation: VenueOperation,
    priority: RequestPriority,
    key: string,
    lag?: () => number,
    withdrawable = false,
  ): Promise<void> | undefined {
    const limit = this.#limit;
    const weight = limit === undefined ? 0 : limit.weights[operation];
    if (this.#admitsNow(priority, weight)) {
      this.#window?.reserve(weight);
      return undefined;
    }
    this.#deferred++;
    return new Promise<void>((resolve, reject) => {
      this.#queue.add({ operation, priority, key, lag, withdrawable, weight, resolve, reject });
      this.#drain();
    });
  }

  /** The admitted call of `operation` is being sent now: it counts in the window from now. */
  spend(operation: VenueOperation): void {
    const limit = this.#limit;
    if (limit === undefined) return;
    const weight = limit.weights[operation];
    if (weight === 0) return;
    const now = this.#clock.now();
    this.#window!.send(weight, now);
    if (this.#queue.size > 0) this.#schedule(now);
  }

  /** The admitted call of `operation` will not be sent after all: its place is given back. */
  release(operation: VenueOperation): void {
    const limit = this.#limit;
    if (limit === undefined) return;
    this.#window!.release(limit.weights[operation]);
    this.#drain();
  }

  /**
   * A venue's answer: when it is a rate-limit refusal with a retry-after, every call but `protect`
   * pauses until then, for the whole registry.
   */
  observe(error: unknown): void {
    if (!(error instanceof ExchangeUnavailableError)) return;
    const wait = error.retryAfterMs;
    if (wait === undefined || !(wait > 0)) return;
    this.pause(this.#clock.now() + wait);
  }

  /** Pauses every call but `protect` until `untilMs` (ms epoch); a later pause extends it. */
  pause(untilMs: number): void {
    if (this.#pause.extend(untilMs, () => this.#clock.now())) this.#drain();
  }

  /**
   * Drops the waiting moves of `key` that may be withdrawn (not yet sent at all), rejecting them
   * with {@link WithdrawnError}. Returns how many were dropped.
   */
  withdraw(key: string): number {
    const removed = this.#queue.removeWithdrawable(key);
    for (const waiting of removed) waiting.reject(new WithdrawnError(key));
    if (removed.length > 0) this.#drain();
    return removed.length;
  }

  /** Counters and gauges, as a fresh object. */
  get stats(): BudgetStats {
    const now = this.#clock.now();
    const pause = this.#pause;
    return {
      requestsInWindow: this.#window?.sentAt(now) ?? 0,
      deferred: this.#deferred,
      queued: this.#queue.size,
      largestQueuedLag: this.#queue.largestMoveLag(),
      pausedUntil: pause.holds(now) ? pause.until : null,
      pauseRemainingMs: pause.remainingAt(now),
      pauses: pause.count,
    };
  }

  #admitsNow(priority: RequestPriority, weight: number): boolean {
    const arrival = this.#arrival;
    if (this.#pause.ever && this.#pause.holds(this.#clock.now()) && (arrival || priority !== 'protect')) return false;
    if (weight === 0) return arrival ? this.#queue.size === 0 : true;
    // Waiting calls keep their turn: a newcomer goes first only when it outranks all of them.
    if (this.#queue.outranks(priority)) return false;
    return this.#room(this.#clock.now()) >= weight;
  }

  #room(now: number): number {
    return this.#window === undefined ? Number.POSITIVE_INFINITY : this.#window.room(now);
  }

  /** Admits waiting calls while the window has room, then arms the timer for the next one. */
  #drain(): void {
    const now = this.#clock.now();
    const paused = this.#pause.holds(now);
    for (;;) {
      const next = this.#queue.next(paused);
      if (next === undefined) break;
      // The most urgent call waits for room; nothing behind it overtakes (it would starve).
      if (this.#room(now) < next.waiting.weight) break;
      next.take();
      this.#window?.reserve(next.waiting.weight);
      next.waiting.resolve();
    }
    if (this.#queue.size > 0) this.#schedule(now);
    else this.#clearTimer();
  }

  /** Arms one timer at the earliest moment the next call may go: room in the window, or the pause's end. */
  #schedule(now: number): void {
    let at = Number.POSITIVE_INFINITY;
    const paused = this.#pause.holds(now);
    if (paused) at = this.#pause.until;
    const next = this.#queue.next(paused);
    if (next !== undefined && this.#window !== undefined) at = Math.min(at, this.#window.roomAt(next.waiting.weight, now));
    if (at === Number.POSITIVE_INFINITY) return;
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.#drain();
    }, Math.max(0, Math.ceil(at - now)));
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }
}
