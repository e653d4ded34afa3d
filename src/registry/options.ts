/**
 * Options of `TrailingStopRegistry`, their defaults, and their validation at construction
 * (TypeError for a wrong type or an unknown option, RangeError for a value out of range, naming
 * the option).
 */
import type { OrderPlacer } from '../ports/order-placer.js';
import type { StateStore } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { defaultTrailingParameters, type TrailingParameters } from '../policy/parameters.js';
import { validateTrailingParameters } from '../policy/resolve-parameters.js';
import { defaultRetryOptions, type ResolvedRetryOptions, type RetryOptions } from '../exchange/gateway.js';
import { resolveRateLimit, type RateLimit, type ResolvedRateLimit } from '../exchange/order-budget.js';
import { ValidationError } from '../errors.js';
import { describeValue } from '../domain/validation.js';
import { closestName } from '../domain/names.js';

export { closestName } from '../domain/names.js';

/** Options of `new TrailingStopRegistry(options)`. Trailing parameters set here are defaults for every stop. */
export interface TrailingStopRegistryOptions extends TrailingParameters {
  /** The exchange. Required. */
  readonly placer: OrderPlacer;
  /** Persistence. Default: a new `MemoryStateStore` (not durable). */
  readonly store?: StateStore;
  /** Most exchange calls at once, across all keys (p-limit). Default 10. */
  readonly concurrency?: number;
  /** Timeout of one exchange call, in ms; a timed-out call has an unknown outcome (I7). Default 10,000. */
  readonly timeoutMs?: number;
  /** Id of this registry, recorded in its claims. Default: `registry-` plus random characters. */
  readonly owner?: string;
  /** How long a pending claim stays this registry's before another may take it over, in ms. Default 60,000. */
  readonly leaseMs?: number;
  /** How often to look at another registry's pending claim while waiting for it, in ms. Default 100. */
  readonly claimPollMs?: number;
  /**
   * How long this registry trusts its memory of a stop without re-reading the record before acting
   * on it (a `create()` that would reuse it, a `remove()`), in ms: another registry may have removed
   * or replaced it. A store with `watch` keeps memory fresh and makes the re-read unnecessary until
   * a change arrives. Default 1,000; 0 re-reads every time.
   */
  readonly revalidateAfterMs?: number;
  /**
   * What to do when the venue reports the stop's order cancelled, expired or rejected, not by the
   * registry (a cancel by hand): `replace` places the stop again at once under a fresh client order
   * id; `release` removes the stop from the registry (event `removed`, reason `released`).
   * Default `replace`.
   */
  readonly onExternalCancel?: 'replace' | 'release';
  /**
   * How the registry confirms a trigger with the venue (exchange and native modes): after a price
   * crosses the stop it waits this long for an order update, then looks the order up (`findStop`),
   * again with a doubling wait up to 30 times this, until the venue says filled, or open with the
   * price back on the protected side. In ms; default 500.
   */
  readonly confirmTriggerMs?: number;
  /** Retries of exchange calls. Default `{ attempts: 4, baseDelayMs: 250, maxDelayMs: 5000 }`. */
  readonly retry?: RetryOptions;
  /** Prefix of client order ids (1-8 letters or digits), also used to recognise orphans. Default `tsr`. */
  readonly clientOrderIdPrefix?: string;
  /** Time source and timers. Default: the system clock. */
  readonly clock?: Clock;
  /** Diagnostics. Default: silent. */
  readonly logger?: Logger;
  /** Random numbers in [0, 1) for jitter and generated ids. Default `Math.random`. */
  readonly random?: () => number;
  /**
   * The account's request budget, across all keys: never more than `requests` venue requests
   * (placements, cancels, amends, lookups, listings, market closes; `weights` per operation,
   * default 1 each) in any window of `intervalMs`. When short, it is spent by risk: placing a stop
   * for a position that has none first, then correctness cancels, then moves (the most lagging
   * stop first), then lookups. Default: the placer's `capabilities.rateLimit` (the ccxt placer
   * declares Binance USDⓈ-M and Bybit limits), else none. See docs/rate-limits.md.
   *
   * @example
   * ```ts
   * new TrailingStopRegistry({ placer, rateLimit: { requests: 50, intervalMs: 1_000 } });
   * ```
   */
  readonly rateLimit?: RateLimit;
}

