/**
 * Order updates from ccxt: the mapping from ccxt's unified order structure (as `watchOrders`,
 * `fetchOrder` and friends return it) to the port's {@link OrderUpdate}, and a loop over ccxt
 * pro's `watchOrders` that feeds a listener (what `CcxtOrderPlacer.watchOrders` runs).
 *
 * ccxt's unified `status` is not enough for stop orders, so the venue's raw order (`info`) is read
 * where ccxt's reading would mislead:
 *
 * - Binance USDⓈ-M algo orders (`ALGO_UPDATE`, `o.caid` / `o.aid`): ccxt reports `TRIGGERED` and
 *   `FINISHED` as `closed` and, for `closed`, makes `filled` the whole amount, whether anything
 *   executed or not. Here `NEW` is `open`; `TRIGGERING` and `TRIGGERED` (the stop fired, its
 *   market order is working) are not reported; `FINISHED` is `filled` when the executed quantity
 *   `aq` reaches the order's `q`, else `cancelled` (with `filledQuantity` when `aq` > 0: the
 *   matching engine ended the order part-filled, or unfilled); `CANCELED`, `EXPIRED`, `REJECTED`
 *   as named. A triggered algo order executes as a new order of the matching engine, with its own
 *   id (`ai` of the algo update, `i` of its `ORDER_TRADE_UPDATE`) and the algo order's client id
 *   as `c`; {@link createCcxtOrderUpdateMapper} links the two by `ai`, so that order's updates are
 *   reported under the algo order's client id and id even where its `c` is not the algo's.
 * - Binance `ORDER_TRADE_UPDATE`: `X` is read; `NEW` of a `MARKET` order (a stop that fired, now
 *   executing) is not reported.
 * - Bybit v5 (`order` topic, `orderStatus`): `Untriggered` is `open`; `Triggered` (an instant on
 *   the way from `Untriggered` to `New`) and `New` of a conditional order (it fired and is
 *   executing) are not reported; `PartiallyFilled`, `Filled` as named; `Cancelled` (which may carry
 *   an executed quantity), `Deactivated` (cancelled before it triggered) and
 *   `PartiallyFilledCanceled` are `cancelled`; `Rejected` (it triggered but could not be placed)
 *   is `rejected`. A triggered conditional order keeps its `orderId` and `orderLinkId`.
 * - OKX algo orders (`orders-algo` channel: `algoId`, `state`, `actualSz`): ccxt reports
 *   `effective` (it triggered and placed its order) as `closed`; here `live` is `open`,
 *   `effective` and `partially_effective` are not reported (the fills come on the `orders`
 *   channel, on the order the trigger placed, which carries the algo order's `algoId` and
 *   `algoClOrdId`), `canceled` is `cancelled`, `order_failed` is `rejected`.
 * - Other venues (and OKX's `orders` channel): ccxt's unified status (`open` with something
 *   filled is `partially-filled`, `open` of a market order without a trigger price, one that is
 *   executing, is not reported; `closed` is `filled`, `canceled`, `expired`, `rejected`). Only the
 *   readings above are verified against the venues' documented stream messages
 *   ({@link verifiedOrderStreams}).
 *
 * Identity: `clientOrderId` is the registry's id, decoded from the venue's form by the venue
 * profile's codec (OKX, BingX, Hyperliquid rewrite ids), or the venue's id as it is when it is not
 * the encoding of a registry id (an order placed by other software: the registry ignores it). When
 * the venue's message carries no client id at all, `clientOrderId` is `''` and the registry can
 * match by `id` only. Quantities are in base units: ccxt's contracts times the market's
 * `contractSize`. `timestamp` is the venue's update time (ccxt `lastUpdateTimestamp`) when the
 * message has one; Binance algo updates have none that ccxt keeps.
 *
 * @see https://docs.ccxt.com/#/README?id=order-structure
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Algo-Order-Update
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams/Event-Order-Update
 * @see https://bybit-exchange.github.io/docs/v5/websocket/private/order
 * @see https://bybit-exchange.github.io/docs/v5/enum#orderstatus
 */
