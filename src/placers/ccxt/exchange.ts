/**
 * The subset of ccxt the adapter uses, described as interfaces so the package never imports
 * ccxt (not even its types): a real ccxt exchange instance, order and market fit them.
 */

/**
 * The fields of a ccxt order structure the adapter reads. ccxt's `Order` type fits.
 *
 * @example
 * ```ts
 * const order: CcxtOrderLike = await exchange.fetchOrder(id, 'BTC/USDT:USDT', { trigger: true });
 * ```
 */
export interface CcxtOrderLike {
  /** The venue's order id. */
  readonly id?: string | undefined;
  /** The client order id (Binance `clientAlgoId`, Bybit `orderLinkId`). */
  readonly clientOrderId?: string | undefined;
  /** Unified symbol, e.g. `BTC/USDT:USDT`. */
  readonly symbol?: string | undefined;
  /** `buy` or `sell`. */
  readonly side?: string | undefined;
  /** Unified order type, e.g. `market`, `stop_market`, `trailing_stop_market`. */
  readonly type?: string | undefined;
  /** Unified status: `open`, `closed`, `canceled`, `expired`, `rejected`. */
  readonly status?: string | undefined;
  /** Ordered quantity in base units (contracts for contract markets). */
  readonly amount?: number | undefined;
  /** Trigger price of a conditional order. */
  readonly triggerPrice?: number | undefined;
  /** Legacy alias of `triggerPrice`. */
  readonly stopPrice?: number | undefined;
  /** Stop-loss trigger price, where the venue distinguishes it. */
  readonly stopLossPrice?: number | undefined;
  /** Whether the order only reduces a position. */
  readonly reduceOnly?: boolean | undefined;
  /** The venue's raw order, as ccxt received it (read where ccxt's parse drops a field). */
  readonly info?: unknown;
}

/**
 * The fields of a ccxt market structure the adapter reads. ccxt's `MarketInterface` fits.
 *
 * @example
 * ```ts
 * const market: CcxtMarketLike = exchange.market('BTC/USDT:USDT');
 * market.precision.price; // 0.1 (tick size)
 * ```
 */
export interface CcxtMarketLike {
  /** Unified symbol. */
  readonly symbol: string;
  /** Precision of amounts and prices, in the exchange's `precisionMode` (tick sizes for Binance and Bybit). */
  readonly precision: {
    /**
     * Lot size (or decimal places, significant digits) amounts are fitted to, rounding down;
     * absent: `amountToPrecision` decides.
     */
    readonly amount?: number | undefined;
    /**
     * Tick size (or decimal places, significant digits) stop prices are fitted to, away from the
     * market; absent: sent as is.
     */
    readonly price?: number | undefined;
  };
  /** True for swaps and futures: ccxt amounts are then in contracts. */
  readonly contract?: boolean | undefined;
  /** Base units per contract (OKX BTC-USDT-SWAP: 0.01). */
  readonly contractSize?: number | undefined;
  /** Order limits; `amount.min` is the smallest order in contracts. */
  readonly limits?:
    | {
        /** Limits of an order's amount, in contracts. */
        readonly amount?:
          | {
              /**
               * Smallest amount an order may have; a stop below it is refused with
               * `ExchangeRejectedError` before it is sent.
               */
              readonly min?: number | undefined;
            }
          | undefined;
      }
    | undefined;
}

/**
 * The subset of a ccxt exchange instance that {@link CcxtOrderPlacer} uses: a ccxt `Exchange`
 * (for example `new ccxt.binanceusdm({...})` or `new ccxt.pro.bybit({...})`) satisfies it as is.
 * Credentials are read only to redact them from error messages.
 *
 * @example
 * ```ts
 * import ccxt from 'ccxt';
 * const exchange: CcxtExchangeLike = new ccxt.binanceusdm({ apiKey, secret });
 * ```
 */
export interface CcxtExchangeLike {
  /** ccxt exchange id, e.g. `binanceusdm` or `bybit`; selects the venue profile. */
  readonly id: string;
  /** ccxt's capability map (`createTrailingPercentOrder`, `fetchCanceledAndClosedOrders`, ...). */
  readonly has: Readonly<Record<string, boolean | 'emulated' | undefined>>;
  /** Loaded markets, `undefined` until `loadMarkets()` or `setMarkets()`. */
  readonly markets?: Readonly<Record<string, unknown>> | undefined;
  /** ccxt precision mode (`ccxt.TICK_SIZE` = 4, `ccxt.DECIMAL_PLACES` = 2, `ccxt.SIGNIFICANT_DIGITS` = 3). */
  readonly precisionMode?: number | undefined;
  /** API key; read only to redact it. */
  readonly apiKey?: string | undefined;
  /** API secret; read only to redact it. */
  readonly secret?: string | undefined;
  /** API passphrase; read only to redact it. */
  readonly password?: string | undefined;
  /** Account id some venues require; read only to redact it. */
  readonly uid?: string | undefined;
  /** Wallet private key (DEX venues); read only to redact it. */
  readonly privateKey?: string | undefined;
  /** Session token; read only to redact it. */
  readonly token?: string | undefined;
  /** Present from ccxt 4.5.24 on Binance instances: the USDⓈ-M algo-order endpoint. */
  readonly fapiPrivatePostAlgoOrder?: unknown;
  /** Loads markets (called once if `markets` is not loaded yet). */
  loadMarkets(reload?: boolean): Promise<unknown>;
  /** The market structure of a unified symbol. */
  market(symbol: string): CcxtMarketLike;
  /** Formats an amount to the market's amount precision (truncating). */
  amountToPrecision(symbol: string, amount: number | string): string | undefined;
  /** ccxt's precision helper: `(value, roundingMode, precision, countingMode, paddingMode) => string`. */
  decimalToPrecision(
    value: number | string,
    roundingMode: number,
    precision: number | string,
    countingMode?: number,
    paddingMode?: number,
  ): string;
  /** ccxt unified `createOrder`. */
  createOrder(
    symbol: string,
    type: string,
    side: string,
    amount: number,
    price?: number,
    params?: Record<string, unknown>,
  ): Promise<CcxtOrderLike>;
  /** ccxt unified `cancelOrder`. */
  cancelOrder(id: string | undefined, symbol?: string, params?: Record<string, unknown>): Promise<unknown>;
  /** ccxt unified `fetchOpenOrders`. */
  fetchOpenOrders(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<CcxtOrderLike[]>;
  /** ccxt unified `fetchOrder`. */
  fetchOrder(id: string, symbol?: string, params?: Record<string, unknown>): Promise<CcxtOrderLike>;
  /** ccxt unified `fetchCanceledAndClosedOrders` (used where `has.fetchCanceledAndClosedOrders`). */
  fetchCanceledAndClosedOrders?(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<CcxtOrderLike[]>;
  /** ccxt unified `fetchClosedOrders` (used by profiles whose lookup searches history). */
  fetchClosedOrders?(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<CcxtOrderLike[]>;
  /** ccxt unified `fetchCanceledOrders` (used by profiles whose lookup searches history). */
  fetchCanceledOrders?(
    symbol?: string,
    since?: number,
    limit?: number,
    params?: Record<string, unknown>,
  ): Promise<CcxtOrderLike[]>;
  /** ccxt unified `editOrder` (used only where the venue profile says it moves a stop in place). */
  editOrder?(
    id: string,
    symbol: string,
    type: string,
    side: string,
    amount?: number,
    price?: number,
    params?: Record<string, unknown>,
  ): Promise<CcxtOrderLike>;
}
