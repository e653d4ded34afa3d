/**
 * The `CcxtOrderPlacer` class: the {@link OrderPlacer} operations over a ccxt exchange instance,
 * each one call through `#call` (abort handling, logging, typed errors). Request checks,
 * precision, quantities, order reading, lookups and failure classification live in the
 * neighbouring modules; the venue differences in the venue profiles.
 */
import { detachOnAbort } from '../../domain/abort.js';
import type { CcxtExchangeLike } from './exchange.js';
import type { CcxtOrderPlacerOptions } from './options.js';
import { configure } from './configuration.js';
import type { TriggerPriceType, VenueProfile } from './venue-profile.js';
import { classifyFailure, type CallTarget, type Failure, type Operation } from './failures.js';
import { cancelStopOrder } from './cancel.js';
import { adoptHolderOf, listOpenStops, lookupStop, type LookupContext } from './lookup.js';
import { toStopOrder } from './orders.js';
import { fitToPrecision } from './precision.js';
import { toBaseQuantity, toVenueAmount } from './quantities.js';
import { checkCallbackRate, positionParams, requirePositive, validateOrder, type OrderFields } from './requests.js';
import type {
  ClosePositionRequest,
  FindStopQuery,
  OrderPlacer,
  OpenStopsOptions,
  OrderUpdate,
  PlacerCallOptions,
  PlacerCapabilities,
  StopOrder,
  StopOrderRequest,
  TrailingStopOrderRequest,
  WatchOrdersOptions,
} from '../../ports/order-placer.js';
import { verifiedOrderStreams, watchCcxtOrders, type CcxtOrderStreamLike } from './order-updates.js';
import { type Logger, silentLogger } from '../../ports/logger.js';
import { systemClock } from '../../ports/clock.js';
import { AbortedError, TrailingStopError } from '../../errors.js';

/**
 * An {@link OrderPlacer} over a ccxt exchange instance of a venue with a profile (see the module
 * comment of `trailing-stop-registry/ccxt` for the venues). Reduce-only stop-market orders go to
 * the venue's conditional-order service as its profile says, the quantity converted to contracts
 * and fitted down to the lot, the stop price fitted to the tick in the protective direction (a
 * sell stop rounds down, a buy stop rounds up), so rounding never moves a stop towards the market.
 * Every order it returns carries the registry's client order id and base-unit quantity.
 *
 * @example
 * ```ts
 * import ccxt from 'ccxt';
 * import { TrailingStopRegistry } from 'trailing-stop-registry';
 * import { CcxtOrderPlacer } from 'trailing-stop-registry/ccxt';
 *
 * const exchange = new ccxt.binanceusdm({ apiKey: process.env.BINANCE_API_KEY, secret: process.env.BINANCE_API_SECRET });
 * await exchange.loadMarkets();
 * const placer = new CcxtOrderPlacer(exchange, { triggerPriceType: 'mark' });
 * const registry = new TrailingStopRegistry({ placer });
 * ```
 */
export class CcxtOrderPlacer implements OrderPlacer {
  /** What the venue declares: client order id length, native trailing limits. */
  readonly capabilities: PlacerCapabilities;
  /** The name of the venue profile in use, e.g. `binance`, `bybit`, `okx`. */
  readonly venue: string;
  /** The price stops trigger on: the configured `triggerPriceType`, else the venue's default. */
  readonly triggerPriceType: TriggerPriceType;
  /** The instance's ccxt version (`Exchange.ccxtVersion`), if it reports one. */
  readonly ccxtVersion: string | undefined;
  /** False when the ccxt version is outside the range the profiles were verified with (a warning was logged). */
  readonly ccxtVersionVerified: boolean;

  /**
   * Moves an open stop in place (Bybit `/v5/order/amend`). Absent (`undefined`, and not an own
   * property) on venues that cannot, so the registry replaces stops make-before-break there.
   *
   * @example
   * ```ts
   * if (placer.amendStop) order = await placer.amendStop(order, 101.5, { signal });
   * ```
   */
  declare readonly amendStop?: (order: StopOrder, stopPrice: number, options: PlacerCallOptions) => Promise<StopOrder>;

