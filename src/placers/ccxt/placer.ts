/**
 * The `CcxtOrderPlacer` class: the {@link OrderPlacer} operations over a ccxt exchange instance,
 * each one call through {@link CcxtOrderPlacer} `#call` (abort handling, logging, typed errors).
 * Request checks, precision, order reading, lookups and failure classification live in the
 * neighbouring modules; the venue differences in the venue profiles.
 */
import { detachOnAbort } from '../../domain/abort.js';
import type { CcxtExchangeLike, CcxtOrderPlacerOptions } from './exchange.js';
import { configure } from './configuration.js';
import type { VenueProfile } from './venues.js';
import { classifyFailure, type CallTarget, type Failure, type Operation } from './failures.js';
import { adoptHolderOf, listOpenStops, lookupStop, type LookupContext } from './lookup.js';
import { toStopOrder } from './orders.js';
import { fitToPrecision, type Rounding } from './precision.js';
import {
  checkCallbackRate,
  positionParams,
  requirePositive,
  validateOrder,
  type OrderFields,
} from './requests.js';
import type {
  ClosePositionRequest,
  FindStopQuery,
  OrderPlacer,
  OpenStopsOptions,
  PlacerCallOptions,
  PlacerCapabilities,
  StopOrder,
  StopOrderRequest,
  TrailingStopOrderRequest,
} from '../../ports/order-placer.js';
import { type Logger, silentLogger } from '../../ports/logger.js';
import { systemClock } from '../../ports/clock.js';
import { AbortedError, TrailingStopError } from '../../errors.js';

