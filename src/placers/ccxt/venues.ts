/**
 * What the ccxt adapter knows about each venue: client order id rules, whether a stop can be
 * amended in place, native trailing limits, trigger price parameters, and the venue error codes
 * that ccxt's classes are too coarse for. Declared, not guessed.
 */
import type { TriggerPriceType } from './exchange.js';

/** What the adapter knows about one venue, as ccxt exposes it. */
export interface VenueProfile {
  readonly name: 'binance' | 'bybit' | 'generic';
  readonly clientOrderIdMaxLength: number;
  /** Characters the venue accepts in client order ids (the length is checked separately). */
  readonly clientOrderIdCharacters: RegExp;
  readonly canAmend: boolean;
  readonly trailingCallbackPercent: { readonly min: number; readonly max: number } | undefined;
  /** Venue parameters for a trigger price type; `undefined` when the venue has no such choice. */
  readonly triggerPriceTypeParams: Partial<Record<TriggerPriceType, Record<string, string>>> | undefined;
  /** Parameters that make ccxt address the conditional-order service on cancel. */
  readonly cancelParams: Readonly<Record<string, unknown>>;
  /** Parameters that make ccxt list conditional orders. */
  readonly listParams: Readonly<Record<string, unknown>>;
  /** Parameter name that cancels by client order id when the venue order id is unknown. */
  readonly clientOrderIdParam: string;
  /** How to look an order up by client order id. */
  readonly lookup: 'fetch-order' | 'open-then-history' | 'open-orders';
  /** Venue error codes (as in the response body) where ccxt's class is too coarse. */
  readonly codes: {
    readonly wouldTrigger: readonly string[];
    readonly duplicateClientOrderId: readonly string[];
    readonly gone: readonly string[];
    readonly nothingToReduce: readonly string[];
    readonly unknownOutcome: readonly string[];
  };
}

const binanceProfile: VenueProfile = {
  name: 'binance',
  clientOrderIdMaxLength: 36,
  // Binance documents ^[.A-Z:/a-z0-9_-]{1,36}$ for client order ids.
  clientOrderIdCharacters: /^[.A-Z:/a-z0-9_-]+$/,
  canAmend: false, // editOrder on USDⓈ-M only modifies LIMIT orders; a stop must be replaced.
  trailingCallbackPercent: { min: 0.1, max: 10 },
  triggerPriceTypeParams: {
    mark: { workingType: 'MARK_PRICE' },
    last: { workingType: 'CONTRACT_PRICE' },
  },
  cancelParams: { trigger: true }, // routes to DELETE /fapi/v1/algoOrder
  listParams: { trigger: true }, // routes to GET /fapi/v1/openAlgoOrders and /fapi/v1/algoOrder
  clientOrderIdParam: 'clientOrderId',
  lookup: 'fetch-order',
  codes: {
    wouldTrigger: ['-2021'],
    duplicateClientOrderId: ['-4116'],
    gone: ['-2011', '-2013'],
    nothingToReduce: ['-2022'],
    unknownOutcome: ['-1007'],
  },
};

const bybitProfile: VenueProfile = {
  name: 'bybit',
  clientOrderIdMaxLength: 36,
  // Bybit: orderLinkId up to 36 characters of letters, digits, dashes and underscores.
  clientOrderIdCharacters: /^[A-Za-z0-9_-]+$/,
  canAmend: true, // /v5/order/amend moves triggerPrice of an untriggered conditional order.
  trailingCallbackPercent: undefined, // Bybit trails by amount on the position, not by an order.
  triggerPriceTypeParams: {
    mark: { triggerBy: 'MarkPrice' },
    last: { triggerBy: 'LastPrice' },
    index: { triggerBy: 'IndexPrice' },
  },
  cancelParams: {}, // linear conditional orders cancel through /v5/order/cancel like any order
  listParams: { trigger: true }, // orderFilter=StopOrder
  clientOrderIdParam: 'orderLinkId',
  lookup: 'open-then-history',
  codes: {
    wouldTrigger: ['110092', '110093'],
    duplicateClientOrderId: ['110072'],
    gone: ['110001', '110008', '110010', '170142', '170213'],
    nothingToReduce: ['110017'],
    unknownOutcome: ['10016', '5004'],
  },
};

const genericProfile: VenueProfile = {
  name: 'generic',
  clientOrderIdMaxLength: 36,
  clientOrderIdCharacters: /^[A-Za-z0-9_-]+$/,
  canAmend: false,
  trailingCallbackPercent: undefined,
  triggerPriceTypeParams: undefined,
  cancelParams: { trigger: true },
  listParams: { trigger: true },
  clientOrderIdParam: 'clientOrderId',
  lookup: 'open-orders',
  codes: { wouldTrigger: [], duplicateClientOrderId: [], gone: [], nothingToReduce: [], unknownOutcome: [] },
};

export function profileOf(exchangeId: string): VenueProfile {
  if (exchangeId === 'binanceusdm' || exchangeId === 'binance') return binanceProfile;
  if (exchangeId === 'bybit') return bybitProfile;
  return genericProfile;
}
