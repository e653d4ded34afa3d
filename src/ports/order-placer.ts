/**
 * The exchange port. An `OrderPlacer` places, moves and cancels reduce-only protective stop orders
 * on one venue. The registry calls it under its concurrency bound, with a timeout and an
 * AbortSignal on every call, and never holds a lock or store transaction across a call (I3).
 *
 * Errors: throw the library's typed errors so the registry can tell outcomes apart:
 * - `WouldTriggerError`: the stop price is already crossed (emergency path, no retry);
 * - `ExchangeUnavailableError`: network, rate limit, overload (retried; `unknownOutcome` when the
 *   request may have reached the venue);
 * - `ExchangeRejectedError`: refused for good (no retry);
 * - `OrderNotFoundError`: the venue does not know the order.
 * Any other error is treated as a rejection with an unknown outcome.
 */

export type { OrderSide } from '../domain/position.js';
import type { OrderSide } from '../domain/position.js';

/** What the registry asks the venue to place. */
export interface StopOrderRequest {
  /** Venue symbol, e.g. `BTC/USDT:USDT` for ccxt or `BTCUSDT` for a raw venue. */
  readonly symbol: string;
  /** The closing side. */
  readonly side: OrderSide;
  /** Position size to protect (base currency units, positive). */
  readonly quantity: number;
  /** Trigger price of the stop-market order. */
  readonly stopPrice: number;
  /**
   * Deterministic client order id. Placing an id that is already open must resolve to that same
   * order, never a second one: that is what makes retries after a timeout safe (I7).
   */
  readonly clientOrderId: string;
}

/** A stop order as the venue knows it. */
export interface StopOrder {
  /** The venue's order id. */
  readonly id: string;
  /** The client order id it was placed with. */
  readonly clientOrderId: string;
  /** Venue symbol. */
  readonly symbol: string;
  /** The closing side. */
  readonly side: OrderSide;
  /** Quantity as the venue accepted it (after precision rounding). */
  readonly quantity: number;
  /** Trigger price as the venue accepted it (after precision rounding). */
  readonly stopPrice: number;
  /** Lifecycle as far as the placer knows; absent means `open`. */
  readonly status?: 'open' | 'filled' | 'cancelled';
}

/**
 * What the venue says happened to one order, from its order stream (a user-data websocket) or
 * handed in by the bot with `registry.handleOrderUpdate()`. The registry matches it to a stop by
 * client order id, else by venue id, and ignores an update older (by `timestamp`) than the last
 * it applied for that order.
 */
export interface OrderUpdate {
  /** The client order id the order was placed with (as the registry made it). */
  readonly clientOrderId: string;
  /** The venue's order id, when known. */
  readonly id?: string;
  /** Venue symbol. */
  readonly symbol: string;
  /** The order's lifecycle now. */
  readonly status: 'open' | 'partially-filled' | 'filled' | 'cancelled' | 'expired' | 'rejected';
  /** Cumulative filled quantity, in base units (as `StopOrderRequest.quantity`). */
  readonly filledQuantity?: number;
  /** Average fill price, when anything filled. */
  readonly averagePrice?: number;
  /** When the venue reported it (ms epoch); orders updates of one order. */
  readonly timestamp?: number;
}

/** Options of {@link OrderPlacer.watchOrders}. */
export interface WatchOrdersOptions {
  /** Aborted when the registry closes: stop delivering and release the stream. */
  readonly signal: AbortSignal;
}

/** Options passed to every placer call. */
export interface PlacerCallOptions {
  /** Aborted when the registry's timeout fires or the registry closes. */
  readonly signal: AbortSignal;
}

/** Options of {@link OrderPlacer.openStops}. */
export interface OpenStopsOptions extends PlacerCallOptions {
  /**
   * Symbols the registry knows stops for (from its store and memory). Venues that can only list
   * open orders per symbol (Binance) use them; others may ignore them.
   */
  readonly symbols?: readonly string[];
}

/** Lookup key for {@link OrderPlacer.findStop}. */
export interface FindStopQuery {
  /** Venue symbol. */
  readonly symbol: string;
  /** The client order id to look for. */
  readonly clientOrderId: string;
}

/** A native trailing order (venues such as Binance TRAILING_STOP_MARKET). */
export interface TrailingStopOrderRequest {
  /** Venue symbol. */
  readonly symbol: string;
  /** The closing side. */
  readonly side: OrderSide;
  /** Position size to protect. */
  readonly quantity: number;
  /** Callback rate in percent of the peak (Binance: 0.1 to 10). */
  readonly callbackPercent: number;
  /** Price at which the venue starts trailing; absent means immediately. */
  readonly activationPrice?: number;
  /** Deterministic client order id. */
  readonly clientOrderId: string;
}

/** A reduce-only market close of the position (emulated mode and the gap path). */
export interface ClosePositionRequest {
  /** Venue symbol. */
  readonly symbol: string;
  /** The closing side. */
  readonly side: OrderSide;
  /** Quantity to close. */
  readonly quantity: number;
  /** Deterministic client order id, so a retried close cannot close twice. */
  readonly clientOrderId: string;
}

