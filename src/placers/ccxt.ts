/**
 * `CcxtOrderPlacer`: an {@link OrderPlacer} over a ccxt exchange instance that the caller creates
 * and configures (keys, sandbox, proxies, rate limiting). The adapter never imports ccxt: it
 * describes the few members it uses as {@link CcxtExchangeLike}, so the core package carries no
 * dependency on ccxt and any ccxt >= 4.5.24 instance fits.
 *
 * What it does per venue (declared, not guessed):
 *
 * | venue                      | stop order                               | amend in place | native trailing |
 * | -------------------------- | ---------------------------------------- | -------------- | --------------- |
 * | `binanceusdm` / `binance`  | algo-order service, `STOP_MARKET`        | no             | 0.1-10 %        |
 * | `bybit`                    | `/v5/order/create` conditional `Market`  | yes            | no              |
 * | any other ccxt venue       | unified `stopLossPrice` / `triggerPrice` | no             | if `has` says   |
 *
 * Errors are mapped by ccxt error class (read from the error's prototype chain and `name`, so no
 * `instanceof` against ccxt's classes is needed) and by the venue's own error code where ccxt's
 * class is too coarse. Every error this adapter creates carries a sanitized copy of the ccxt error
 * as `cause`: query strings, signatures and the instance's credentials are removed.
 *
 * @packageDocumentation
 */
export type { CcxtExchangeLike, CcxtMarketLike, CcxtOrderLike, CcxtOrderPlacerOptions, TriggerPriceType } from './ccxt/exchange.js';
export { SanitizedCcxtError } from './ccxt/errors.js';
import { detachOnAbort } from '../domain/abort.js';
import { describeValue } from '../domain/validation.js';
import type { CcxtExchangeLike, CcxtOrderLike, CcxtOrderPlacerOptions, TriggerPriceType } from './ccxt/exchange.js';
import { profileOf, type VenueProfile } from './ccxt/venues.js';
import { SanitizedCcxtError, ccxtErrorClasses, redact, venueErrorCode } from './ccxt/errors.js';
import type {
  ClosePositionRequest,
  FindStopQuery,
  OrderPlacer,
  OrderSide,
  OpenStopsOptions,
  PlacerCallOptions,
  PlacerCapabilities,
  StopOrder,
  StopOrderRequest,
  TrailingStopOrderRequest,
} from '../ports/order-placer.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import { type Clock, systemClock } from '../ports/clock.js';
import {
  AbortedError,
  ClientOrderIdUsedError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  OrderNotFoundError,
  TrailingStopError,
  ValidationError,
  WouldTriggerError,
} from '../errors.js';

// ccxt's public precision constants (ccxt.TRUNCATE, ccxt.ROUND, ccxt.DECIMAL_PLACES,
// ccxt.SIGNIFICANT_DIGITS, ccxt.TICK_SIZE, ccxt.NO_PADDING), unchanged since ccxt 1.x; repeated
// here so the adapter never imports ccxt. decimalToPrecision accepts only ROUND and TRUNCATE, so
// rounding up is built from those two.
const TRUNCATE = 0;
const ROUND = 1;
const DECIMAL_PLACES = 2;
const SIGNIFICANT_DIGITS = 3;
const TICK_SIZE = 4;
const NO_PADDING = 5;

/** Direction a value may move when it is fitted to the venue's precision. */
type Rounding = 'down' | 'up';

// ---------------------------------------------------------------------------------------------
// The placer
// ---------------------------------------------------------------------------------------------

/** The operations this adapter performs, as they appear in error messages and logs. */
type Operation = 'placeStop' | 'cancelStop' | 'amendStop' | 'findStop' | 'openStops' | 'placeTrailingStop' | 'closePosition';

/** How a failed venue call is to be understood. */
type FailureKind = 'wouldTrigger' | 'duplicate' | 'gone' | 'nothingToReduce' | 'refused' | 'unavailable' | 'rejected';

