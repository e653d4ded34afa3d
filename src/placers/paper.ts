/**
 * `PaperExchange`: an {@link OrderPlacer} that simulates a venue in memory, for demos, tests and
 * benchmarks. It behaves like a careful real venue: client order ids are idempotent while open,
 * cancelling a gone order succeeds, a stop already crossed by the last price is refused with
 * {@link WouldTriggerError}, and stops fill when {@link PaperExchange.setPrice} crosses them.
 *
 * Orders take effect when a call arrives and the answer comes back after the configured latency,
 * ignoring the AbortSignal by default, as over a real network: a call that times out may still
 * have placed its order (I7).
 *
 * Like a venue's user-data stream, {@link PaperExchange.watchOrders} reports what happens to every
 * order (placed, moved, filled, partly filled, cancelled, expired), including what a test does
 * behind the registry's back ({@link PaperExchange.fillPartially}, {@link PaperExchange.cancelByHand},
 * {@link PaperExchange.expire}); `orderUpdates: 'manual'` holds the reports back so a test can
 * deliver them late, out of turn, or never.
 */
import type {
  ClosePositionRequest,
  FindStopQuery,
  OpenStopsOptions,
  OrderPlacer,
  OrderSide,
  OrderUpdate,
  PlacerCallOptions,
  PlacerCapabilities,
  StopOrder,
  StopOrderRequest,
  TrailingStopOrderRequest,
  WatchOrdersOptions,
} from '../ports/order-placer.js';
import { type Clock, systemClock } from '../ports/clock.js';
import {
  AbortedError,
  ClientOrderIdUsedError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  OrderNotFoundError,
  WouldTriggerError,
} from '../errors.js';
import { describeValue } from '../domain/validation.js';

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
  readonly nativeTrailing?: { readonly min: number; readonly max: number };
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
  readonly rateLimit?: { readonly requests: number; readonly intervalMs: number };
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

/** A stop in the paper book. */
interface PaperOrder extends StopOrder {
  status: 'open' | 'filled' | 'cancelled';
  stopPrice: number;
  quantity: number;
  /** Executed so far (partial fills), base units. */
  filledQuantity: number;
  /** Sum of price × quantity of what executed so far (the average is this over `filledQuantity`). */
  filledValue: number;
  readonly trailing?: { callbackPercent: number; activationPrice?: number; best?: number };
}

/** Paper venue; see the module comment. */
export class PaperExchange implements OrderPlacer {
  /** What this venue declares. */
  readonly capabilities: PlacerCapabilities;
  /** Calls received per operation. */
  readonly calls: Record<PaperOperation, number> = {
    placeStop: 0,
    cancelStop: 0,
    amendStop: 0,
    findStop: 0,
    openStops: 0,
    placeTrailingStop: 0,
    closePosition: 0,
  };
  /** Positions closed through `closePosition`, in order. */
  readonly closes: ClosePositionRequest[] = [];
  /** Move in place, present when `amend: true`. */
  readonly amendStop?: (order: StopOrder, stopPrice: number, options: PlacerCallOptions) => Promise<StopOrder>;
  /** Lookup by client order id, present unless `find: false`. */
  readonly findStop?: (query: FindStopQuery, options: PlacerCallOptions) => Promise<StopOrder | undefined>;
  /** Native trailing orders, present when `nativeTrailing` is set. */
  readonly placeTrailingStop?: (request: TrailingStopOrderRequest, options: PlacerCallOptions) => Promise<StopOrder>;

  readonly #options: PaperExchangeOptions;
  readonly #clock: Clock;
  readonly #orders = new Map<string, PaperOrder>();
  readonly #byClientOrderId = new Map<string, PaperOrder>();
  readonly #prices = new Map<string, number>();
  readonly #unprotectedSince = new Map<string, number>();
  readonly #unprotectedTotal = new Map<string, number>();
  #nextId = 1;
  #inFlight = 0;
  #maxInFlight = 0;
  /** Arrival times of the accepted calls in the rate-limit window, oldest first. */
  readonly #accepted: number[] = [];
  #acceptedHead = 0;
  #rateLimited = 0;
  /** Order-stream subscriptions still listening. */
  readonly #watchers = new Set<PaperWatcher>();
  /** Updates held back in `orderUpdates: 'manual'` mode, oldest first. */
  #heldUpdates: OrderUpdate[] = [];
  #watchCount = 0;