  /**
   * Places a native trailing order (Binance `TRAILING_STOP_MARKET`), present where ccxt's
   * `has.createTrailingPercentOrder` is true. The callback rate is checked against
   * `capabilities.trailingCallbackPercent` before anything is sent.
   *
   * @example
   * ```ts
   * await placer.placeTrailingStop?.(
   *   { symbol: 'BTC/USDT:USDT', side: 'sell', quantity: 0.01, callbackPercent: 1, activationPrice: 105, clientOrderId: 'tsr-btc-1' },
   *   { signal },
   * );
   * ```
   */
  declare readonly placeTrailingStop?: (
    request: TrailingStopOrderRequest,
    options: PlacerCallOptions,
  ) => Promise<StopOrder>;

  /**
   * Streams the account's order updates (ccxt pro `watchOrders`) until the signal aborts. Present
   * where `exchange.has.watchOrders` (a `ccxt.pro` instance) and the venue's stream is verified
   * (`verifiedOrderStreams`: Binance USDⓈ-M, Bybit); absent otherwise, and triggers are then
   * confirmed with `findStop`.
   */
  declare readonly watchOrders?: (listener: (update: OrderUpdate) => void, options: WatchOrdersOptions) => Promise<void>;

  readonly #exchange: CcxtExchangeLike;
  readonly #profile: VenueProfile;
  readonly #options: CcxtOrderPlacerOptions;
  readonly #logger: Logger;
  /** What the lookup and failure modules read of this placer. */
  readonly #context: LookupContext;
  readonly #triggerParams: Readonly<Record<string, unknown>>;
  readonly #usedSymbols = new Set<string>();
  #marketsLoading: Promise<unknown> | undefined;

  /**
   * @param exchange A ccxt exchange instance, configured by the caller (keys, sandbox, options).
   * @param options See {@link CcxtOrderPlacerOptions}.
   * @throws TypeError for an exchange without a venue profile (the message lists the supported
   *   ids and how to pass a `profile`), when an option does not fit the venue (e.g. `amend: true`
   *   on Binance), or when a Binance instance comes from a ccxt older than 4.5.24.
   *
   * @example
   * ```ts
   * const placer = new CcxtOrderPlacer(new ccxt.bybit({ apiKey, secret }), { triggerPriceType: 'mark', symbols: ['BTC/USDT:USDT'] });
   * ```
   */
  constructor(exchange: CcxtExchangeLike, options: CcxtOrderPlacerOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
    const configuration = configure(exchange, options, this.#logger);
    const profile = configuration.profile;
    this.#exchange = exchange;
    this.#profile = profile;
    this.#options = options;
    this.#context = {
      exchange,
      profile,
      logger: this.#logger,
      clock: options.clock ?? systemClock,
      hedged: options.hedged === true,
    };
    this.venue = profile.name;
    this.triggerPriceType = configuration.triggerPriceType;
    this.ccxtVersion = configuration.ccxtVersion;
    this.ccxtVersionVerified = configuration.ccxtVersionVerified;
    this.#triggerParams = configuration.triggerParams;
    this.capabilities = configuration.capabilities;
    if (configuration.amend) {
      this.amendStop = (order, stopPrice, callOptions) => this.#amend(order, stopPrice, callOptions);
    }
    if (configuration.nativeTrailing) {
      const limits = configuration.trailingLimits;
      this.placeTrailingStop = (request, callOptions) => this.#placeTrailing(request, limits, callOptions);
    }
    const stream = exchange as CcxtExchangeLike & Partial<CcxtOrderStreamLike>;
    if (stream.has['watchOrders'] === true && typeof stream.watchOrders === 'function' && verifiedOrderStreams.includes(profile.name)) {
      this.watchOrders = (listener, watchOptions) => watchCcxtOrders(stream as CcxtOrderStreamLike, listener, watchOptions.signal, { profile });
    }
  }