import { ExchangeRejectedError, ExchangeUnavailableError } from '../../errors.js';
import type { OrderUpdate } from '../../ports/order-placer.js';
import { SanitizedCcxtError, ccxtErrorClasses, redact, venueErrorCode } from './errors.js';
import type { CcxtExchangeLike, CcxtMarketLike, CcxtOrderLike } from './exchange.js';
import type { VenueProfile } from './venue-profile.js';
import { venueProfiles } from './venues.js';

/**
 * The fields of a ccxt order structure the mapping reads (beyond {@link CcxtOrderLike}); ccxt's
 * `Order` type fits.
 */
export interface CcxtOrderUpdateLike extends CcxtOrderLike {
  /** Executed amount (contracts on contract markets). */
  readonly filled?: number | undefined;
  /** Average execution price. */
  readonly average?: number | undefined;
  /** When the venue last changed the order (ms epoch). */
  readonly lastUpdateTimestamp?: number | undefined;
}

/** What the mapping needs of the ccxt instance an order came from. */
export type CcxtMarketsLike = Pick<CcxtExchangeLike, 'id' | 'markets'>;

/** Options of {@link orderUpdateFromCcxt} and {@link createCcxtOrderUpdateMapper}. */
export interface OrderUpdateMappingOptions {
  /** The ccxt instance the orders come from: its loaded markets give contract sizes. */
  readonly exchange: CcxtMarketsLike;
  /**
   * The venue profile whose client order id codec decodes the venue's ids. Default: the shipped
   * profile of `exchange.id`; without one, client ids are taken as they are.
   */
  readonly profile?: VenueProfile;
}

/** A stateful mapping of one stream's orders; see {@link createCcxtOrderUpdateMapper}. */
export type CcxtOrderUpdateMapper = (order: CcxtOrderUpdateLike) => OrderUpdate | undefined;

/**
 * Venue profiles whose order stream this mapping reads as verified against the venue's
 * documented messages parsed by ccxt itself (test/placers/ccxt-order-updates.test.ts).
 */
export const verifiedOrderStreams: readonly string[] = ['binance', 'bybit'];

/**
 * The {@link OrderUpdate} a ccxt order structure says, or `undefined` when it says nothing the
 * registry can act on: no symbol, no id of any kind, or a passing state (a stop that fired and is
 * executing; see the module comment for each venue). Pure: for a stream, prefer
 * {@link createCcxtOrderUpdateMapper}, which also follows Binance algo orders into the orders
 * they trigger.
 *
 * @example
 * ```ts
 * // A bot with its own ccxt pro stream hands the registry what the venue did.
 * for (;;) {
 *   for (const order of await exchange.watchOrders()) {
 *     const update = orderUpdateFromCcxt(order, { exchange });
 *     if (update !== undefined) registry.handleOrderUpdate(update);
 *   }
 * }
 * ```
 */
export function orderUpdateFromCcxt(order: CcxtOrderUpdateLike, options: OrderUpdateMappingOptions): OrderUpdate | undefined {
  return mapOrder(order, readingOf(options), undefined);
}

/**
 * A mapping for one order stream: {@link orderUpdateFromCcxt}, plus what a stream teaches. A
 * Binance algo update that names the order its trigger created (`ai`) links that order to the
 * algo order, so the new order's own updates are reported under the algo order's client order id
 * and id (the ones the registry placed). The most recent 10,000 links are kept.
 *
 * @example
 * ```ts
 * const toUpdate = createCcxtOrderUpdateMapper({ exchange });
 * for (const order of await exchange.watchOrders()) {
 *   const update = toUpdate(order);
 *   if (update !== undefined) registry.handleOrderUpdate(update);
 * }
 * ```
 */
export function createCcxtOrderUpdateMapper(options: OrderUpdateMappingOptions): CcxtOrderUpdateMapper {
  const reading = readingOf(options);
  const links = new Map<string, Identity>();
  return (order) => mapOrder(order, reading, links);
}

