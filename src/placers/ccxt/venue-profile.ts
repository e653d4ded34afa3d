/**
 * The `VenueProfile` type: everything the ccxt adapter needs to know about one venue to keep a
 * reduce-only stop-market order correct there. Declared, not guessed: the adapter ships verified
 * profiles (see `venues.ts`) and refuses an exchange it has none for; pass your own profile through
 * `CcxtOrderPlacerOptions.profile` to use another venue, and run `describeOrderPlacer` on it.
 */
import type { PlacerCapabilities, StopOrder } from '../../ports/order-placer.js';
import type { ClientOrderIdCodec } from './client-order-ids.js';
import type { CcxtOrderLike } from './exchange.js';

/**
 * Which price triggers the stop: `mark` (mark price, resists wicks on thin books), `last` (last
 * traded price) or `index` (where the venue offers it: Bybit, OKX).
 */
export type TriggerPriceType = 'mark' | 'last' | 'index';

/** What the placer hands a profile to build one stop order. */
export interface VenueStop {
  /** The closing side. */
  readonly side: 'buy' | 'sell';
  /** ccxt amount: contracts, already on the market's lot grid. */
  readonly amount: number;
  /** Trigger price, on the price grid, rounded away from the market. */
  readonly stopPrice: string;
  /** The client order id in the venue's form ({@link VenueProfile.clientOrderIds}). */
  readonly clientOrderId: string;
  /** The account is in hedge mode. */
  readonly hedged: boolean;
}

/** The `createOrder` call that places one stop: `createOrder(symbol, type, side, amount, price, params)`. */
export interface VenueStopCall {
  /** ccxt order type, normally `market`. */
  readonly type: string;
  /** ccxt `price` argument (Hyperliquid: the price ccxt bounds a triggered market order's slippage from). */
  readonly price?: number;
  /** ccxt parameters that select the venue's conditional-order service, trigger and client id. */
  readonly params: Readonly<Record<string, unknown>>;
}

/** How a stop is found by its client order id. */
export type VenueLookup =
  /** `fetchOrder(venueId, symbol, { ...params, clientOrderId: venueId })` answers open and finished orders. */
  | {
      /** One `fetchOrder` by client order id finds open and finished orders alike. */
      readonly kind: 'fetch-order';
      /** Extra `fetchOrder` parameters, such as the flag that selects the conditional-order service. */
      readonly params: Readonly<Record<string, unknown>>;
    }
  /**
   * `fetchOpenOrders(symbol, ..., { ...listParams, [param]: venueId })`, then the same on
   * `fetchCanceledAndClosedOrders` (Bybit).
   */
  | {
      /** The venue filters its open and its history listings by client order id. */
      readonly kind: 'open-then-history';
      /** The listing parameter that carries the client order id (Bybit: `orderLinkId`). */
      readonly param: string;
    }
  /**
   * `fetchOpenOrders(symbol, ..., listParams)`, then `fetchCanceledAndClosedOrders` (or else
   * `fetchClosedOrders` and `fetchCanceledOrders`) with `historyParams` where `has` offers them,
   * each searched for the id.
   */
  | {
      /** The venue cannot filter by client order id: the open orders, then the finished ones, are searched for it. */
      readonly kind: 'open-then-closed';
      /** Parameters of the history listings that select the venue's conditional orders. */
      readonly historyParams: Readonly<Record<string, unknown>>;
    };

/** Venue error codes (as the profile's {@link VenueProfile.errorCodeOf} reads them) by meaning. */
export interface VenueErrorCodes {
  /** The market already crossed the stop (the order would trigger at once). */
  readonly wouldTrigger: readonly string[];
  /** The client order id is taken. */
  readonly duplicateClientOrderId: readonly string[];
  /** The venue does not know the order (or it is no longer open). */
  readonly gone: readonly string[];
  /** A reduce-only order finds no position to reduce. */
  readonly nothingToReduce: readonly string[];
  /** Rate limited: refused before anything was done. */
  readonly rateLimited: readonly string[];
  /** The venue may have executed the request (internal timeouts). */
  readonly unknownOutcome: readonly string[];
}