/**
 * An {@link OrderPlacer} over a ccxt exchange instance. See the module comment for what each venue
 * supports. Reduce-only stop-market orders are placed with ccxt's unified `stopLossPrice`, the
 * quantity fitted to the market's amount precision and the stop price to its price precision in
 * the protective direction (a sell stop rounds down, a buy stop rounds up), so rounding never
 * moves a stop towards the market.
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
  /** The venue profile in use: `binance`, `bybit`, or `generic` for any other ccxt venue. */
  readonly venue: 'binance' | 'bybit' | 'generic';

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

  readonly #exchange: CcxtExchangeLike;
  readonly #profile: VenueProfile;
  readonly #options: CcxtOrderPlacerOptions;
  readonly #logger: Logger;
  /** What the lookup and failure modules read of this placer. */
  readonly #context: LookupContext;
  readonly #triggerParams: Readonly<Record<string, string>>;
  readonly #usedSymbols = new Set<string>();
  #marketsLoading: Promise<unknown> | undefined;

  /**
   * @param exchange A ccxt exchange instance, configured by the caller (keys, sandbox, options).
   * @param options See {@link CcxtOrderPlacerOptions}.
   * @throws TypeError when an option does not fit the venue (e.g. `amend: true` on Binance) or
   *   when a Binance instance comes from a ccxt older than 4.5.24.
   *
   * @example
   * ```ts
   * const placer = new CcxtOrderPlacer(new ccxt.bybit({ apiKey, secret }), { triggerPriceType: 'mark', symbols: ['BTC/USDT:USDT'] });
   * ```
   */
  constructor(exchange: CcxtExchangeLike, options: CcxtOrderPlacerOptions = {}) {
    const configuration = configure(exchange, options);
    const profile = configuration.profile;
    this.#exchange = exchange;
    this.#profile = profile;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#context = {
      exchange,
      profile,
      logger: this.#logger,
      clock: options.clock ?? systemClock,
      hedged: options.hedged === true,
    };
    this.venue = profile.name;
    this.#triggerParams = configuration.triggerParams;
    this.capabilities = configuration.capabilities;
    if (configuration.amend) {
      this.amendStop = (order, stopPrice, callOptions) => this.#amend(order, stopPrice, callOptions);
    }
    if (configuration.nativeTrailing) {
      const limits = configuration.trailingLimits;
      this.placeTrailingStop = (request, callOptions) => this.#placeTrailing(request, limits, callOptions);
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
      const quantity = this.#fit(request.symbol, 'amount', request.quantity, 'down');
      const stopPrice = this.#fit(request.symbol, 'price', request.stopPrice, request.side === 'sell' ? 'down' : 'up');
      const stopKey = this.#profile.name !== 'generic' || this.#exchange.has['createStopLossOrder'] === true ? 'stopLossPrice' : 'triggerPrice';
      try {
        const order = await this.#exchange.createOrder(request.symbol, 'market', request.side, Number(quantity), undefined, {
          ...this.#options.params,
          ...this.#triggerParams,
          ...positionParams(this.#options.hedged === true),
          [stopKey]: stopPrice,
          clientOrderId: request.clientOrderId,
        });
        return toStopOrder(this.#exchange.id, order, { ...request, quantity: Number(quantity), stopPrice: Number(stopPrice) });
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
      const byClientOrderId = order.id === '' ? { [this.#profile.clientOrderIdParam]: order.clientOrderId } : {};
      try {
        await this.#exchange.cancelOrder(order.id === '' ? undefined : order.id, order.symbol, {
          ...this.#profile.cancelParams,
          ...byClientOrderId,
        });
      } catch (error) {
        const failure = this.#failure('cancelStop', order, error);
        if (failure.kind === 'gone') return;
        throw failure.error;
      }
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
   * Every open stop on the symbols this placer has used, the constructor's `symbols` and the
   * call's `options.symbols` (the registry passes those of its records; one venue call per
   * symbol); with none known, one call without a symbol. Only reduce-only conditional or trailing
   * orders are listed.
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
      const symbols = [...new Set([...(this.#options.symbols ?? []), ...(options.symbols ?? []), ...this.#usedSymbols])];
      return listOpenStops(this.#context, symbols);
    });
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
      const quantity = this.#fit(request.symbol, 'amount', request.quantity, 'down');
      try {
        await this.#exchange.createOrder(request.symbol, 'market', request.side, Number(quantity), undefined, {
          ...this.#options.params,
          ...positionParams(this.#options.hedged === true),
          clientOrderId: request.clientOrderId,
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
      const price = this.#fit(order.symbol, 'price', stopPrice, order.side === 'sell' ? 'down' : 'up');
      const byClientOrderId = order.id === '' ? { [this.#profile.clientOrderIdParam]: order.clientOrderId } : {};
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
      const quantity = this.#fit(request.symbol, 'amount', request.quantity, 'down');
      // The activation price must be reached before trailing starts; rounding it towards the
      // position's profit side (away from entry) never starts trailing early.
      const activation =
        request.activationPrice === undefined
          ? undefined
          : this.#fit(request.symbol, 'price', request.activationPrice, request.side === 'sell' ? 'up' : 'down');
      try {
        const order = await this.#exchange.createOrder(request.symbol, 'market', request.side, Number(quantity), undefined, {
          ...this.#options.params,
          ...this.#triggerParams,
          ...positionParams(this.#options.hedged === true),
          trailingPercent: request.callbackPercent,
          ...(activation === undefined ? {} : { trailingTriggerPrice: activation }),
          clientOrderId: request.clientOrderId,
        });
        return toStopOrder(this.#exchange.id, order, { ...request, quantity: Number(quantity), stopPrice: 0 });
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
    if (failure.kind !== 'duplicate') throw failure.error;
    if (options?.signal?.aborted) throw failure.error;
    await this.#ensureMarkets();
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

  #fit(symbol: string, kind: 'amount' | 'price', value: number, rounding: Rounding): string {
    return fitToPrecision(this.#exchange, symbol, kind, value, rounding);
  }

  #validateOrder(operation: Operation, request: OrderFields): void {
    validateOrder(this.#exchange.id, this.#profile, this.capabilities.clientOrderIdMaxLength ?? 36, operation, request);
  }

  #failure(operation: Operation, target: CallTarget, error: unknown): Failure {
    return classifyFailure(this.#context, operation, target, error);
  }
}