  /**
   * Places a reduce-only stop-market order. Placing a client order id that is already open
   * resolves to that order: the venue's duplicate-id refusal (Binance -4116, Bybit 110072) is
   * answered by looking the order up and adopting it.
   *
   * @throws ValidationError for a malformed request (nothing is sent).
   * @throws WouldTriggerError when the market already crossed the stop (Binance -2021, Bybit 110092/110093).
   * @throws ExchangeUnavailableError on network failures, timeouts and rate limits (retryable).
   * @throws ExchangeRejectedError when the venue refused the order for good.
   *
   * @example
   * ```ts
   * const order = await placer.placeStop(
   *   { symbol: 'BTC/USDT:USDT', side: 'sell', quantity: 0.01, stopPrice: 99.95, clientOrderId: 'tsr-btc-1' },
   *   { signal: AbortSignal.timeout(10_000) },
   * ); // order.stopPrice === 99.9 with a 0.1 tick: rounded away from the market
   * ```
   */
  async placeStop(request: StopOrderRequest, options: PlacerCallOptions): Promise<StopOrder> {
    this.#validateOrder('placeStop', request);
    requirePositive('stopPrice', request.stopPrice);
    return this.#call('placeStop', options, request, async () => {
      await this.#ensureMarkets();
      const exchange = this.#exchange;
      const amount = toVenueAmount(exchange, request.symbol, request.quantity);
      const stopPrice = fitToPrecision(exchange, request.symbol, 'price', request.stopPrice, request.side === 'sell' ? 'down' : 'up');
      const hedged = this.#options.hedged === true;
      const call = this.#profile.stopOrder({
        side: request.side,
        amount: Number(amount),
        stopPrice,
        clientOrderId: this.#profile.clientOrderIds.encode(request.clientOrderId),
        hedged,
      });
      try {
        const order = await exchange.createOrder(request.symbol, call.type, request.side, Number(amount), call.price, {
          ...this.#options.params,
          ...this.#triggerParams,
          ...positionParams(hedged),
          ...call.params,
        });
        const quantity = toBaseQuantity(exchange, request.symbol, Number(amount));
        return toStopOrder(this.#context, order, { ...request, quantity, stopPrice: Number(stopPrice) });
      } catch (error) {
        return this.#adoptOnDuplicate('placeStop', request, error, options);
      }
    });
  }

  /**
   * Cancels a stop through the venue's conditional-order service (Binance `{ trigger: true }`).
   * An order the venue no longer knows (ccxt `OrderNotFound`, Binance -2011, Bybit 110001/110008)
   * counts as cancelled. Cancels by client order id when the venue order id is empty.
   *
   * @example
   * ```ts
   * await placer.cancelStop(order, { signal }); // resolves also when the order already filled
   * ```
   */
  cancelStop(order: StopOrder, options: PlacerCallOptions): Promise<void> {
    return this.#call('cancelStop', options, order, async () => {
      await this.#ensureMarkets();
      await cancelStopOrder(this.#context, order);
    });
  }

  /**
   * Looks a stop up by client order id among the venue's conditional orders: Binance queries the
   * algo order by `clientAlgoId`; Bybit lists open conditional orders by `orderLinkId`, then
   * finished ones; other venues list open orders. Resolves `undefined` when the venue does not
   * know the id (or the order is not a stop).
   *
   * @example
   * ```ts
   * const found = await placer.findStop({ symbol: 'BTC/USDT:USDT', clientOrderId: 'tsr-btc-1' }, { signal });
   * if (found?.status === 'open') adopt(found);
   * ```
   */
  findStop(query: FindStopQuery, options: PlacerCallOptions): Promise<StopOrder | undefined> {
    return this.#call('findStop', options, query, () => this.#lookup(query));
  }

  /**
   * Every open stop on the call's `options.symbols` when it names some (the registry asks one
   * symbol per call, so a bad symbol cannot fail the others); otherwise on the constructor's
   * `symbols` and every symbol this placer has used; with none known, one call without a symbol.
   * One venue call per symbol. Only reduce-only conditional or trailing orders are listed.
   *
   * @example
   * ```ts
   * const live = await placer.openStops({ signal });
   * const orphans = live.filter((order) => !known.has(order.clientOrderId));
   * ```
   */
  openStops(options: OpenStopsOptions): Promise<StopOrder[]> {
    return this.#call('openStops', options, {}, async () => {
      await this.#ensureMarkets();
      const asked = options.symbols ?? [];
      const symbols = asked.length > 0 ? [...new Set(asked)] : [...new Set([...(this.#options.symbols ?? []), ...this.#usedSymbols])];
      return listOpenStops(this.#context, symbols);
    });
  }

  /**
   * Whether the loaded markets hold `symbol` (a unified ccxt symbol such as `BTC/USDT:USDT`);
   * `true` while markets are not loaded yet. The registry asks before any I/O.
   *
   * @example
   * ```ts
   * placer.knowsSymbol('BTCUSDT'); // false on binanceusdm: the unified symbol is BTC/USDT:USDT
   * ```
   */
  knowsSymbol(symbol: string): boolean {
    const markets = this.#exchange.markets;
    return markets === undefined || Object.prototype.hasOwnProperty.call(markets, symbol);
  }

  /**
   * Closes (part of) the position with a reduce-only market order carrying the client order id,
   * so a retried close cannot close twice. A duplicate client order id, or a venue that finds
   * nothing to reduce (Binance -2022, Bybit 110017), means the close already happened: resolves.
   *
   * @example
   * ```ts
   * await placer.closePosition({ symbol: 'BTC/USDT:USDT', side: 'sell', quantity: 0.01, clientOrderId: 'tsr-btc-close-1' }, { signal });
   * ```
   */
  async closePosition(request: ClosePositionRequest, options: PlacerCallOptions): Promise<void> {
    this.#validateOrder('closePosition', request);
    return this.#call('closePosition', options, request, async () => {
      await this.#ensureMarkets();
      const amount = toVenueAmount(this.#exchange, request.symbol, request.quantity);
      try {
        await this.#exchange.createOrder(request.symbol, 'market', request.side, Number(amount), undefined, {
          ...this.#options.params,
          ...positionParams(this.#options.hedged === true),
          clientOrderId: this.#profile.clientOrderIds.encode(request.clientOrderId),
        });
      } catch (error) {
        const failure = this.#failure('closePosition', request, error);
        if (failure.kind === 'duplicate' || failure.kind === 'nothingToReduce') {
          this.#logger.info('closePosition: the venue reports the close as done already', {
            venue: this.#exchange.id,
            symbol: request.symbol,
            clientOrderId: request.clientOrderId,
          });
          return;
        }
        throw failure.error;
      }
    });
  }

  async #amend(order: StopOrder, stopPrice: number, options: PlacerCallOptions): Promise<StopOrder> {
    requirePositive('stopPrice', stopPrice);
    return this.#call('amendStop', options, order, async () => {
      await this.#ensureMarkets();
      const price = fitToPrecision(this.#exchange, order.symbol, 'price', stopPrice, order.side === 'sell' ? 'down' : 'up');
      const byClientId = this.#profile.cancelByClientOrderId;
      const byClientOrderId =
        order.id === '' && byClientId !== 'lookup' ? { [byClientId.param]: this.#profile.clientOrderIds.encode(order.clientOrderId) } : {};
      try {
        // ccxt's bybit editOrder defaults triggerBy to LastPrice: send the configured type again so
        // a mark-price stop stays a mark-price stop after the move.
        await this.#exchange.editOrder!(order.id, order.symbol, 'market', order.side, undefined, undefined, {
          ...this.#triggerParams,
          ...byClientOrderId,
          triggerPrice: price,
        });
      } catch (error) {
        throw this.#failure('amendStop', order, error).error;
      }
      return { ...order, stopPrice: Number(price), status: 'open' };
    });
  }

  async #placeTrailing(
    request: TrailingStopOrderRequest,
    limits: { readonly min: number; readonly max: number } | undefined,
    options: PlacerCallOptions,
  ): Promise<StopOrder> {
    this.#validateOrder('placeTrailingStop', request);
    requirePositive('callbackPercent', request.callbackPercent);
    if (request.activationPrice !== undefined) requirePositive('activationPrice', request.activationPrice);
    checkCallbackRate(this.#exchange.id, limits, request.callbackPercent);
    return this.#call('placeTrailingStop', options, request, async () => {
      await this.#ensureMarkets();
      const amount = toVenueAmount(this.#exchange, request.symbol, request.quantity);
      // The activation price must be reached before trailing starts; rounding it towards the
      // position's profit side (away from entry) never starts trailing early.
      const activation =
        request.activationPrice === undefined
          ? undefined
          : fitToPrecision(this.#exchange, request.symbol, 'price', request.activationPrice, request.side === 'sell' ? 'up' : 'down');
      try {
        const order = await this.#exchange.createOrder(request.symbol, 'market', request.side, Number(amount), undefined, {
          ...this.#options.params,
          ...this.#triggerParams,
          ...positionParams(this.#options.hedged === true),
          trailingPercent: request.callbackPercent,
          ...(activation === undefined ? {} : { trailingTriggerPrice: activation }),
          clientOrderId: this.#profile.clientOrderIds.encode(request.clientOrderId),
        });
        const quantity = toBaseQuantity(this.#exchange, request.symbol, Number(amount));
        return toStopOrder(this.#context, order, { ...request, quantity, stopPrice: 0 });
      } catch (error) {
        return this.#adoptOnDuplicate('placeTrailingStop', request, error, options);
      }
    });
  }

  /** Maps a creation failure; a duplicate client order id adopts the order that holds the id. */
  async #adoptOnDuplicate(
    operation: Operation,
    request: { readonly symbol: string; readonly clientOrderId: string },
    error: unknown,
    options: PlacerCallOptions,
  ): Promise<StopOrder> {
    const failure = this.#failure(operation, request, error);
    if (options?.signal?.aborted) throw failure.error;
    if (failure.kind === 'rejected' && this.#profile.lookupOnRefusal === true) {
      // No documented duplicate-id code: a refusal may be one; an open order under the id is ours.
      const holder = await lookupStop(this.#context, request).catch(() => undefined);
      if (holder !== undefined && holder.status === 'open') return holder;
      throw failure.error;
    }
    if (failure.kind !== 'duplicate') throw failure.error;
    return adoptHolderOf(this.#context, operation, request, failure);
  }

  async #lookup(query: FindStopQuery): Promise<StopOrder | undefined> {
    await this.#ensureMarkets();
    return lookupStop(this.#context, query);
  }

  /** Runs one venue call: refuses an aborted signal before sending, detaches on a later abort. */
  #call<T>(operation: Operation, options: PlacerCallOptions, target: CallTarget, work: () => Promise<T>): Promise<T> {
    const signal = options?.signal;
    if (signal?.aborted) {
      return Promise.reject(new AbortedError(`${this.#exchange.id} ${operation} was aborted before it was sent`));
    }
    if (target.symbol !== undefined && operation !== 'findStop') this.#usedSymbols.add(target.symbol);
    this.#logger.debug(`${operation} sent`, {
      venue: this.#exchange.id,
      symbol: target.symbol,
      clientOrderId: target.clientOrderId,
    });
    // Anything that escaped an operation's own mapping (ccxt's market() on an unknown symbol,
    // a precision refusal) still leaves as a typed, sanitized error.
    const attempt = work().catch((error: unknown) => {
      throw error instanceof TrailingStopError ? error : this.#failure(operation, target, error).error;
    });
    if (signal === undefined) return attempt;
    // The request may already be at the venue: an abort in flight leaves the outcome unknown (I7),
    // resolved by the caller through findStop with the same client order id.
    return detachOnAbort(
      attempt,
      signal,
      () => new AbortedError(`${this.#exchange.id} ${operation} was aborted in flight; its outcome is unknown`),
    );
  }

  /** Loads markets once when the caller has not (shared by concurrent calls; retried after a failure). */
  #ensureMarkets(): Promise<unknown> | undefined {
    if (this.#exchange.markets !== undefined) return undefined;
    this.#marketsLoading ??= this.#exchange.loadMarkets().catch((error: unknown) => {
      this.#marketsLoading = undefined;
      throw error;
    });
    return this.#marketsLoading;
  }

  #validateOrder(operation: Operation, request: OrderFields): void {
    validateOrder(this.#exchange.id, this.#profile, this.capabilities.clientOrderIdMaxLength ?? 36, operation, request);
  }

  #failure(operation: Operation, target: CallTarget, error: unknown): Failure {
    return classifyFailure(this.#context, operation, target, error);
  }
}