/**
 * What the ccxt adapter knows about one venue. Every member is read at construction or per call;
 * none is optional unless it says what its absence means.
 *
 * @example
 * ```ts
 * import { CcxtOrderPlacer, venueProfiles, type VenueProfile } from 'trailing-stop-registry/ccxt';
 *
 * // Start from a shipped profile and change what differs on your venue; then run
 * // describeOrderPlacer against it before trading.
 * const profile: VenueProfile = { ...venueProfiles.bybit, name: 'mybybitfork', exchangeIds: ['mybybitfork'] };
 * const placer = new CcxtOrderPlacer(exchange, { profile });
 * ```
 */
export interface VenueProfile {
  /** Name reported as `CcxtOrderPlacer.venue`, e.g. `okx`. */
  readonly name: string;
  /** The ccxt exchange ids (`exchange.id`) this profile is for, e.g. `['binanceusdm', 'binance']`. */
  readonly exchangeIds: readonly string[];
  /** Which client order ids the registry may use and how they are written at the venue. */
  readonly clientOrderIds: ClientOrderIdCodec;
  /**
   * Where the venue's answer carries the client order id, when ccxt's `clientOrderId` is not it
   * (OKX algo orders: `info.algoClOrdId`). Absent: ccxt's `clientOrderId`.
   */
  clientOrderIdOf?(order: CcxtOrderLike): string | undefined;
  /** The `createOrder` call of a reduce-only stop-market order on this venue. */
  stopOrder(stop: VenueStop): VenueStopCall;
  /** A stop can be moved in place through ccxt's `editOrder` (Bybit). */
  readonly canAmend: boolean;
  /**
   * Native trailing orders are offered (`placeTrailingStop`), with these callback-rate limits in
   * percent; `undefined`: not offered (the registry then trails with stop moves).
   */
  readonly nativeTrailing:
    | {
        /** Smallest callback rate the venue accepts, in percent. */
        readonly min: number;
        /** Largest callback rate the venue accepts, in percent. */
        readonly max: number;
      }
    | undefined;
  /** `createOrder` (and `editOrder`) parameters per trigger price type; a missing type is refused at construction. */
  readonly triggerPriceTypeParams: Partial<Record<TriggerPriceType, Readonly<Record<string, unknown>>>>;
  /** The price a stop triggers on when no `triggerPriceType` is configured (what ccxt sends, or the venue's default). */
  readonly defaultTriggerPriceType: TriggerPriceType;
  /** `cancelOrder` parameters that address the conditional-order service. */
  readonly cancelParams: Readonly<Record<string, unknown>>;
  /**
   * Cancelling an order whose venue id is unknown (`order.id === ''`): a `cancelOrder` parameter
   * that carries the client order id, or `'lookup'`: find the order first, cancel it by id (a
   * lookup that finds nothing open is not reported as a cancel).
   */
  readonly cancelByClientOrderId:
    | {
        /** The `cancelOrder` parameter the client order id is passed in (for example `clientOrderId`). */
        readonly param: string;
      }
    | 'lookup';
  /**
   * Whether ccxt's `cancelOrder` answer confirms the cancel (Bitget reports refusals in a
   * `failureList` that ccxt does not raise). Absent: an answer without an error confirms it.
   */
  confirmsCancel?(answer: unknown, order: StopOrder): boolean;
  /** `fetchOpenOrders` parameters that list the venue's open conditional orders. */
  readonly listParams: Readonly<Record<string, unknown>>;
  /** How one stop is found by client order id. */
  readonly lookup: VenueLookup;
  /**
   * The venue has no documented code for a duplicate client order id: every refused placement
   * looks its id up, and an open order holding it is adopted (so a retry still resolves to the
   * order that went through). Absent: false.
   */
  readonly lookupOnRefusal?: boolean;
  /** The venue's error code in a ccxt error message. Absent: the body's `code` / `retCode`. */
  errorCodeOf?(message: string): string | undefined;
  /** Venue error codes where ccxt's error class is too coarse or wrong. */
  readonly codes: VenueErrorCodes;
  /**
   * The venue's documented default request limit, declared as `capabilities.rateLimit` (the
   * registry's default order budget). Absent: none declared.
   */
  readonly rateLimit?: PlacerCapabilities['rateLimit'];
}
