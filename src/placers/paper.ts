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
  OrderUpdate,
  PlacerCallOptions,
  PlacerCapabilities,
  StopOrder,
  StopOrderRequest,
  TrailingStopOrderRequest,
  WatchOrdersOptions,
} from '../ports/order-placer.js';
import { systemClock } from '../ports/clock.js';
import { ExchangeRejectedError, ExchangeUnavailableError } from '../errors.js';
import { PaperBook } from './paper/book.js';
import { PaperCalls } from './paper/calls.js';
import { checkPaperOptions, type PaperExchangeOptions, type PaperOperation } from './paper/options.js';
import { PaperOrderStream } from './paper/order-stream.js';

export type { PaperCall, PaperExchangeOptions, PaperFault, PaperOperation } from './paper/options.js';

/** Paper venue; see the module comment. */
export class PaperExchange implements OrderPlacer {
  /** What this venue declares. */
  readonly capabilities: PlacerCapabilities;
  /** Calls received per operation. */
  readonly calls: Record<PaperOperation, number>;
  /** Positions closed through `closePosition`, in order. */
  readonly closes: ClosePositionRequest[] = [];
  /** Move in place, present when `amend: true`. */
  readonly amendStop?: (order: StopOrder, stopPrice: number, options: PlacerCallOptions) => Promise<StopOrder>;
  /** Lookup by client order id, present unless `find: false`. */
  readonly findStop?: (query: FindStopQuery, options: PlacerCallOptions) => Promise<StopOrder | undefined>;
  /** Native trailing orders, present when `nativeTrailing` is set. */
  readonly placeTrailingStop?: (request: TrailingStopOrderRequest, options: PlacerCallOptions) => Promise<StopOrder>;

  readonly #calls: PaperCalls;
  readonly #stream: PaperOrderStream;
  readonly #book: PaperBook;

