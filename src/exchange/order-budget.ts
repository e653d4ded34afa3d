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
 * Time comes from the injected {@link Clock}, so tests decide it.
 */
import type { Clock } from '../ports/clock.js';
import type { PlacerCapabilities } from '../ports/order-placer.js';
import { describeValue } from '../domain/validation.js';
import { ExchangeUnavailableError } from '../errors.js';

/** The venue operations the gateway sends, by the names the budget weighs them. */
export type VenueOperation = 'placeStop' | 'cancelStop' | 'amendStop' | 'findStop' | 'openStops' | 'placeTrailingStop' | 'closePosition';

/** Every venue operation (a `Record`, so an operation missing here fails to compile). */
const operationTemplate: Readonly<Record<VenueOperation, true>> = {
  placeStop: true,
  cancelStop: true,
  amendStop: true,
  findStop: true,
  openStops: true,
  placeTrailingStop: true,
  closePosition: true,
};

/** Every venue operation, in a fixed order. */
export const venueOperations: readonly VenueOperation[] = Object.keys(operationTemplate) as VenueOperation[];

/**
 * How urgent a venue request is, most urgent first:
 * - `protect`: placing a stop for a position that has none (creation, a stop cancelled by hand, a
 *   vanished order, the new half of a cancel-then-place move) or closing an unprotected position;
 * - `cancel`: a cancel correctness needs (compensation, removal, the old half of a move);
 * - `move`: moving a stop the venue already holds, ordered by how far it lags its target;
 * - `lookup`: lookups and listings (reconciliation).
 */
export type RequestPriority = 'protect' | 'cancel' | 'move' | 'lookup';

/** A venue's request limit, as a placer declares it (`capabilities.rateLimit`). */
export type VenueRateLimit = NonNullable<PlacerCapabilities['rateLimit']>;

/** The registry's `rateLimit` option: a venue limit, and how to spend it. */
export interface RateLimit extends VenueRateLimit {
  /**
   * How a short budget is spent: `risk` (default) by the priority rule of {@link RequestPriority},
   * and a waiting move sends its stop's latest target; `arrival`: first come, first served, each
   * request sent as it was made (a plain rate limiter, kept as the benchmarks' baseline).
   */
  readonly order?: 'risk' | 'arrival';
}

/** A {@link RateLimit} with its defaults filled in. */
export interface ResolvedRateLimit {
  readonly requests: number;
  readonly intervalMs: number;
  readonly weights: Readonly<Record<VenueOperation, number>>;
  readonly order: 'risk' | 'arrival';
}

/**
 * Validates a rate limit (the registry option, or a placer's declared default) and fills in its
 * defaults: every operation weighs 1, order `risk`. `name` prefixes the fields in messages.
 *
 * @throws TypeError for a wrong type or an unknown field, RangeError for a value out of range,
 *   naming the field (`rateLimit.requests`).
 */
export function resolveRateLimit(value: unknown, name = 'rateLimit'): ResolvedRateLimit {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected \`${name}\` to be an object such as { requests: 50, intervalMs: 1000 }, got ${describeValue(value)}`);
  }
  const input = value as Record<string, unknown>;
  refuseUnknown(input, ['requests', 'intervalMs', 'weights', 'order'], name);
  const requests = positiveInteger(`${name}.requests`, input.requests);
  const intervalMs = positiveInteger(`${name}.intervalMs`, input.intervalMs);
  const weights: Record<VenueOperation, number> = { ...operationWeightsOfOne };
  if (input.weights !== undefined) {
    const given = input.weights;
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      throw new TypeError(`Expected \`${name}.weights\` to be an object of operation to weight, got ${describeValue(given)}`);
    }
    refuseUnknown(given as Record<string, unknown>, venueOperations, `${name}.weights`);
    for (const [operation, weight] of Object.entries(given)) {
      if (weight === undefined) continue;
      const field = `${name}.weights.${operation}`;
      if (typeof weight !== 'number' || Number.isNaN(weight)) throw new TypeError(`Expected \`${field}\` to be a number, got ${describeValue(weight)}`);
      if (!Number.isInteger(weight) || weight < 0 || weight > requests) {
        throw new RangeError(`Expected \`${field}\` to be an integer in [0, ${requests}] (\`${name}.requests\`), got ${describeValue(weight)}`);
      }
      weights[operation as VenueOperation] = weight;
    }
  }
  const order = input.order ?? 'risk';
  if (order !== 'risk' && order !== 'arrival') {
    throw new TypeError(`Expected \`${name}.order\` to be 'risk' or 'arrival', got ${describeValue(order)}`);
  }
  return { requests, intervalMs, weights, order };
}

