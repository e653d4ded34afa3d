/**
 * Reading ccxt errors without importing ccxt (class names from the prototype chain and ccxt's
 * hierarchy, venue codes from the embedded body), and sanitizing them: nothing that leaves the
 * adapter may carry a credential, a signature or a signed URL.
 */

/**
 * A sanitized copy of a ccxt error, chained as `cause` of the adapter's typed errors instead of
 * the original (whose message may carry a signed URL). `name` is ccxt's class name; `classes`
 * lists it and its ccxt ancestors; `venueCode` is the venue's error code when the body had one.
 *
 * @example
 * ```ts
 * try { await placer.placeStop(request, { signal }); }
 * catch (error) {
 *   if (error.cause instanceof SanitizedCcxtError && error.cause.classes.includes('InsufficientFunds')) alertOperator();
 * }
 * ```
 */
export class SanitizedCcxtError extends Error {
  /** The ccxt class and its ancestors, most specific first, e.g. `['OrderNotFound', 'InvalidOrder', 'ExchangeError', 'BaseError']`. */
  readonly classes: readonly string[];
  /** The venue's error code from the response body (Binance `code`, Bybit `retCode`), if any. */
  readonly venueCode: string | undefined;

  /**
   * @param name ccxt class name.
   * @param message Already-redacted message.
   * @param classes ccxt class names, most specific first.
   * @param venueCode Venue error code.
   *
   * @example
   * ```ts
   * new SanitizedCcxtError('RateLimitExceeded', 'bybit {"retCode":10006,...}', ['RateLimitExceeded', 'NetworkError'], '10006');
   * ```
   */
  constructor(name: string, message: string, classes: readonly string[], venueCode: string | undefined) {
    super(message);
    this.name = name;
    this.classes = classes;
    this.venueCode = venueCode;
  }
}

/**
 * ccxt's error hierarchy (ccxt/js/src/base/errorHierarchy), child to parent, for the classes the
 * mapping reads. Used besides the prototype chain, so minified bundles (mangled constructor
 * names, only `name` left) still classify.
 */
const ccxtParents: Readonly<Record<string, string>> = {
  ExchangeError: 'BaseError',
  AuthenticationError: 'ExchangeError',
  PermissionDenied: 'AuthenticationError',
  AccountNotEnabled: 'PermissionDenied',
  AccountSuspended: 'AuthenticationError',
  ArgumentsRequired: 'ExchangeError',
  BadRequest: 'ExchangeError',
  BadSymbol: 'BadRequest',
  OperationRejected: 'ExchangeError',
  NoChange: 'OperationRejected',
  MarketClosed: 'OperationRejected',
  InsufficientFunds: 'ExchangeError',
  InvalidOrder: 'ExchangeError',
  OrderNotFound: 'InvalidOrder',
  OrderNotCached: 'InvalidOrder',
  OrderImmediatelyFillable: 'InvalidOrder',
  OrderNotFillable: 'InvalidOrder',
  DuplicateOrderId: 'InvalidOrder',
  ContractUnavailable: 'InvalidOrder',
  NotSupported: 'ExchangeError',
  OperationFailed: 'BaseError',
  NetworkError: 'OperationFailed',
  DDoSProtection: 'NetworkError',
  RateLimitExceeded: 'NetworkError',
  ExchangeNotAvailable: 'NetworkError',
  OnMaintenance: 'ExchangeNotAvailable',
  InvalidNonce: 'NetworkError',
  RequestTimeout: 'NetworkError',
  BadResponse: 'OperationFailed',
  NullResponse: 'BadResponse',
  CancelPending: 'OperationFailed',
};

/**
 * The ccxt error classes of `error`, most specific first, from its `name`, its prototype chain's
 * constructor names, and ccxt's hierarchy. Empty for a value that is not an Error.
 */
export function ccxtErrorClasses(error: unknown): string[] {
  if (!(error instanceof Error)) return [];
  const names: string[] = [];
  const add = (name: unknown) => {
    if (typeof name === 'string' && name !== '' && name !== 'Error' && name !== 'Object' && !names.includes(name)) {
      names.push(name);
    }
  };
  add(error.name);
  for (let prototype = Object.getPrototypeOf(error); prototype && prototype !== Error.prototype; ) {
    add((prototype as { constructor?: { name?: unknown } }).constructor?.name);
    prototype = Object.getPrototypeOf(prototype);
  }
  for (let index = 0; index < names.length; index++) {
    for (let parent = ccxtParents[names[index]!]; parent !== undefined; parent = ccxtParents[parent]) add(parent);
  }
  return names;
}

/**
 * The JSON response body a ccxt error message embeds (ccxt raises `<exchange id> <body>`), or
 * `undefined` when the message carries none.
 */
export function embeddedBody(message: string): unknown {
  for (let start = message.indexOf('{'); start >= 0; start = message.indexOf('{', start + 1)) {
    try {
      return JSON.parse(message.slice(start)) as unknown;
    } catch {
      // not the body's start (or not JSON): try the next brace
    }
  }
  return undefined;
}

/** The venue's error code from a ccxt message that embeds the response body. */
export function venueErrorCode(message: string): string | undefined {
  const match = /"(?:retCode|ret_code|code)"\s*:\s*"?(-?\d+)"?/.exec(message);
  return match?.[1];
}

/** Name-value pairs that carry credentials or signatures in URLs, headers and bodies. */
const secretField =
  /((?:signature|sign|api[-_]?key|apikey|secret|passphrase|password|token|x-[a-z]+-apikey|x-[a-z]+-api-key|x-[a-z]+-sign|access[-_]?(?:key|sign))["']?\s*[:=]\s*["']?)[^&\s"',}]+/gi;

/**
 * Removes what must never leave the process from a message: every credential value of the
 * instance (raw and URL-encoded), query strings of URLs (Binance signs GET and DELETE requests in
 * the query), name=value pairs that look like keys or signatures, and long hex or base64 runs (HMAC
 * signatures). Caps the length.
 */
export function redact(message: string, secrets: readonly string[]): string {
  let result = message;
  for (const secret of secrets) {
    const variants = new Set([secret, encodeURIComponent(secret)]);
    for (const line of secret.split(/\r?\n/)) if (line.trim().length >= 16) variants.add(line.trim());
    for (const variant of variants) result = result.split(variant).join('[redacted]');
  }
  result = result
    .replace(/(https?:\/\/[^\s?#"'<>]+)\?[^\s"'<>]*/g, '$1?[redacted]')
    .replace(secretField, '$1[redacted]')
    .replace(/\b[0-9a-fA-F]{32,}\b/g, '[redacted]')
    .replace(/[A-Za-z0-9+/=]{48,}/g, '[redacted]');
  return result.length > 600 ? `${result.slice(0, 600)}...` : result;
}