/** The subset of a ccxt pro exchange instance {@link watchCcxtOrders} uses; `new ccxt.pro.binanceusdm()` fits. */
export interface CcxtOrderStreamLike extends CcxtMarketsLike {
  /** ccxt's capability map; `watchOrders` must be `true`. */
  readonly has: Readonly<Record<string, boolean | 'emulated' | undefined>>;
  /** API key; read only to redact it from errors. */
  readonly apiKey?: string | undefined;
  /** API secret; read only to redact it from errors. */
  readonly secret?: string | undefined;
  /** API passphrase; read only to redact it from errors. */
  readonly password?: string | undefined;
  /** Account id; read only to redact it from errors. */
  readonly uid?: string | undefined;
  /** Wallet private key; read only to redact it from errors. */
  readonly privateKey?: string | undefined;
  /** Session token; read only to redact it from errors. */
  readonly token?: string | undefined;
  /** ccxt pro `watchOrders`: resolves with the orders updated since the previous call. */
  watchOrders(symbol?: string, since?: number, limit?: number, params?: Record<string, unknown>): Promise<CcxtOrderUpdateLike[]>;
  /** ccxt pro `unWatchOrders`, called on abort where `has.unWatchOrders` is true. */
  unWatchOrders?(symbol?: string, params?: Record<string, unknown>): Promise<unknown>;
}

/** Options of {@link watchCcxtOrders}. */
export interface WatchCcxtOrdersOptions {
  /** The venue profile (client order id codec). Default: the shipped profile of `exchange.id`. */
  readonly profile?: VenueProfile;
  /** Extra `watchOrders` parameters (e.g. OKX `{ trigger: true }` for algo orders). Default none. */
  readonly params?: Readonly<Record<string, unknown>>;
}

/**
 * Feeds `listener` with the {@link OrderUpdate} of every order ccxt pro's `watchOrders` reports
 * for the account (all symbols), mapped by {@link createCcxtOrderUpdateMapper}, synchronously and
 * in the order ccxt hands them over, until `signal` aborts. ccxt coalesces the updates of one
 * order that arrive between two reads into its latest state (cumulative fields keep that lossless
 * for fills).
 *
 * Resolves when `signal` aborts (delivery stops at once, even within a batch; the stream is
 * released with `unWatchOrders` where the instance has it). Rejects when the stream fails: ccxt's
 * network errors as {@link ExchangeUnavailableError}, others (authentication, permissions) as
 * {@link ExchangeRejectedError}, each with a sanitized copy of ccxt's error as `cause`. An
 * exception thrown by `listener` ends the loop with that exception.
 *
 * @throws TypeError (as a rejection, before any I/O) when `exchange.has.watchOrders` is not true,
 *   `listener` is not a function or `signal` is not an AbortSignal.
 *
 * @example
 * ```ts
 * import ccxt from 'ccxt';
 * const exchange = new ccxt.pro.binanceusdm({ apiKey, secret });
 * const controller = new AbortController();
 * void watchCcxtOrders(exchange, (update) => registry.handleOrderUpdate(update), controller.signal);
 * // later: controller.abort();
 * ```
 */