/** What a placer declares about its venue; everything optional. */
export interface PlacerCapabilities {
  /** Longest client order id the venue accepts (Binance: 36). Default 36. */
  readonly clientOrderIdMaxLength?: number;
  /**
   * Limits of native trailing orders' callback rate, in percent. `create()` in mode `native`
   * refuses a `callbackPercent` outside them with a `ValidationError` before anything is sent.
   * Default: Binance's, 0.1 to 10.
   */
  readonly trailingCallbackPercent?: {
    /** Smallest callback rate the venue accepts, in percent (Binance: 0.1). */
    readonly min: number;
    /** Largest callback rate the venue accepts, in percent (Binance: 10). */
    readonly max: number;
  };
  /**
   * True when the venue cancels the old stop before the new one exists (cancel-then-place); the
   * registry then reports the unprotected window in `stats.unprotectedMs`.
   */
  readonly cancelBeforePlace?: boolean;
  /**
   * The venue's request limit for this account, the registry's default `rateLimit` when the user
   * sets none: at most `requests` requests in any `intervalMs`, each operation counting its
   * weight (default 1; 0: not counted). Declare it from the venue's documented limits, with a
   * margin for other clients of the same account.
   */
  readonly rateLimit?: {
    /** Requests allowed in any window of `intervalMs` (integer >= 1). */
    readonly requests: number;
    /** Length of the sliding window in ms (integer >= 1). */
    readonly intervalMs: number;
    /** Requests each operation counts for (integers in [0, requests]); unlisted operations count 1. */
    readonly weights?: {
      /** Weight of {@link OrderPlacer.placeStop}: creating a stop, activating it, the new half of a move. */
      readonly placeStop?: number;
      /** Weight of {@link OrderPlacer.cancelStop}: removals, compensations, the old half of a move. */
      readonly cancelStop?: number;
      /** Weight of {@link OrderPlacer.amendStop}: a move in place. */
      readonly amendStop?: number;
      /** Weight of {@link OrderPlacer.findStop}: lookups after a timeout and in reconciliation. */
      readonly findStop?: number;
      /** Weight of {@link OrderPlacer.openStops}: one listing of open stops (reconciliation). */
      readonly openStops?: number;
      /** Weight of {@link OrderPlacer.placeTrailingStop}: placing a native trailing order. */
      readonly placeTrailingStop?: number;
      /** Weight of {@link OrderPlacer.closePosition}: a reduce-only market close. */
      readonly closePosition?: number;
    };
  };
}

/** The exchange port (docs/design.md section 5). */
export interface OrderPlacer {
  /** Optional description of the venue's limits. */
  readonly capabilities?: PlacerCapabilities;

  /**
   * Places a reduce-only stop-market order. Called on creation (with an initial stop), on
   * activation, and for every make-before-break move. Placing an already-open `clientOrderId` must
   * resolve to that order.
   */
  placeStop(request: StopOrderRequest, options: PlacerCallOptions): Promise<StopOrder>;

  /**
   * Cancels a stop. Called on removal, after a lost race (compensation) and after a
   * make-before-break move. An order that is already gone (filled, cancelled) counts as cancelled:
   * resolve, do not throw.
   */
  cancelStop(order: StopOrder, options: PlacerCallOptions): Promise<void>;

  /**
   * Moves an open stop in place, where the venue can (Bybit). Without it a move is
   * make-before-break: place the new stop, then cancel the old one.
   */
  amendStop?(order: StopOrder, stopPrice: number, options: PlacerCallOptions): Promise<StopOrder>;

  /**
   * Looks a stop up by client order id, open or recently finished (with `status`), or resolves
   * `undefined` when the venue does not know it. Used after timeouts (I7) and in recovery.
   */
  findStop?(query: FindStopQuery, options: PlacerCallOptions): Promise<StopOrder | undefined>;

  /** Every open stop this placer can see; used by reconciliation's orphan sweep. */
  openStops?(options: OpenStopsOptions): Promise<StopOrder[]>;

  /** Places a native trailing order (mode `native`). */
  placeTrailingStop?(request: TrailingStopOrderRequest, options: PlacerCallOptions): Promise<StopOrder>;

  /** Closes the position with a reduce-only market order (emulated mode, gap path). */
  closePosition?(request: ClosePositionRequest, options: PlacerCallOptions): Promise<void>;

  /**
   * Streams what the venue does to this account's orders (fills, partial fills, cancels by hand,
   * expiry) to `listener`, until `options.signal` aborts. The registry subscribes once, no later
   * than its first `create()` or `restore()`, and resubscribes with backoff when the returned
   * promise rejects (the stream broke). Deliver updates of any order: the registry ignores those
   * that are not its stops'.
   */
  watchOrders?(listener: (update: OrderUpdate) => void, options: WatchOrdersOptions): void | Promise<void>;

  /**
   * Whether the venue trades `symbol`, answered synchronously from what the placer has loaded
   * (ccxt: its markets). Called by `create()` before any I/O, so a symbol in the wrong form
   * (`BTCUSDT` for `BTC/USDT:USDT`) is refused at once. Return `true` when the placer cannot
   * tell yet (markets not loaded); absent means every symbol is accepted.
   */
  knowsSymbol?(symbol: string): boolean;
}
