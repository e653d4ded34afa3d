/**
 * What `registry.create()` accepts, and its validation (I8): every field is checked before any
 * I/O, unknown fields are refused (a typo must not silently fall back to a default), and the
 * result carries resolved parameters.
 */
import { ValidationError } from '../errors.js';
import type { PositionSide } from '../domain/position.js';
import type { ResolvedTrailingParameters, TrailingParameters } from './parameters.js';
import {
  resolveTrailingParameters,
  trailingParameterNames,
  validateTrailingParameters,
} from './resolve-parameters.js';
import { checkNumber, describeValue, percentOpen, positive } from '../domain/validation.js';

/** Describes one position to protect. Trailing parameters left out come from the registry. */
export interface CreateStopSpec extends TrailingParameters {
  /** Venue symbol, e.g. `BTC/USDT:USDT`. */
  readonly symbol: string;
  /** Position side. */
  readonly side: PositionSide;
  /** Entry price (> 0). */
  readonly entryPrice: number;
  /** Position size (> 0). */
  readonly quantity: number;
  /** Registry key; default the symbol. Use e.g. `BTCUSDT:long` in hedge mode. */
  readonly key?: string;
  /**
   * Identity of the position. A different `positionId` for a key that has a stop starts a fresh
   * stop (the old one is removed first); without one, the registry generates one per opening.
   */
  readonly positionId?: string;
  /** Initial protective stop price (below entry for a long, above for a short). */
  readonly initialStopPrice?: number;
  /** Initial protective stop as a percentage of entry, instead of `initialStopPrice`. */
  readonly stopLossPercent?: number;
  /** Price grid of the market; stops are aligned to it. */
  readonly tickSize?: number;
  /**
   * `false` makes a fixed stop: the initial stop never trails (breakeven, if set, still moves it
   * once). Needs `initialStopPrice` or `stopLossPercent`; takes no activation or distance of its
   * own (a registry default is ignored), and no mode `'native'` (a registry default of `'native'`
   * becomes `'exchange'`). Default `true`.
   *
   * Resolved as an activation price no price reaches (`Number.MAX_VALUE` for a long,
   * `Number.MIN_VALUE` for a short), so a stored fixed stop needs no field of its own.
   */
  readonly trailing?: boolean;
}

/** A spec after validation. */
export interface ValidatedSpec {
  readonly key: string;
  readonly symbol: string;
  readonly side: PositionSide;
  readonly entryPrice: number;
  readonly quantity: number;
  readonly positionId: string | undefined;
  readonly initialStopPrice: number | undefined;
  readonly parameters: ResolvedTrailingParameters;
}

const specNames = new Set<string>([
  'symbol',
  'side',
  'entryPrice',
  'quantity',
  'key',
  'positionId',
  'initialStopPrice',
  'stopLossPercent',
  'tickSize',
  'trailing',
  ...trailingParameterNames,
]);

/** The parameters that only a trailing stop reads: a fixed stop (`trailing: false`) refuses them. */
const trailingOnlyNames = [
  'activationPercent',
  'activationPrice',
  'callbackPercent',
  'callbackAmount',
  'callbackTicks',
  'atr',
  'atrMultiplier',
  'steps',
] as const satisfies readonly (keyof TrailingParameters)[];

/** Longest key, symbol or position id accepted. */
export const maxIdentifierLength = 128;

/**
 * Validates `spec` against the registry's defaults; throws {@link ValidationError}. Pure: what the
 * placer supports is checked by the exchange layer (`fitSpecToPlacer`).
 */
