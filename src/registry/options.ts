/**
 * Options of `TrailingStopRegistry`, their defaults, and their validation at construction
 * (TypeError for a wrong type, RangeError for a value out of range, naming the option).
 */
import type { OrderPlacer } from '../ports/order-placer.js';
import type { StateStore } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { defaultTrailingParameters, type TrailingParameters } from '../policy/parameters.js';
import { validateTrailingParameters } from '../policy/resolve-parameters.js';
import { defaultRetryOptions, type ResolvedRetryOptions, type RetryOptions } from '../exchange/gateway.js';
import { ValidationError } from '../errors.js';
import { describeValue } from '../domain/validation.js';

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
}

/** Options after defaults. */
export interface ResolvedRegistryOptions {
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly owner: string;
  readonly leaseMs: number;
  readonly claimPollMs: number;
  readonly retry: ResolvedRetryOptions;
  readonly clientOrderIdPrefix: string;
  readonly defaults: TrailingParameters;
}

const trailingDefaults: TrailingParameters = defaultTrailingParameters;

/** Validates `options` and fills in defaults. */
export function resolveRegistryOptions(options: TrailingStopRegistryOptions, random: () => number): ResolvedRegistryOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected \`options\` to be an object, got ${describeValue(options)}`);
  }
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
  const retryInput = options.retry ?? {};
  if (typeof retryInput !== 'object' || retryInput === null) {
    throw new TypeError(`Expected \`retry\` to be an object, got ${describeValue(retryInput)}`);
  }
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
  return { concurrency, timeoutMs, owner, leaseMs, claimPollMs, retry, clientOrderIdPrefix: prefix, defaults };
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