/** Options after defaults. */
export interface ResolvedRegistryOptions {
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly owner: string;
  readonly leaseMs: number;
  readonly claimPollMs: number;
  readonly revalidateAfterMs: number;
  readonly onExternalCancel: 'replace' | 'release';
  readonly confirmTriggerMs: number;
  readonly retry: ResolvedRetryOptions;
  readonly clientOrderIdPrefix: string;
  readonly defaults: TrailingParameters;
  /** The request budget: the option, else the placer's declared one, else none. */
  readonly rateLimit: ResolvedRateLimit | undefined;
}

const trailingDefaults: TrailingParameters = defaultTrailingParameters;

/** Validates `options` and fills in defaults. */
export function resolveRegistryOptions(options: TrailingStopRegistryOptions, random: () => number): ResolvedRegistryOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`);
  }
  refuseUnknownNames(options, optionNames);
  const placer = options.placer as unknown;
  if (
    typeof placer !== 'object' ||
    placer === null ||
    typeof (placer as OrderPlacer).placeStop !== 'function' ||
    typeof (placer as OrderPlacer).cancelStop !== 'function'
  ) {
    throw new TypeError('Expected `placer` to be an OrderPlacer with `placeStop` and `cancelStop` methods');
  }
  const store = options.store as unknown;
  if (store !== undefined) {
    const methods = ['load', 'list', 'insert', 'compareAndSet', 'delete', 'close'] as const;
    const missing = methods.filter((name) => typeof (store as Record<string, unknown>)?.[name] !== 'function');
    if (missing.length > 0) throw new TypeError(`Expected \`store\` to be a StateStore; missing ${missing.join(', ')}`);
  }
  const concurrency = integerOption('concurrency', options.concurrency, 10, 1);
  const timeoutMs = integerOption('timeoutMs', options.timeoutMs, 10_000, 1);
  const leaseMs = integerOption('leaseMs', options.leaseMs, 60_000, 1);
  const claimPollMs = integerOption('claimPollMs', options.claimPollMs, 100, 1);
  const revalidateAfterMs = integerOption('revalidateAfterMs', options.revalidateAfterMs, 1_000, 0);
  const onExternalCancel = options.onExternalCancel ?? 'replace';
  if (onExternalCancel !== 'replace' && onExternalCancel !== 'release') {
    throw new TypeError(`Expected \`onExternalCancel\` to be 'replace' or 'release', got ${describeValue(onExternalCancel)}`);
  }
  const confirmTriggerMs = integerOption('confirmTriggerMs', options.confirmTriggerMs, 500, 1);
  const retryInput = options.retry ?? {};
  if (typeof retryInput !== 'object' || retryInput === null) {
    throw new TypeError(`Expected \`retry\` to be an object, got ${describeValue(retryInput)}`);
  }
  refuseUnknownNames(retryInput, retryOptionNames, 'retry.');
  const retry: ResolvedRetryOptions = {
    attempts: integerOption('retry.attempts', retryInput.attempts, defaultRetryOptions.attempts, 1),
    baseDelayMs: integerOption('retry.baseDelayMs', retryInput.baseDelayMs, defaultRetryOptions.baseDelayMs, 0),
    maxDelayMs: integerOption('retry.maxDelayMs', retryInput.maxDelayMs, defaultRetryOptions.maxDelayMs, 0),
  };
  const prefix = options.clientOrderIdPrefix ?? 'tsr';
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9]{1,8}$/.test(prefix)) {
    throw new TypeError(`Expected \`clientOrderIdPrefix\` to be 1-8 letters or digits, got ${describeValue(prefix)}`);
  }
  const owner = options.owner ?? `registry-${Math.floor(random() * 36 ** 8).toString(36).padStart(8, '0')}`;
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > 128) {
    throw new TypeError(`Expected \`owner\` to be a non-empty string of at most 128 characters, got ${describeValue(owner)}`);
  }
  for (const name of ['clock', 'logger'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'object' || value === null)) {
      throw new TypeError(`Expected \`${name}\` to be an object, got ${describeValue(value)}`);
    }
  }
  if (options.random !== undefined && typeof options.random !== 'function') {
    throw new TypeError(`Expected \`random\` to be a function, got ${describeValue(options.random)}`);
  }
  const own: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && name in fullTrailingTemplate) own[name] = value;
  }
  try {
    validateTrailingParameters(own as TrailingParameters);
  } catch (error) {
    if (error instanceof ValidationError) throw new RangeError(error.message);
    throw error;
  }
  // A registry-level distance or activation replaces the library's, whole.
  const defaults: TrailingParameters = { ...trailingDefaults, ...withoutReplacedDefaults(own) };
  const declared = (placer as OrderPlacer).capabilities?.rateLimit;
  const rateLimit =
    options.rateLimit !== undefined
      ? resolveRateLimit(options.rateLimit, 'rateLimit')
      : declared !== undefined
        ? resolveRateLimit(declared, 'placer.capabilities.rateLimit')
        : undefined;
  return { rateLimit, concurrency, timeoutMs, owner, leaseMs, claimPollMs, revalidateAfterMs, onExternalCancel, confirmTriggerMs, retry, clientOrderIdPrefix: prefix, defaults };
}