export function validateCreateSpec(spec: unknown, defaults: TrailingParameters): ValidatedSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new ValidationError('spec', `Expected the spec to be an object, got ${describeValue(spec)}`);
  }
  const input = spec as CreateStopSpec;
  for (const name of Object.keys(input)) {
    if (!specNames.has(name)) throw new ValidationError(name, `Unknown field \`${name}\` in the spec`);
  }
  const symbol = checkIdentifier('symbol', input.symbol);
  const key = input.key === undefined ? symbol : checkIdentifier('key', input.key);
  const positionId = input.positionId === undefined ? undefined : checkIdentifier('positionId', input.positionId);
  if (input.side !== 'long' && input.side !== 'short') {
    throw new ValidationError('side', `Expected \`side\` to be 'long' or 'short', got ${describeValue(input.side)}`, { key });
  }
  fail('entryPrice', checkNumber('entryPrice', input.entryPrice, positive), key);
  fail('quantity', checkNumber('quantity', input.quantity, positive), key);
  if (input.tickSize !== undefined) fail('tickSize', checkNumber('tickSize', input.tickSize, positive), key);
  const direction = input.side === 'long' ? 1 : -1;
  let initialStopPrice: number | undefined;
  if (input.initialStopPrice !== undefined && input.stopLossPercent !== undefined) {
    throw new ValidationError('stopLossPercent', 'Set at most one of `initialStopPrice` and `stopLossPercent`', { key });
  }
  if (input.initialStopPrice !== undefined) {
    fail('initialStopPrice', checkNumber('initialStopPrice', input.initialStopPrice, positive), key);
    if (direction * (input.entryPrice - input.initialStopPrice) <= 0) {
      throw new ValidationError(
        'initialStopPrice',
        `A ${input.side}'s \`initialStopPrice\` must be ${direction === 1 ? 'below' : 'above'} \`entryPrice\` (${input.entryPrice}), got \`${input.initialStopPrice}\``,
        { key },
      );
    }
    initialStopPrice = input.initialStopPrice;
  } else if (input.stopLossPercent !== undefined) {
    fail('stopLossPercent', checkNumber('stopLossPercent', input.stopLossPercent, percentOpen), key);
    initialStopPrice = input.entryPrice * (1 - (direction * input.stopLossPercent) / 100);
  }
  try {
    validateTrailingParameters(input);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(error.field, error.message, { key });
    throw error;
  }
  const trailing = checkTrailing(input, initialStopPrice, key);
  const parameters = resolveTrailingParameters(input, defaults, {
    side: input.side,
    entryPrice: input.entryPrice,
    tickSize: input.tickSize,
    trailing,
  });
  return { key, symbol, side: input.side, entryPrice: input.entryPrice, quantity: input.quantity, positionId, initialStopPrice, parameters };
}

/** Checks `trailing` and what a fixed stop needs; returns whether the stop trails. */
function checkTrailing(input: CreateStopSpec, initialStopPrice: number | undefined, key: string): boolean {
  if (input.trailing === undefined || input.trailing === true) return true;
  if (input.trailing !== false) {
    throw new ValidationError('trailing', `Expected \`trailing\` to be a boolean, got ${describeValue(input.trailing)}`, { key });
  }
  if (initialStopPrice === undefined) {
    throw new ValidationError('trailing', 'A fixed stop (`trailing: false`) needs `initialStopPrice` or `stopLossPercent`', { key });
  }
  const conflicting = trailingOnlyNames.find((name) => input[name] !== undefined);
  if (conflicting !== undefined) {
    throw new ValidationError(conflicting, `\`${conflicting}\` has no effect on a fixed stop (\`trailing: false\`): remove it, or let the stop trail`, { key });
  }
  if (input.mode === 'native') {
    throw new ValidationError('mode', "Mode 'native' trails on the venue; a fixed stop (`trailing: false`) takes mode 'exchange' or 'emulated'", { key });
  }
  return false;
}

function checkIdentifier(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > maxIdentifierLength) {
    throw new ValidationError(
      field,
      `Expected \`${field}\` to be a non-empty string of at most ${maxIdentifierLength} characters, got ${describeValue(value)}`,
    );
  }
  return value;
}

function fail(field: string, message: string | undefined, key: string): void {
  if (message !== undefined) throw new ValidationError(field, message, { key });
}