  /** @param options See {@link PaperExchangeOptions}. */
  constructor(options: PaperExchangeOptions = {}) {
    checkPaperOptions(options);
    const clock = options.clock ?? systemClock;
    this.#calls = new PaperCalls(options, clock);
    this.calls = this.#calls.counts;
    this.#stream = new PaperOrderStream(options.orderUpdates ?? 'live');
    this.#book = new PaperBook(clock, (update) => this.#stream.publish(update));
    this.capabilities = {
      clientOrderIdMaxLength: 36,
      ...(options.cancelBeforePlace ? { cancelBeforePlace: true } : {}),
      ...(options.nativeTrailing ? { trailingCallbackPercent: options.nativeTrailing } : {}),
    };
    if (options.amend) {
      this.amendStop = (order, stopPrice, callOptions) =>
        this.#calls.run('amendStop', callOptions, { symbol: order.symbol, clientOrderId: order.clientOrderId }, () =>
          this.#book.amend(order, stopPrice),
        );
    }
    if (options.find !== false) {
      this.findStop = (query, callOptions) => this.#calls.run('findStop', callOptions, query, () => this.#book.find(query));
    }
    if (options.nativeTrailing) {
      const limits = options.nativeTrailing;
      this.placeTrailingStop = (request, callOptions) =>
        this.#calls.run('placeTrailingStop', callOptions, request, () => {
          if (request.callbackPercent < limits.min || request.callbackPercent > limits.max) {
            throw new ExchangeRejectedError(
              `Callback rate ${request.callbackPercent}% is outside the venue's ${limits.min}-${limits.max}%`,
            );
          }
          return this.#book.place(
            { ...request, stopPrice: 0 },
            { callbackPercent: request.callbackPercent, activationPrice: request.activationPrice },
          );
        });
    }
  }

  /** Calls currently being answered. */
  get inFlight(): number {
    return this.#calls.inFlight;
  }

  /** The most calls ever answered at the same time (compare with the registry's `concurrency`). */
  get maxInFlight(): number {
    return this.#calls.maxInFlight;
  }

  /** Calls refused by `rateLimit` (the 429 answers), since construction. */
  get rateLimited(): number {
    return this.#calls.rateLimited;
  }

  /** @inheritdoc */
  placeStop(request: StopOrderRequest, options: PlacerCallOptions): Promise<StopOrder> {
    return this.#calls.run('placeStop', options, request, () => this.#book.place(request));
  }

  /** @inheritdoc */
  cancelStop(order: StopOrder, options: PlacerCallOptions): Promise<void> {
    return this.#calls.run('cancelStop', options, order, () => {
      this.#book.cancel(order.id);
    });
  }

  /** @inheritdoc */
  openStops(options: OpenStopsOptions): Promise<StopOrder[]> {
    return this.#calls.run('openStops', options, {}, () => this.#book.liveOrders());
  }

  /** @inheritdoc */
  closePosition(request: ClosePositionRequest, options: PlacerCallOptions): Promise<void> {
    return this.#calls.run('closePosition', options, request, () => {
      if (this.closes.some((close) => close.clientOrderId === request.clientOrderId)) return;
      this.closes.push({ ...request });
      this.#book.closePosition(request);
    });
  }

  /** Open stops right now, synchronously (for tests and benchmarks). */
  liveOrders(symbol?: string): StopOrder[] {
    return this.#book.liveOrders(symbol);
  }

  /** Every order ever placed, any status, in placement order. */
  allOrders(): StopOrder[] {
    return this.#book.allOrders();
  }

  /** Last price set for `symbol`, if any. */
  price(symbol: string): number | undefined {
    return this.#book.price(symbol);
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
    return this.#book.setPrice(symbol, price);
  }

  /**
   * Cancels an order behind the registry's back, as a user clicking in the venue's web page.
   * Returns false when no open order has that id.
   */
  cancelByHand(orderId: string): boolean {
    return this.#book.cancel(orderId);
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
    return this.#book.fillPartially(orderId, quantity, price);
  }

  /**
   * Expires an open order, as a venue does when it voids a stop on its own (the position it
   * reduces is gone, a time in force ran out): an `expired` update, and the order is no longer
   * live (`status` `cancelled`). Returns false when no open order has that id.
   */
  expire(orderId: string): boolean {
    return this.#book.expire(orderId);
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
    return this.#stream.watch(listener, options);
  }

  /** Order-stream subscriptions currently listening. */
  get watchers(): number {
    return this.#stream.watchers;
  }

  /** Calls of {@link PaperExchange.watchOrders} since construction (resubscriptions included). */
  get watchCount(): number {
    return this.#stream.watchCount;
  }

  /**
   * Breaks every order-stream subscription, as a dropped websocket does: their promises reject
   * with `error` (default: an {@link ExchangeUnavailableError}) and their listeners hear nothing
   * more. Updates already queued for a microtask are lost with the stream.
   */
  failOrderStream(error: Error = new ExchangeUnavailableError('Paper order stream disconnected', { unknownOutcome: false })): void {
    this.#stream.fail(error);
  }

  /** Updates held back in `orderUpdates: 'manual'` mode, oldest first (copies). */
  pendingUpdates(): OrderUpdate[] {
    return this.#stream.pending();
  }

  /**
   * Delivers held updates (`orderUpdates: 'manual'`) to the listeners subscribed now,
   * synchronously and in order: all of them, the first `select` ones, or those `select` accepts
   * (the others stay held). Returns the updates delivered.
   */
  deliverUpdates(select?: number | ((update: OrderUpdate) => boolean)): OrderUpdate[] {
    return this.#stream.deliverHeld(select);
  }

  /**
   * Throws held updates away (`orderUpdates: 'manual'`), as a stream that missed them: all, the
   * first `select` ones, or those `select` accepts. Returns the updates dropped.
   */
  dropUpdates(select?: number | ((update: OrderUpdate) => boolean)): OrderUpdate[] {
    return this.#stream.takeHeld(select);
  }

  /** Total ms `symbol` had no open stop between its first stop and now (cancel-then-place gaps). */
  unprotectedMs(symbol: string): number {
    return this.#book.unprotected.ms(symbol);
  }

  /** Forgets the unprotected-time accounting of `symbol` (e.g. after the position closed). */
  resetUnprotected(symbol: string): void {
    this.#book.unprotected.reset(symbol);
  }
}