export async function watchCcxtOrders(
  exchange: CcxtOrderStreamLike,
  listener: (update: OrderUpdate) => void,
  signal: AbortSignal,
  options: WatchCcxtOrdersOptions = {},
): Promise<void> {
  if (typeof listener !== 'function') throw new TypeError(`Expected \`listener\` to be a function, got ${typeof listener}`);
  if (typeof signal?.addEventListener !== 'function' || typeof signal.aborted !== 'boolean') {
    throw new TypeError('Expected `signal` to be an AbortSignal');
  }
  if (exchange?.has?.['watchOrders'] !== true || typeof exchange.watchOrders !== 'function') {
    throw new TypeError(
      `ccxt exchange '${String(exchange?.id)}' has no order stream (has.watchOrders is not true): use a ccxt pro instance ` +
        '(ccxt.pro.<id>, or the main package from ccxt 4.5 on) of a venue that offers one',
    );
  }
  if (signal.aborted) return;
  const map = createCcxtOrderUpdateMapper({ exchange, ...(options.profile ? { profile: options.profile } : {}) });
  const params = { ...options.params };
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<typeof abortedMark>((resolve) => {
    onAbort = () => resolve(abortedMark);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    while (!signal.aborted) {
      const watching = exchange.watchOrders(undefined, undefined, undefined, params);
      // A read abandoned on abort may still reject later (unwatch, close): never unhandled.
      watching.catch(() => undefined);
      let orders: CcxtOrderUpdateLike[] | typeof abortedMark;
      try {
        orders = await Promise.race([watching, aborted]);
      } catch (error) {
        if (signal.aborted) break;
        throw streamFailure(exchange, error);
      }
      if (orders === abortedMark) break;
      for (const order of orders) {
        if (signal.aborted) break;
        const update = map(order);
        if (update !== undefined) listener(update);
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (signal.aborted && exchange.has['unWatchOrders'] === true && typeof exchange.unWatchOrders === 'function') {
      // Released in the background: an abort resolves at once, whatever the socket does.
      exchange.unWatchOrders(undefined, params).catch(() => undefined);
    }
  }
}

const abortedMark: unique symbol = Symbol('aborted');

/** The identity an update is reported under. */
interface Identity {
  readonly clientOrderId: string;
  readonly id: string | undefined;
}

/** How orders of one instance are read: contract sizes and the client order id codec. */
interface Reading {
  readonly exchange: CcxtMarketsLike;
  readonly profile: VenueProfile | undefined;
}

const maximumLinks = 10_000;

function readingOf(options: OrderUpdateMappingOptions): Reading {
  const exchange = options?.exchange;
  if (typeof exchange?.id !== 'string') throw new TypeError('Expected `options.exchange` to be a ccxt exchange instance');
  const shipped = Object.values(venueProfiles).find((profile: VenueProfile) => profile.exchangeIds.includes(exchange.id));
  return { exchange, profile: options.profile ?? shipped };
}

/** What one order says, as the port's status and the venue's executed quantity (contracts). */
interface Reported {
  readonly status: OrderUpdate['status'];
  /** Executed amount, contracts; undefined: take ccxt's `filled`. */
  readonly executed?: number | undefined;
  /** Average price; undefined: take ccxt's `average`. */
  readonly average?: number | undefined;
}

function mapOrder(order: CcxtOrderUpdateLike, reading: Reading, links: Map<string, Identity> | undefined): OrderUpdate | undefined {
  if (order === null || typeof order !== 'object') return undefined;
  const symbol = order.symbol;
  if (typeof symbol !== 'string' || symbol === '') return undefined;
  const info = isRecord(order.info) ? order.info : {};
  const id = nonEmpty(order.id);
  let identity: Identity = { clientOrderId: clientOrderIdOf(order, reading.profile), id };

  let reported: Reported | undefined;
  if (isBinanceAlgo(info)) {
    reported = binanceAlgoStatus(info);
    const triggered = nonEmpty(info['ai']);
    if (links !== undefined && triggered !== undefined) link(links, triggered, identity);
  } else if (isBinanceOrder(info)) {
    reported = binanceOrderStatus(info);
    const parent = id === undefined ? undefined : links?.get(id);
    if (parent !== undefined) identity = parent;
  } else if (isBybitOrder(info)) {
    reported = bybitStatus(info);
  } else if (isOkxAlgo(info)) {
    reported = okxAlgoStatus(info);
  } else {
    reported = unifiedStatus(order);
  }
  if (reported === undefined) return undefined;
  if (identity.clientOrderId === '' && identity.id === undefined) return undefined;

  const executed = positive(reported.executed ?? order.filled);
  const amount = positive(order.amount);
  // A fill ccxt or the venue leaves unquantified is a fill of the whole order.
  const filled = executed ?? (reported.status === 'filled' ? amount : undefined);
  const average = positive(reported.average ?? order.average);
  const timestamp = positive(order.lastUpdateTimestamp);
  return {
    clientOrderId: identity.clientOrderId,
    ...(identity.id === undefined ? {} : { id: identity.id }),
    symbol,
    status: reported.status,
    ...(filled === undefined ? {} : { filledQuantity: baseUnits(reading.exchange, symbol, filled) }),
    ...(filled === undefined || average === undefined ? {} : { averagePrice: average }),
    ...(timestamp === undefined ? {} : { timestamp }),
  };
}

/** The registry's client order id of `order`: decoded by the profile's codec, else as the venue has it; '' when none. */
function clientOrderIdOf(order: CcxtOrderUpdateLike, profile: VenueProfile | undefined): string {
  const venueId = profile?.clientOrderIdOf ? profile.clientOrderIdOf(order) : order.clientOrderId;
  if (typeof venueId !== 'string' || venueId === '') return '';
  return profile?.clientOrderIds.decode(venueId) ?? venueId;
}

function link(links: Map<string, Identity>, triggeredOrderId: string, identity: Identity): void {
  links.delete(triggeredOrderId);
  links.set(triggeredOrderId, identity);
  if (links.size > maximumLinks) links.delete(links.keys().next().value as string);
}

// --- Binance USDⓈ-M -----------------------------------------------------------------------------

/** An `ALGO_UPDATE` order (`o`): client algo id `caid`, algo id `aid`, algo status `X`. */
function isBinanceAlgo(info: Record<string, unknown>): boolean {
  return ('caid' in info || 'aid' in info) && typeof info['X'] === 'string';
}

/** An `ORDER_TRADE_UPDATE` order (`o`) or a spot `executionReport`: status `X`, execution type `x`, id `i`. */
function isBinanceOrder(info: Record<string, unknown>): boolean {
  return typeof info['X'] === 'string' && typeof info['x'] === 'string' && 'i' in info;
}

function binanceAlgoStatus(info: Record<string, unknown>): Reported | undefined {
  const executed = numberOf(info['aq']) ?? 0;
  const average = positive(numberOf(info['ap']));
  switch (info['X']) {
    case 'NEW':
      return { status: 'open', executed: 0 };
    case 'FINISHED': {
      // Filled or cancelled in the matching engine: the executed quantity tells which.
      const ordered = numberOf(info['q']);
      const complete = ordered !== undefined && executed > 0 && executed >= ordered * (1 - 1e-12);
      return { status: complete ? 'filled' : 'cancelled', executed, average };
    }
    case 'CANCELED':
      return { status: 'cancelled', executed, average };
    case 'EXPIRED':
      return { status: 'expired', executed, average };
    case 'REJECTED':
      return { status: 'rejected', executed, average };
    default:
      return undefined; // TRIGGERING, TRIGGERED: fired, executing; the outcome follows
  }
}

function binanceOrderStatus(info: Record<string, unknown>): Reported | undefined {
  switch (info['X']) {
    case 'NEW':
      // A MARKET order that is new is a stop that fired (or a close) executing now, not a resting stop.
      return info['o'] === 'MARKET' ? undefined : { status: 'open', executed: 0 };
    case 'PARTIALLY_FILLED':
      return { status: 'partially-filled' };
    case 'FILLED':
      return { status: 'filled' };
    case 'CANCELED':
      return { status: 'cancelled' };
    case 'EXPIRED':
    case 'EXPIRED_IN_MATCH':
      return { status: 'expired' };
    case 'REJECTED':
      return { status: 'rejected' };
    default:
      return undefined; // NEW_INSURANCE, NEW_ADL, PENDING_CANCEL: not a stop's lifecycle
  }
}

// --- Bybit v5 -----------------------------------------------------------------------------------

/** A v5 order (`order` topic or REST): `orderStatus`, `orderLinkId`. */
function isBybitOrder(info: Record<string, unknown>): boolean {
  return typeof info['orderStatus'] === 'string' && 'orderLinkId' in info;
}

function bybitStatus(info: Record<string, unknown>): Reported | undefined {
  switch (info['orderStatus']) {
    case 'Untriggered':
      return { status: 'open', executed: 0 };
    case 'New': {
      // A conditional order is `New` only once it fired: it is executing, not resting.
      const conditional = nonEmpty(info['stopOrderType']) !== undefined || (positive(numberOf(info['triggerPrice'])) ?? 0) > 0;
      return conditional ? undefined : { status: 'open', executed: 0 };
    }
    case 'PartiallyFilled':
      return { status: 'partially-filled' };
    case 'Filled':
      return { status: 'filled' };
    case 'Cancelled':
    case 'Deactivated':
    case 'PartiallyFilledCanceled':
      return { status: 'cancelled' };
    case 'Rejected':
      return { status: 'rejected' };
    default:
      return undefined; // Triggered, Created, PendingCancel, Active: passing states
  }
}

// --- OKX ---------------------------------------------------------------------------------------

/** An algo order record (`orders-algo`, algo order details): `algoId`, `state`, `actualSz`; orders have `accFillSz`. */
function isOkxAlgo(info: Record<string, unknown>): boolean {
  return typeof info['algoId'] === 'string' && typeof info['state'] === 'string' && 'actualSz' in info && !('accFillSz' in info);
}

function okxAlgoStatus(info: Record<string, unknown>): Reported | undefined {
  switch (info['state']) {
    case 'live':
    case 'pause':
      return { status: 'open', executed: 0 };
    case 'canceled':
      return { status: 'cancelled', executed: 0 };
    case 'order_failed':
      return { status: 'rejected', executed: 0 };
    default:
      return undefined; // effective, partially_effective: triggered; the placed order reports the fill
  }
}

// --- Other venues: ccxt's unified status ---------------------------------------------------------

function unifiedStatus(order: CcxtOrderUpdateLike): Reported | undefined {
  switch (order.status) {
    case 'open': {
      if ((positive(order.filled) ?? 0) > 0) return { status: 'partially-filled' };
      // An open market order without a trigger is executing (a stop that fired), not resting.
      const trigger = positive(order.triggerPrice) ?? positive(order.stopPrice) ?? positive(order.stopLossPrice);
      return order.type === 'market' && trigger === undefined ? undefined : { status: 'open' };
    }
    case 'closed':
      return { status: 'filled' };
    case 'canceled':
    case 'cancelled':
      return { status: 'cancelled' };
    case 'expired':
      return { status: 'expired' };
    case 'rejected':
      return { status: 'rejected' };
    default:
      return undefined;
  }
}

// --- Shared -------------------------------------------------------------------------------------

/** Base units of `amount` contracts (exact to 12 significant digits). */
function baseUnits(exchange: CcxtMarketsLike, symbol: string, amount: number): number {
  const market = exchange.markets?.[symbol] as CcxtMarketLike | undefined;
  const size = market?.contractSize;
  const contractSize = market?.contract === true && typeof size === 'number' && Number.isFinite(size) && size > 0 ? size : 1;
  return contractSize === 1 ? amount : Number((amount * contractSize).toPrecision(12));
}

/** The stream's failure as the library's typed error, with a sanitized ccxt error as `cause`. */
function streamFailure(exchange: CcxtOrderStreamLike, error: unknown): Error {
  const classes = ccxtErrorClasses(error);
  const raw = error instanceof Error ? error.message : String(error);
  const secrets = [exchange.apiKey, exchange.secret, exchange.password, exchange.uid, exchange.privateKey, exchange.token].filter(
    (value): value is string => typeof value === 'string' && value.length > 0,
  );
  const message = redact(raw, secrets);
  const venueCode = venueErrorCode(raw);
  const cause = new SanitizedCcxtError(classes[0] ?? 'Error', message, classes, venueCode);
  const summary = `${exchange.id} watchOrders: ${cause.name}${venueCode === undefined ? '' : ` ${venueCode}`}: ${message}`;
  // Nothing is placed by a stream: its failures never leave an order in doubt.
  if (classes.includes('NetworkError') || !classes.includes('BaseError')) {
    return new ExchangeUnavailableError(summary, { cause, unknownOutcome: false });
  }
  return new ExchangeRejectedError(summary, { cause });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function positive(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