  /** @param options See {@link PaperExchangeOptions}. */
  constructor(options: PaperExchangeOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    if (options.rateLimit !== undefined) checkRateLimit(options.rateLimit);
    if (options.orderUpdates !== undefined && options.orderUpdates !== 'live' && options.orderUpdates !== 'manual') {
      throw new TypeError(`Expected \`orderUpdates\` to be 'live' or 'manual', got ${describeValue(options.orderUpdates)}`);
    }
    this.capabilities = {
      clientOrderIdMaxLength: 36,
      ...(options.cancelBeforePlace ? { cancelBeforePlace: true } : {}),
      ...(options.nativeTrailing ? { trailingCallbackPercent: options.nativeTrailing } : {}),
    };
    if (options.amend) {
      this.amendStop = (order, stopPrice, callOptions) =>
        this.#call('amendStop', callOptions, { symbol: order.symbol, clientOrderId: order.clientOrderId }, () =>
          this.#amend(order, stopPrice),
        );
    }
    if (options.find !== false) {
      this.findStop = (query, callOptions) =>
        this.#call('findStop', callOptions, query, () => {
          const order = this.#byClientOrderId.get(query.clientOrderId);
          return order === undefined || order.symbol !== query.symbol ? undefined : copy(order);
        });
    }
    if (options.nativeTrailing) {
      const limits = options.nativeTrailing;
      this.placeTrailingStop = (request, callOptions) =>
        this.#call('placeTrailingStop', callOptions, request, () => {
          if (request.callbackPercent < limits.min || request.callbackPercent > limits.max) {
            throw new ExchangeRejectedError(
              `Callback rate ${request.callbackPercent}% is outside the venue's ${limits.min}-${limits.max}%`,
            );
          }
          return this.#place(
            { ...request, stopPrice: 0 },
            { callbackPercent: request.callbackPercent, activationPrice: request.activationPrice },
          );
        });
    }
  }

  /** Calls currently being answered. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most calls ever answered at the same time (compare with the registry's `concurrency`). */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** Calls refused by `rateLimit` (the 429 answers), since construction. */
  get rateLimited(): number {
    return this.#rateLimited;
  }

  /** @inheritdoc */
  placeStop(request: StopOrderRequest, options: PlacerCallOptions): Promise<StopOrder> {
    return this.#call('placeStop', options, request, () => this.#place(request));
  }

  /** @inheritdoc */
  cancelStop(order: StopOrder, options: PlacerCallOptions): Promise<void> {
    return this.#call('cancelStop', options, order, () => {
      const existing = this.#orders.get(order.id);
      if (existing !== undefined && existing.status === 'open') this.#close(existing, 'cancelled');
    });
  }

  /** @inheritdoc */
  openStops(options: OpenStopsOptions): Promise<StopOrder[]> {
    return this.#call('openStops', options, {}, () => this.liveOrders());
  }

  /** @inheritdoc */
  closePosition(request: ClosePositionRequest, options: PlacerCallOptions): Promise<void> {
    return this.#call('closePosition', options, request, () => {
      if (this.closes.some((close) => close.clientOrderId === request.clientOrderId)) return;
      this.closes.push({ ...request });
      // Reduce-only semantics: once the position is flat its protective stops are void.
      for (const order of this.#orders.values()) {
        if (order.status === 'open' && order.symbol === request.symbol && order.side === request.side) {
          this.#close(order, 'cancelled');
        }
      }
    });
  }

  /** Open stops right now, synchronously (for tests and benchmarks). */
  liveOrders(symbol?: string): StopOrder[] {
    const result: StopOrder[] = [];
    for (const order of this.#orders.values()) {
      if (order.status === 'open' && (symbol === undefined || order.symbol === symbol)) result.push(copy(order));
    }
    return result;
  }

  /** Every order ever placed, any status, in placement order. */
  allOrders(): StopOrder[] {
    return [...this.#orders.values()].map(copy);
  }

  /** Last price set for `symbol`, if any. */
  price(symbol: string): number | undefined {
    return this.#prices.get(symbol);
  }

  /**
   * Sets the market price: open stops it crosses fill (a sell stop at or above the price, a buy
   * stop at or below it), and native trailing orders trail. Returns the orders that filled.
   *
   * A stop fills what is left of it at `price`, the crossing price, not at its stop price: a stop
   * market order executes at the market, so a gap through the stop fills at the gap's price. Its
   * `filled` update carries the whole order quantity and the average over earlier partial fills.
   */
  setPrice(symbol: string, price: number): StopOrder[] {
    this.#prices.set(symbol, price);
    const filled: StopOrder[] = [];
    for (const order of this.#orders.values()) {
      if (order.status !== 'open' || order.symbol !== symbol) continue;
      if (order.trailing !== undefined) this.#trail(order, price);
      const armed = order.trailing === undefined || order.trailing.best !== undefined;
      if (armed && crosses(order.side, order.stopPrice, price)) {
        this.#execute(order, order.quantity - order.filledQuantity, price);
        this.#close(order, 'filled');
        filled.push(copy(order));
      }
    }
    return filled;
  }

  /**
   * Cancels an order behind the registry's back, as a user clicking in the venue's web page.
   * Returns false when no open order has that id.
   */
  cancelByHand(orderId: string): boolean {
    const order = this.#orders.get(orderId);
    if (order === undefined || order.status !== 'open') return false;
    this.#close(order, 'cancelled');
    return true;
  }

  /**
   * Executes part of an open order behind the registry's back, as a thin book or a partial
   * trigger does: `quantity` more base units fill at `price` (default: the order's stop price).
   * The order stays open with the rest and a `partially-filled` update reports the cumulative
   * filled quantity and average price; a `quantity` equal to what is left fills the order
   * (`filled`). Returns false when no open order has that id.
   *
   * @throws TypeError / RangeError for a quantity that is not a finite number in (0, remaining],
   *   or a price that is not a finite number > 0 (nothing changes).
   */
  fillPartially(orderId: string, quantity: number, price?: number): boolean {
    const order = this.#orders.get(orderId);
    if (order === undefined || order.status !== 'open') return false;
    const remaining = order.quantity - order.filledQuantity;
    // Binary noise (0.3 - 0.1 < 0.2) must not refuse a fill of exactly what is left.
    const tolerance = order.quantity * 1e-12;
    if (typeof quantity !== 'number' || Number.isNaN(quantity)) {
      throw new TypeError(`Expected \`quantity\` to be a number, got ${describeValue(quantity)}`);
    }
    if (!(quantity > 0 && quantity <= remaining + tolerance)) {
      throw new RangeError(`Expected \`quantity\` to be in (0, ${remaining}] (what is left of order ${orderId}), got ${describeValue(quantity)}`);
    }
    if (price !== undefined && (typeof price !== 'number' || !Number.isFinite(price) || price <= 0)) {
      throw new RangeError(`Expected \`price\` to be a finite number > 0, got ${describeValue(price)}`);
    }
    this.#execute(order, quantity, price ?? order.stopPrice);
    if (order.filledQuantity === order.quantity) {
      this.#close(order, 'filled');
    } else {
      this.#announce(order, 'partially-filled');
    }
    return true;
  }

  /**
   * Expires an open order, as a venue does when it voids a stop on its own (the position it
   * reduces is gone, a time in force ran out): an `expired` update, and the order is no longer
   * live (`status` `cancelled`). Returns false when no open order has that id.
   */
  expire(orderId: string): boolean {
    const order = this.#orders.get(orderId);
    if (order === undefined || order.status !== 'open') return false;
    this.#close(order, 'cancelled', 'expired');
    return true;
  }

  /**
   * Streams order updates to `listener` until `options.signal` aborts (see the `orderUpdates`
   * option for when they arrive): `open` when an order is placed or moved, `partially-filled`,
   * `filled`, `cancelled` (by `cancelStop`, `closePosition` or {@link PaperExchange.cancelByHand})
   * and `expired`. Each update carries the client order id, the paper order id, the cumulative
   * filled quantity and average price once anything executed, and `timestamp` from the clock.
   * The promise resolves when the signal aborts, and rejects when a test breaks the stream with
   * {@link PaperExchange.failOrderStream}.
   */
  watchOrders(listener: (update: OrderUpdate) => void, options: WatchOrdersOptions): Promise<void> {
    if (typeof listener !== 'function') throw new TypeError(`Expected \`listener\` to be a function, got ${describeValue(listener)}`);
    const signal = options?.signal;
    if (typeof signal?.addEventListener !== 'function' || typeof signal.aborted !== 'boolean') throw new TypeError(`Expected \`options.signal\` to be an AbortSignal, got ${describeValue(signal)}`);
    this.#watchCount++;
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const watcher: PaperWatcher = {
        listener,
        signal,
        end: (error) => {
          this.#watchers.delete(watcher);
          signal.removeEventListener('abort', onAbort);
          if (error === undefined) resolve();
          else reject(error);
        },
      };
      const onAbort = () => watcher.end(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#watchers.add(watcher);
    });
  }

  /** Order-stream subscriptions currently listening. */
  get watchers(): number {
    return this.#watchers.size;
  }

  /** Calls of {@link PaperExchange.watchOrders} since construction (resubscriptions included). */
  get watchCount(): number {
    return this.#watchCount;
  }

  /**
   * Breaks every order-stream subscription, as a dropped websocket does: their promises reject
   * with `error` (default: an {@link ExchangeUnavailableError}) and their listeners hear nothing
   * more. Updates already queued for a microtask are lost with the stream.
   */
  failOrderStream(error: Error = new ExchangeUnavailableError('Paper order stream disconnected', { unknownOutcome: false })): void {
    for (const watcher of [...this.#watchers]) watcher.end(error);
  }

  /** Updates held back in `orderUpdates: 'manual'` mode, oldest first (copies). */
  pendingUpdates(): OrderUpdate[] {
    return this.#heldUpdates.map((update) => ({ ...update }));
  }

  /**
   * Delivers held updates (`orderUpdates: 'manual'`) to the listeners subscribed now,
   * synchronously and in order: all of them, the first `select` ones, or those `select` accepts
   * (the others stay held). Returns the updates delivered.
   */
  deliverUpdates(select?: number | ((update: OrderUpdate) => boolean)): OrderUpdate[] {
    const taken = this.#takeHeld(select);
    for (const update of taken) this.#deliver(update, [...this.#watchers]);
    return taken;
  }

  /**
   * Throws held updates away (`orderUpdates: 'manual'`), as a stream that missed them: all, the
   * first `select` ones, or those `select` accepts. Returns the updates dropped.
   */
  dropUpdates(select?: number | ((update: OrderUpdate) => boolean)): OrderUpdate[] {
    return this.#takeHeld(select);
  }

  /** Total ms `symbol` had no open stop between its first stop and now (cancel-then-place gaps). */
  unprotectedMs(symbol: string): number {
    const since = this.#unprotectedSince.get(symbol);
    const open = since === undefined ? 0 : this.#clock.now() - since;
    return (this.#unprotectedTotal.get(symbol) ?? 0) + open;
  }

  /** Forgets the unprotected-time accounting of `symbol` (e.g. after the position closed). */
  resetUnprotected(symbol: string): void {
    this.#unprotectedSince.delete(symbol);
    this.#unprotectedTotal.delete(symbol);
  }

  #place(request: StopOrderRequest, trailing?: PaperOrder['trailing']): StopOrder {
    const existing = this.#byClientOrderId.get(request.clientOrderId);
    if (existing !== undefined && existing.status === 'open') return copy(existing);
    if (existing !== undefined) {
      throw new ClientOrderIdUsedError(request.clientOrderId);
    }
    const price = this.#prices.get(request.symbol);
    if (trailing === undefined && price !== undefined && crosses(request.side, request.stopPrice, price)) {
      throw new WouldTriggerError(
        `Stop ${request.stopPrice} for ${request.symbol} would immediately trigger at price ${price}`,
      );
    }
    const order: PaperOrder = {
      id: `paper-${this.#nextId++}`,
      clientOrderId: request.clientOrderId,
      symbol: request.symbol,
      side: request.side,
      quantity: request.quantity,
      stopPrice: request.stopPrice,
      status: 'open',
      filledQuantity: 0,
      filledValue: 0,
      ...(trailing ? { trailing: { ...trailing } } : {}),
    };
    this.#orders.set(order.id, order);
    this.#byClientOrderId.set(order.clientOrderId, order);
    this.#protect(order.symbol);
    this.#announce(order, 'open');
    return copy(order);
  }

  #amend(order: StopOrder, stopPrice: number): StopOrder {
    const existing = this.#orders.get(order.id);
    if (existing === undefined || existing.status !== 'open') {
      throw new OrderNotFoundError(`Order ${order.id} is not open`);
    }
    const price = this.#prices.get(existing.symbol);
    if (price !== undefined && crosses(existing.side, stopPrice, price)) {
      throw new WouldTriggerError(`Stop ${stopPrice} for ${existing.symbol} would immediately trigger at price ${price}`);
    }
    existing.stopPrice = stopPrice;
    this.#announce(existing, existing.filledQuantity > 0 ? 'partially-filled' : 'open');
    return copy(existing);
  }

  #trail(order: PaperOrder, price: number): void {
    const trailing = order.trailing!;
    const sign = order.side === 'sell' ? 1 : -1;
    if (trailing.best === undefined) {
      if (trailing.activationPrice !== undefined && sign * (price - trailing.activationPrice) < 0) return;
      trailing.best = price;
    }
    if (sign * (price - trailing.best) > 0) trailing.best = price;
    order.stopPrice = trailing.best * (1 - (sign * trailing.callbackPercent) / 100);
  }

  #close(order: PaperOrder, status: 'filled' | 'cancelled', reported: OrderUpdate['status'] = status): void {
    order.status = status;
    this.#announce(order, reported);
    for (const other of this.#orders.values()) {
      if (other.status === 'open' && other.symbol === order.symbol) return;
    }
    this.#unprotectedSince.set(order.symbol, this.#clock.now());
  }

  /** Books `quantity` more executed at `price`; what is left rounding to nothing fills the order exactly. */
  #execute(order: PaperOrder, quantity: number, price: number): void {
    order.filledValue += price * quantity;
    order.filledQuantity += quantity;
    // Binary noise (0.1 + 0.2) must neither keep a filled order open nor report 0.30000000000000004.
    if (Math.abs(order.quantity - order.filledQuantity) <= order.quantity * 1e-12) order.filledQuantity = order.quantity;
  }

  /** Reports `order` as it is now, live on a microtask or held, per the `orderUpdates` option. */
  #announce(order: PaperOrder, status: OrderUpdate['status']): void {
    const update: OrderUpdate = {
      clientOrderId: order.clientOrderId,
      id: order.id,
      symbol: order.symbol,
      status,
      ...(order.filledQuantity > 0
        ? { filledQuantity: order.filledQuantity, averagePrice: Number((order.filledValue / order.filledQuantity).toPrecision(12)) }
        : {}),
      timestamp: this.#clock.now(),
    };
    if (this.#options.orderUpdates === 'manual') {
      this.#heldUpdates.push(update);
      return;
    }
    if (this.#watchers.size === 0) return; // nobody subscribed: a stream nobody listens to is not heard
    const audience = [...this.#watchers];
    queueMicrotask(() => this.#deliver(update, audience));
  }

  #deliver(update: OrderUpdate, audience: readonly PaperWatcher[]): void {
    for (const watcher of audience) {
      // Aborted or broken since: that subscription hears nothing more.
      if (!this.#watchers.has(watcher) || watcher.signal.aborted) continue;
      watcher.listener({ ...update });
    }
  }

  #takeHeld(select: number | ((update: OrderUpdate) => boolean) | undefined): OrderUpdate[] {
    if (select === undefined) {
      const all = this.#heldUpdates;
      this.#heldUpdates = [];
      return all;
    }
    if (typeof select === 'number') {
      if (!Number.isInteger(select) || select < 0) throw new RangeError(`Expected a count to be an integer >= 0, got ${describeValue(select)}`);
      return this.#heldUpdates.splice(0, select);
    }
    if (typeof select !== 'function') throw new TypeError(`Expected a count or a predicate, got ${describeValue(select)}`);
    const taken: OrderUpdate[] = [];
    const kept: OrderUpdate[] = [];
    for (const update of this.#heldUpdates) (select({ ...update }) ? taken : kept).push(update);
    this.#heldUpdates = kept;
    return taken;
  }

  #protect(symbol: string): void {
    const since = this.#unprotectedSince.get(symbol);
    if (since === undefined) return;
    this.#unprotectedSince.delete(symbol);
    this.#unprotectedTotal.set(symbol, (this.#unprotectedTotal.get(symbol) ?? 0) + this.#clock.now() - since);
  }

  #call<T>(
    operation: PaperOperation,
    options: PlacerCallOptions,
    target: { symbol?: string; clientOrderId?: string },
    execute: () => T,
  ): Promise<T> {
    const sequence = ++this.calls[operation];
    const call: PaperCall = { operation, sequence, symbol: target.symbol, clientOrderId: target.clientOrderId };
    const honorAbort = this.#options.honorAbort === true;
    if (honorAbort && options.signal.aborted) return Promise.reject(new AbortedError());
    // The venue's front door: a call over the limit is refused before anything else.
    const fault = this.#refuseOverLimit() ?? this.#options.fault?.(call);
    const latency = this.#latency(call);
    this.#inFlight++;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        this.#inFlight--;
        outcome();
      };
      if (fault === 'hang') {
        // Never answers, never executes; only an honoured abort releases it.
        if (honorAbort) options.signal.addEventListener('abort', () => finish(() => reject(new AbortedError())));
        return;
      }
      let result: { ok: true; value: T } | { ok: false; error: unknown };
      if (fault instanceof Error) {
        result = { ok: false, error: fault };
      } else {
        try {
          result = { ok: true, value: execute() };
        } catch (error) {
          result = { ok: false, error };
        }
      }
      if (fault === 'lose-answer') {
        if (honorAbort) options.signal.addEventListener('abort', () => finish(() => reject(new AbortedError())));
        return;
      }
      const answer = () => finish(() => (result.ok ? resolve(result.value) : reject(result.error)));
      if (honorAbort) options.signal.addEventListener('abort', () => finish(() => reject(new AbortedError())));
      if (latency <= 0) queueMicrotask(answer);
      else this.#clock.setTimeout(answer, latency);
    });
  }

  /** The 429 answer when the rate limit is reached; else counts the call in the window. */
  #refuseOverLimit(): ExchangeUnavailableError | undefined {
    const limit = this.#options.rateLimit;
    if (limit === undefined) return undefined;
    const now = this.#clock.now();
    const accepted = this.#accepted;
    while (this.#acceptedHead < accepted.length && accepted[this.#acceptedHead]! <= now - limit.intervalMs) this.#acceptedHead++;
    if (this.#acceptedHead > 1_024) {
      accepted.splice(0, this.#acceptedHead);
      this.#acceptedHead = 0;
    }
    if (accepted.length - this.#acceptedHead < limit.requests) {
      accepted.push(now);
      return undefined;
    }
    this.#rateLimited++;
    const retryAfterMs = Math.max(1, accepted[this.#acceptedHead]! + limit.intervalMs - now);
    return new ExchangeUnavailableError(
      `429 Too Many Requests: more than ${limit.requests} requests in ${limit.intervalMs} ms; retry after ${retryAfterMs} ms`,
      { unknownOutcome: false, retryAfterMs },
    );
  }

  #latency(call: PaperCall): number {
    const latency = this.#options.latencyMs ?? 0;
    return typeof latency === 'function' ? latency(call) : latency;
  }
}

/** One order-stream subscription. */
interface PaperWatcher {
  readonly listener: (update: OrderUpdate) => void;
  readonly signal: AbortSignal;
  /** Ends the subscription: resolves its promise, or rejects it with `error`. */
  readonly end: (error: Error | undefined) => void;
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

/** True when a stop on `side` at `stopPrice` is crossed by `price`. */
function crosses(side: OrderSide, stopPrice: number, price: number): boolean {
  return side === 'sell' ? price <= stopPrice : price >= stopPrice;
}

function copy(order: PaperOrder): StopOrder {
  return {
    id: order.id,
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    quantity: order.quantity,
    stopPrice: order.stopPrice,
    status: order.status,
  };
}