interface CallTarget {
  readonly symbol?: string;
  readonly clientOrderId?: string;
}

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
  readonly #clock: Clock;
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
    if (exchange === null || typeof exchange !== 'object' || typeof exchange.createOrder !== 'function') {
      throw new TypeError(`Expected \`exchange\` to be a ccxt exchange instance, got ${describeValue(exchange)}`);
    }
    const profile = profileOf(exchange.id);
    if (profile.name === 'binance' && typeof exchange.fapiPrivatePostAlgoOrder !== 'function') {
      throw new TypeError(
        `ccxt >= 4.5.24 is required: this ${exchange.id} instance has no algo-order endpoint, which Binance USDⓈ-M conditional orders use`,
      );
    }
    this.#exchange = exchange;
    this.#profile = profile;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.venue = profile.name;
    this.#triggerParams = resolveTriggerParams(exchange.id, profile, options.triggerPriceType);

    const maxLength = options.clientOrderIdMaxLength ?? profile.clientOrderIdMaxLength;
    if (!Number.isInteger(maxLength) || maxLength < 1) {
      throw new TypeError(
        `Expected \`clientOrderIdMaxLength\` to be a positive integer, got ${describeValue(options.clientOrderIdMaxLength)}`,
      );
    }
    const trailingLimits = options.trailingCallbackPercent ?? profile.trailingCallbackPercent;
    const hasNativeTrailing = exchange.has['createTrailingPercentOrder'] === true;
    this.capabilities = {
      clientOrderIdMaxLength: maxLength,
      ...(hasNativeTrailing && trailingLimits ? { trailingCallbackPercent: { ...trailingLimits } } : {}),
    };

    if (options.amend === true && !(profile.canAmend && typeof exchange.editOrder === 'function')) {
      throw new TypeError(
        `Expected \`amend\` to be false or unset for ${exchange.id}: it cannot move a conditional order in place through ccxt`,
      );
    }
    if (options.amend !== false && profile.canAmend && typeof exchange.editOrder === 'function') {
      this.amendStop = (order, stopPrice, callOptions) => this.#amend(order, stopPrice, callOptions);
    }
    if (hasNativeTrailing) {
      this.placeTrailingStop = (request, callOptions) => this.#placeTrailing(request, trailingLimits, callOptions);
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
          ...this.#positionParams(),
          [stopKey]: stopPrice,
          clientOrderId: request.clientOrderId,
        });
        return this.#toStopOrder(order, { ...request, quantity: Number(quantity), stopPrice: Number(stopPrice) });
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
      const result = new Map<string, StopOrder>();
      for (const symbol of symbols.length === 0 ? [undefined] : symbols) {
        let orders: CcxtOrderLike[];
        try {
          orders = await this.#exchange.fetchOpenOrders(symbol, undefined, undefined, { ...this.#profile.listParams });
        } catch (error) {
          throw this.#failure('openStops', symbol === undefined ? {} : { symbol }, error).error;
        }
        for (const order of orders) {
          if (!this.#isStop(order) || mapStatus(order.status) !== 'open' || order.id === undefined) continue;
          result.set(order.id, this.#toStopOrder(order));
        }
      }
      return [...result.values()];
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
          ...this.#positionParams(),
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
    if (limits && (request.callbackPercent < limits.min || request.callbackPercent > limits.max)) {
      throw new ExchangeRejectedError(
        `${this.#exchange.id} accepts callback rates of ${limits.min}-${limits.max}% for native trailing orders, got ${request.callbackPercent}%`,
      );
    }
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
          ...this.#positionParams(),
          trailingPercent: request.callbackPercent,
          ...(activation === undefined ? {} : { trailingTriggerPrice: activation }),
          clientOrderId: request.clientOrderId,
        });
        return this.#toStopOrder(order, { ...request, quantity: Number(quantity), stopPrice: 0 });
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
    const existing = await this.#lookup(request);
    if (existing?.status === 'open' || (existing !== undefined && existing.status === undefined)) {
      this.#logger.info(`${operation}: adopted the open order that already holds the client order id`, {
        venue: this.#exchange.id,
        symbol: request.symbol,
        clientOrderId: request.clientOrderId,
        orderId: existing.id,
      });
      return existing;
    }
    if (existing !== undefined) {
      throw new ClientOrderIdUsedError(
        request.clientOrderId,
        `${this.#exchange.id} ${operation} ${request.symbol}: client order id ${request.clientOrderId} was already used by an order that is ${existing.status}`,
        { cause: failure.error.cause },
      );
    }
    // The venue says the id is taken but cannot show the order yet: let the caller retry the lookup.
    throw new ExchangeUnavailableError(
      `${this.#exchange.id} ${operation} ${request.symbol}: client order id ${request.clientOrderId} is taken but the order could not be found yet`,
      { cause: failure.error.cause, unknownOutcome: true },
    );
  }

  async #lookup(query: FindStopQuery): Promise<StopOrder | undefined> {
    await this.#ensureMarkets();
    const { symbol, clientOrderId } = query;
    const matches = (order: CcxtOrderLike) => order.clientOrderId === clientOrderId && this.#isStop(order);
    try {
      switch (this.#profile.lookup) {
        case 'fetch-order': {
          const order = await this.#exchange.fetchOrder(clientOrderId, symbol, { ...this.#profile.listParams, clientOrderId });
          return matches(order) ? this.#toStopOrder(order) : undefined;
        }
        case 'open-then-history': {
          const byId = { ...this.#profile.listParams, [this.#profile.clientOrderIdParam]: clientOrderId };
          const open = (await this.#exchange.fetchOpenOrders(symbol, undefined, undefined, byId)).find(matches);
          if (open !== undefined) return this.#toStopOrder(open);
          if (this.#exchange.has['fetchCanceledAndClosedOrders'] !== true || !this.#exchange.fetchCanceledAndClosedOrders) {
            return undefined;
          }
          const finished = await this.#exchange.fetchCanceledAndClosedOrders(symbol, undefined, undefined, byId);
          const order = finished.find(matches);
          return order === undefined ? undefined : this.#toStopOrder(order);
        }
        case 'open-orders': {
          const open = await this.#exchange.fetchOpenOrders(symbol, undefined, undefined, { ...this.#profile.listParams });
          const order = open.find(matches);
          return order === undefined ? undefined : this.#toStopOrder(order);
        }
      }
    } catch (error) {
      const failure = this.#failure('findStop', query, error);
      if (failure.kind === 'gone') return undefined;
      throw failure.error;
    }
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

  /**
   * Fits `value` to the market's precision through ccxt's own `decimalToPrecision`, moving it
   * only in `rounding`'s direction. A value within a millionth of a step of a grid point is that
   * point (floating-point noise such as 0.30000000000000004 is not a reason to move a whole step).
   */
  #fit(symbol: string, kind: 'amount' | 'price', value: number, rounding: Rounding): string {
    const exchange = this.#exchange;
    const precision = exchange.market(symbol).precision[kind];
    if (precision === undefined || precision === null) {
      return kind === 'amount' ? (exchange.amountToPrecision(symbol, value) ?? String(value)) : String(value);
    }
    const mode = exchange.precisionMode ?? TICK_SIZE;
    const fit = (input: number, roundingMode: number) =>
      exchange.decimalToPrecision(input, roundingMode, precision, mode, NO_PADDING);
    const nearest = fit(value, ROUND);
    const step = stepOf(precision, mode, value);
    let result: string;
    if (Math.abs(Number(nearest) - value) <= step * 1e-6) result = nearest;
    else if (rounding === 'down') result = fit(value, TRUNCATE);
    else result = Number(nearest) > value ? nearest : fit(Number(nearest) + step, ROUND);
    if (!(Number(result) > 0)) {
      throw new ExchangeRejectedError(
        `${exchange.id} ${symbol}: ${kind} ${value} is below the market's ${kind} precision ${precision}`,
      );
    }
    return result;
  }

  #positionParams(): Record<string, unknown> {
    return this.#options.hedged === true ? { hedged: true, reduceOnly: true } : { reduceOnly: true };
  }

  #validateOrder(operation: Operation, request: { symbol: unknown; side: unknown; quantity: unknown; clientOrderId: unknown }) {
    if (typeof request.symbol !== 'string' || request.symbol.trim() === '') {
      throw new ValidationError('symbol', `Expected \`symbol\` to be a non-empty string, got ${describeValue(request.symbol)}`);
    }
    if (request.side !== 'buy' && request.side !== 'sell') {
      throw new ValidationError('side', `Expected \`side\` to be 'buy' or 'sell', got ${describeValue(request.side)}`);
    }
    requirePositive('quantity', request.quantity);
    const maxLength = this.capabilities.clientOrderIdMaxLength ?? 36;
    const id = request.clientOrderId;
    if (typeof id !== 'string' || id.length === 0 || id.length > maxLength || !this.#profile.clientOrderIdCharacters.test(id)) {
      throw new ValidationError(
        'clientOrderId',
        `Expected \`clientOrderId\` for ${operation} on ${this.#exchange.id} to be 1-${maxLength} characters of ${this.#profile.clientOrderIdCharacters.source.slice(1, -2)}, got ${describeValue(id)}`,
      );
    }
  }

  /** True for a reduce-only conditional or trailing order (any reduce-only flag in hedge mode). */
  #isStop(order: CcxtOrderLike): boolean {
    if (order.reduceOnly === false && this.#options.hedged !== true) return false;
    const type = (order.type ?? '').toLowerCase();
    return triggerOf(order) !== undefined || type.includes('stop') || type.includes('trailing');
  }

  #toStopOrder(
    order: CcxtOrderLike,
    requested?: { symbol: string; side: OrderSide; quantity: number; stopPrice: number; clientOrderId: string },
  ): StopOrder {
    if (order.id === undefined || order.id === '') {
      throw new ExchangeUnavailableError(
        `${this.#exchange.id} answered without an order id${requested ? ` for ${requested.clientOrderId}` : ''}; the order may exist`,
        { unknownOutcome: true },
      );
    }
    const side = order.side === 'buy' || order.side === 'sell' ? order.side : requested?.side;
    return {
      id: order.id,
      clientOrderId: order.clientOrderId ?? requested?.clientOrderId ?? '',
      symbol: order.symbol ?? requested?.symbol ?? '',
      side: side ?? 'sell',
      quantity: positiveOr(order.amount, requested?.quantity ?? Number.NaN),
      // 0 = not known yet (a native trailing order before it trails), as PaperExchange reports it.
      stopPrice: triggerOf(order) ?? requested?.stopPrice ?? 0,
      status: mapStatus(order.status),
    };
  }

  /** Classifies a failed venue call and builds the typed error to throw. */
  #failure(operation: Operation, target: CallTarget, error: unknown): { kind: FailureKind; error: TrailingStopError } {
    if (error instanceof TrailingStopError) return { kind: kindOfOwn(error), error };
    const classes = ccxtErrorClasses(error);
    const rawMessage = error instanceof Error ? error.message : String(error);
    const message = redact(rawMessage, this.#secrets());
    const venueCode = venueErrorCode(rawMessage);
    const cause = new SanitizedCcxtError(classes[0] ?? 'Error', message, classes, venueCode);
    const has = (name: string) => classes.includes(name);
    const codes = this.#profile.codes;
    const codeIn = (list: readonly string[]) => venueCode !== undefined && list.includes(venueCode);

    let kind: FailureKind;
    if (has('OrderImmediatelyFillable') || codeIn(codes.wouldTrigger)) kind = 'wouldTrigger';
    else if (has('DuplicateOrderId') || codeIn(codes.duplicateClientOrderId)) kind = 'duplicate';
    else if (has('OrderNotFound') || codeIn(codes.gone)) kind = 'gone';
    else if (codeIn(codes.nothingToReduce)) kind = 'nothingToReduce';
    else if (has('RateLimitExceeded') || has('DDoSProtection') || has('InvalidNonce')) kind = 'refused';
    else if (codeIn(codes.unknownOutcome) || has('NetworkError') || has('OperationFailed')) kind = 'unavailable';
    else if (has('BaseError')) kind = 'rejected';
    else kind = 'unavailable'; // not a ccxt error (a bug, a parse failure): the request may have gone out

    const where = `${this.#exchange.id} ${operation}${target.symbol ? ` ${target.symbol}` : ''}${
      target.clientOrderId ? ` (${target.clientOrderId})` : ''
    }`;
    const summary = `${where}: ${cause.name}${venueCode === undefined ? '' : ` ${venueCode}`}: ${message}`;
    let mapped: TrailingStopError;
    switch (kind) {
      case 'wouldTrigger':
        mapped = new WouldTriggerError(`${summary} (the stop would immediately trigger)`, { cause });
        break;
      case 'gone':
        mapped = new OrderNotFoundError(summary, { cause });
        break;
      case 'refused':
        // Rate limits and clock-skew refusals are answered before the order is processed: nothing
        // was executed, so the outcome is known (not placed).
        mapped = new ExchangeUnavailableError(summary, {
          cause,
          unknownOutcome: false,
          retryAfterMs: this.#retryAfter(rawMessage),
        });
        break;
      case 'unavailable':
        mapped = new ExchangeUnavailableError(summary, { cause, unknownOutcome: true });
        break;
      default:
        mapped = new ExchangeRejectedError(summary, { cause });
    }
    this.#logger.warn(`${operation} failed`, {
      venue: this.#exchange.id,
      symbol: target.symbol,
      clientOrderId: target.clientOrderId,
      errorClass: cause.name,
      venueCode,
      kind,
      message,
    });
    return { kind, error: mapped };
  }

  /** Binance bans carry "banned until <epoch ms>"; other limits do not say. */
  #retryAfter(message: string): number | undefined {
    const until = /banned until (\d{12,14})/i.exec(message)?.[1];
    if (until === undefined) return undefined;
    return Math.max(0, Number(until) - this.#clock.now());
  }

  #secrets(): string[] {
    const exchange = this.#exchange;
    const values = [exchange.apiKey, exchange.secret, exchange.password, exchange.uid, exchange.privateKey, exchange.token];
    return values.filter((value): value is string => typeof value === 'string' && value.length > 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Errors and redaction
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function resolveTriggerParams(
  exchangeId: string,
  profile: VenueProfile,
  type: TriggerPriceType | undefined,
): Readonly<Record<string, string>> {
  if (type === undefined) return {};
  const params = profile.triggerPriceTypeParams?.[type];
  if (params === undefined) {
    const accepted = profile.triggerPriceTypeParams ? Object.keys(profile.triggerPriceTypeParams).join("', '") : '';
    throw new TypeError(
      accepted === ''
        ? `Expected \`triggerPriceType\` to be unset for ${exchangeId}: no mapping is known; pass the venue's own parameter through \`params\``
        : `Expected \`triggerPriceType\` to be one of '${accepted}' for ${exchangeId}, got ${describeValue(type)}`,
    );
  }
  return params;
}

/** One step of the price grid at `value` in ccxt's counting `mode`. */
function stepOf(precision: number, mode: number, value: number): number {
  if (mode === DECIMAL_PLACES) return 10 ** -precision;
  if (mode === SIGNIFICANT_DIGITS) return 10 ** (Math.floor(Math.log10(Math.abs(value))) - precision + 1);
  return precision;
}

function triggerOf(order: CcxtOrderLike): number | undefined {
  for (const value of [order.triggerPrice, order.stopPrice, order.stopLossPrice]) {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  }
  return undefined;
}

function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

function mapStatus(status: string | undefined): 'open' | 'filled' | 'cancelled' {
  switch (status) {
    case 'closed':
      return 'filled';
    case 'canceled':
    case 'cancelled':
    case 'expired':
    case 'rejected':
      return 'cancelled';
    default:
      return 'open';
  }
}

function kindOfOwn(error: TrailingStopError): FailureKind {
  if (error instanceof WouldTriggerError) return 'wouldTrigger';
  if (error instanceof OrderNotFoundError) return 'gone';
  if (error instanceof ExchangeUnavailableError) return error.unknownOutcome ? 'unavailable' : 'refused';
  return 'rejected';
}

function requirePositive(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValidationError(field, `Expected \`${field}\` to be a finite number > 0, got ${describeValue(value)}`);
  }
}