const operationWeightsOfOne: Readonly<Record<VenueOperation, number>> = Object.fromEntries(
  venueOperations.map((operation) => [operation, 1]),
) as Record<VenueOperation, number>;

function refuseUnknown(input: Record<string, unknown>, known: readonly string[], name: string): void {
  const unknown = Object.keys(input).filter((field) => !known.includes(field));
  if (unknown.length === 0) return;
  throw new TypeError(`Unknown field${unknown.length === 1 ? '' : 's'} ${unknown.map((field) => `\`${name}.${field}\``).join(', ')}; known: ${known.join(', ')}`);
}

function positiveInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`Expected \`${field}\` to be a number, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Expected \`${field}\` to be an integer >= 1, got ${describeValue(value)}`);
  return value;
}

/**
 * How far the stop the venue holds lags the stop the policy wants, as a fraction of the venue's
 * stop price (the same measure as the sync's `minImprovementPercent`, divided by 100): 0 when the
 * venue is at or past the target, `Infinity` when the venue's price is unknown.
 */
export function stopLag(stop: { readonly direction: 1 | -1; readonly stopPrice: number; readonly syncedStopPrice: number }): number {
  const synced = stop.syncedStopPrice;
  if (!(synced > 0)) return Number.POSITIVE_INFINITY;
  const gap = (stop.direction * (stop.stopPrice - synced)) / synced;
  return gap > 0 ? gap : 0;
}

/**
 * Thrown to a move that was withdrawn before it was sent (its stop ended or is being removed):
 * nothing reached the venue. The sync stops quietly on it.
 */
export class WithdrawnError extends Error {
  override readonly name = 'WithdrawnError';
  /** The key whose move was withdrawn. */
  readonly key: string;
  constructor(key: string) {
    super(`The move for ${key} was withdrawn before it was sent`);
    this.key = key;
  }
}

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
  readonly clock: Clock;
}

/** One call waiting for the budget. */
interface Waiting {
  readonly operation: VenueOperation;
  readonly priority: RequestPriority;
  readonly key: string;
  readonly lag: (() => number) | undefined;
  readonly withdrawable: boolean;
  readonly weight: number;
  /** Arrival number: the tie-break. */
  readonly sequence: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** A first-in, first-out queue with O(1) amortized removal at the head. */
class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  shift(): T | undefined {
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes and returns every item `test` accepts. */
  removeWhere(test: (item: T) => boolean): T[] {
    const kept: T[] = [];
    const removed: T[] = [];
    for (let index = this.#head; index < this.#items.length; index++) {
      const item = this.#items[index]!;
      (test(item) ? removed : kept).push(item);
    }
    this.#items = kept;
    this.#head = 0;
    return removed;
  }

  values(): T[] {
    return this.#items.slice(this.#head) as T[];
  }
}

/** See the module comment. */
export class OrderBudget {
  readonly #limit: ResolvedRateLimit | undefined;
  readonly #clock: Clock;
  /** Send times of the requests in the window, oldest first (a ring of `requests` slots). */
  readonly #sent: Float64Array;
  #sentHead = 0;
  #sentSize = 0;
  /** Weight admitted but not yet sent: it holds its place in the window. */
  #reserved = 0;
  // Risk order: one queue per class (moves are chosen by lag); arrival order: `#arrivals` only.
  readonly #protect = new Fifo<Waiting>();
  readonly #cancel = new Fifo<Waiting>();
  readonly #lookup = new Fifo<Waiting>();
  #moves: Waiting[] = [];
  readonly #arrivals = new Fifo<Waiting>();
  #sequence = 0;
  #deferred = 0;
  #pauses = 0;
  #pausedUntil = Number.NEGATIVE_INFINITY;
  #timer: unknown = undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(options: OrderBudgetOptions) {
    this.#limit = options.rateLimit;
    this.#clock = options.clock;
    this.#sent = new Float64Array(options.rateLimit?.requests ?? 0);
  }