// Every trailing parameter name, to pick them out of the options object.
const fullTrailingTemplate: Record<keyof TrailingParameters, true> = {
  activationPercent: true,
  activationPrice: true,
  callbackPercent: true,
  callbackAmount: true,
  callbackTicks: true,
  atr: true,
  atrMultiplier: true,
  steps: true,
  breakevenAtPercent: true,
  breakevenOffsetPercent: true,
  mode: true,
  minUpdateIntervalMs: true,
  minImprovementPercent: true,
  emergencyImprovementPercent: true,
  closeOnGap: true,
};

// Every option name: a `Record` over the interface's keys, so adding an option without listing it
// here fails to compile (and an unlisted option would be refused at run time).
const optionTemplate: Record<keyof TrailingStopRegistryOptions, true> = {
  ...fullTrailingTemplate,
  placer: true,
  store: true,
  concurrency: true,
  timeoutMs: true,
  owner: true,
  leaseMs: true,
  claimPollMs: true,
  revalidateAfterMs: true,
  onExternalCancel: true,
  confirmTriggerMs: true,
  retry: true,
  clientOrderIdPrefix: true,
  clock: true,
  logger: true,
  random: true,
  rateLimit: true,
};
const optionNames: readonly string[] = Object.keys(optionTemplate);
const retryTemplate: Record<keyof RetryOptions, true> = { attempts: true, baseDelayMs: true, maxDelayMs: true };
const retryOptionNames: readonly string[] = Object.keys(retryTemplate);

/**
 * Throws a TypeError naming every own key of `input` that is not in `known`, with the closest
 * known name for each when one is near: a typo such as `callbakPercent` must not silently fall back
 * to the default. `path` prefixes nested names (`retry.`).
 */
function refuseUnknownNames(input: object, known: readonly string[], path = ''): void {
  const unknown = Object.keys(input).filter((name) => !known.includes(name));
  if (unknown.length === 0) return;
  const described = unknown.map((name) => {
    const closest = closestName(name, known);
    return closest === undefined ? `\`${path}${name}\`` : `\`${path}${name}\` (did you mean \`${path}${closest}\`?)`;
  });
  const noun = unknown.length === 1 ? 'Unknown option' : 'Unknown options';
  throw new TypeError(`${noun} ${described.join(', ')} for TrailingStopRegistry`);
}



function withoutReplacedDefaults(own: Record<string, unknown>): Record<string, unknown> {
  const result = { ...own };
  const setsDistance = ['callbackAmount', 'callbackTicks', 'atr', 'steps'].some((name) => own[name] !== undefined);
  if (setsDistance) result.callbackPercent = undefined;
  if (own.activationPrice !== undefined) result.activationPercent = undefined;
  return result;
}

function integerOption(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`Expected \`${name}\` to be a number, got ${describeValue(value)}`);
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`Expected \`${name}\` to be an integer >= ${min}, got ${describeValue(value)}`);
  }
  return value;
}