  /** The resolved rate limit, `undefined` when there is none. */
  get rateLimit(): ResolvedRateLimit | undefined {
    return this.#limit;
  }

  /** True when a waiting move sends its stop's latest target (risk order, or no window at all). */
  get supersedes(): boolean {
    return this.#limit?.order !== 'arrival';
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
      this.#reserved += weight;
      return undefined;
    }
    this.#deferred++;
    return new Promise<void>((resolve, reject) => {
      const waiting: Waiting = { operation, priority, key, lag, withdrawable, weight, sequence: this.#sequence++, resolve, reject };
      this.#enqueue(waiting);
      this.#drain();
    });
  }

  /** The admitted call of `operation` is being sent now: it counts in the window from now. */
  spend(operation: VenueOperation): void {
    const limit = this.#limit;
    if (limit === undefined) return;
    const weight = limit.weights[operation];
    if (weight === 0) return;
    this.#reserved -= weight;
    const now = this.#clock.now();
    this.#expire(now);
    const capacity = this.#sent.length;
    for (let index = 0; index < weight; index++) {
      // The window never holds more than `requests`: admission saw to it.
      this.#sent[(this.#sentHead + this.#sentSize) % capacity] = now;
      this.#sentSize++;
    }
    if (this.#waitingCount() > 0) this.#schedule(now);
  }

  /** The admitted call of `operation` will not be sent after all: its place is given back. */
  release(operation: VenueOperation): void {
    const limit = this.#limit;
    if (limit === undefined) return;
    this.#reserved -= limit.weights[operation];
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
    if (!(untilMs > this.#pausedUntil)) return;
    if (!(this.#pausedUntil > this.#clock.now())) this.#pauses++;
    this.#pausedUntil = untilMs;
    this.#drain();
  }

  /**
   * Drops the waiting moves of `key` that may be withdrawn (not yet sent at all), rejecting them
   * with {@link WithdrawnError}. Returns how many were dropped.
   */
  withdraw(key: string): number {
    const test = (waiting: Waiting) => waiting.key === key && waiting.withdrawable;
    let removed: Waiting[];
    if (this.#limit?.order === 'arrival') {
      removed = this.#arrivals.removeWhere(test);
    } else {
      removed = this.#moves.filter(test);
      if (removed.length > 0) this.#moves = this.#moves.filter((waiting) => !test(waiting));
    }
    for (const waiting of removed) waiting.reject(new WithdrawnError(key));
    if (removed.length > 0) this.#drain();
    return removed.length;
  }

  /** Counters and gauges, as a fresh object. */
  get stats(): BudgetStats {
    const now = this.#clock.now();
    this.#expire(now);
    let largest = 0;
    const moves = this.#limit?.order === 'arrival' ? this.#arrivals.values().filter((waiting) => waiting.priority === 'move') : this.#moves;
    for (const waiting of moves) largest = Math.max(largest, lagOf(waiting));
    return {
      requestsInWindow: this.#sentSize,
      deferred: this.#deferred,
      queued: this.#waitingCount(),
      largestQueuedLag: largest,
      pausedUntil: this.#pausedUntil > now ? this.#pausedUntil : null,
      pauseRemainingMs: this.#pausedUntil > now ? this.#pausedUntil - now : 0,
      pauses: this.#pauses,
    };
  }

  #admitsNow(priority: RequestPriority, weight: number): boolean {
    const arrival = this.#limit?.order === 'arrival';
    if (this.#pausedUntil > Number.NEGATIVE_INFINITY) {
      const now = this.#clock.now();
      if (this.#pausedUntil > now && (arrival || priority !== 'protect')) return false;
    }
    if (weight === 0) return arrival ? this.#arrivals.size === 0 : true;
    // Waiting calls keep their turn: a newcomer goes first only when it outranks all of them.
    if (arrival ? this.#arrivals.size > 0 : this.#outranked(priority)) return false;
    return this.#room(this.#clock.now()) >= weight;
  }

  /** True when a call of `priority` would have to wait behind one already waiting. */
  #outranked(priority: RequestPriority): boolean {
    if (this.#protect.size > 0) return true;
    if (priority === 'protect') return false;
    if (this.#cancel.size > 0) return true;
    if (priority === 'cancel') return false;
    if (this.#moves.length > 0) return true;
    if (priority === 'move') return false;
    return this.#lookup.size > 0;
  }

  #room(now: number): number {
    const limit = this.#limit;
    if (limit === undefined) return Number.POSITIVE_INFINITY;
    this.#expire(now);
    return limit.requests - this.#sentSize - this.#reserved;
  }

  #expire(now: number): void {
    const limit = this.#limit;
    if (limit === undefined) return;
    const capacity = this.#sent.length;
    const horizon = now - limit.intervalMs;
    while (this.#sentSize > 0 && this.#sent[this.#sentHead]! <= horizon) {
      this.#sentHead = (this.#sentHead + 1) % capacity;
      this.#sentSize--;
    }
  }

  #enqueue(waiting: Waiting): void {
    if (this.#limit?.order === 'arrival') {
      this.#arrivals.push(waiting);
      return;
    }
    switch (waiting.priority) {
      case 'protect':
        this.#protect.push(waiting);
        break;
      case 'cancel':
        this.#cancel.push(waiting);
        break;
      case 'move':
        this.#moves.push(waiting);
        break;
      default:
        this.#lookup.push(waiting);
    }
  }

  #waitingCount(): number {
    return this.#protect.size + this.#cancel.size + this.#moves.length + this.#lookup.size + this.#arrivals.size;
  }

  /**
   * The call to admit next, without removing it: the most urgent class first, within moves the
   * largest lag, else the earliest arrival. During a pause only `protect` (nothing in arrival order).
   */
  #next(paused: boolean): { waiting: Waiting; take: () => void } | undefined {
    if (this.#limit?.order === 'arrival') {
      const head = this.#arrivals.peek();
      return head === undefined || paused ? undefined : { waiting: head, take: () => this.#arrivals.shift() };
    }
    const protect = this.#protect.peek();
    if (protect !== undefined) return { waiting: protect, take: () => this.#protect.shift() };
    if (paused) return undefined;
    const cancel = this.#cancel.peek();
    if (cancel !== undefined) return { waiting: cancel, take: () => this.#cancel.shift() };
    const moves = this.#moves;
    if (moves.length > 0) {
      let best = 0;
      let bestLag = lagOf(moves[0]!);
      for (let index = 1; index < moves.length; index++) {
        const lag = lagOf(moves[index]!);
        if (lag > bestLag || (lag === bestLag && moves[index]!.sequence < moves[best]!.sequence)) {
          best = index;
          bestLag = lag;
        }
      }
      const chosen = best;
      return { waiting: moves[chosen]!, take: () => void moves.splice(chosen, 1) };
    }
    const lookup = this.#lookup.peek();
    if (lookup !== undefined) return { waiting: lookup, take: () => this.#lookup.shift() };
    return undefined;
  }

  /** Admits waiting calls while the window has room, then arms the timer for the next one. */
  #drain(): void {
    const now = this.#clock.now();
    const paused = this.#pausedUntil > now;
    for (;;) {
      const next = this.#next(paused);
      if (next === undefined) break;
      // The most urgent call waits for room; nothing behind it overtakes (it would starve).
      if (this.#room(now) < next.waiting.weight) break;
      next.take();
      this.#reserved += next.waiting.weight;
      next.waiting.resolve();
    }
    if (this.#waitingCount() > 0) this.#schedule(now);
    else this.#clearTimer();
  }

  /** Arms one timer at the earliest moment the next call may go: room in the window, or the pause's end. */
  #schedule(now: number): void {
    let at = Number.POSITIVE_INFINITY;
    const paused = this.#pausedUntil > now;
    if (paused) at = this.#pausedUntil;
    const next = this.#next(paused);
    const limit = this.#limit;
    if (next !== undefined && limit !== undefined) {
      const missing = next.waiting.weight - this.#room(now);
      // Room comes back as the oldest sends leave the window; reserved weight frees only once sent.
      if (missing > 0 && missing <= this.#sentSize) {
        at = Math.min(at, this.#sent[(this.#sentHead + missing - 1) % this.#sent.length]! + limit.intervalMs);
      }
    }
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

/** A waiting move's current lag; anything unreadable counts as none. */
function lagOf(waiting: Waiting): number {
  if (waiting.lag === undefined) return 0;
  const lag = waiting.lag();
  return lag === lag ? lag : 0;
}
