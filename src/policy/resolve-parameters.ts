/**
 * Validation of trailing parameters (I8): everything a caller or a registry sets is checked here,
 * before any I/O, and resolved into the complete {@link ResolvedTrailingParameters}.
 */
import { ValidationError } from '../errors.js';
import type { PositionSide } from '../domain/position.js';
import { checkNumber, nonNegative, percentOpen, positive, describeValue } from '../domain/validation.js';
import { roundSignificant } from './tick.js';
import {
  defaultTrailingParameters,
  type DistanceKind,
  type ProfitStep,
  type ResolvedTrailingParameters,
  type StopMode,
  type TrailingParameters,
} from './parameters.js';

/** Every field of {@link TrailingParameters}, for unknown-field checks. */
export const trailingParameterNames: readonly (keyof TrailingParameters)[] = [
  'activationPercent',
  'activationPrice',
  'callbackPercent',
  'callbackAmount',
  'callbackTicks',
  'atr',
  'atrMultiplier',
  'steps',
  'breakevenAtPercent',
  'breakevenOffsetPercent',
  'mode',
  'minUpdateIntervalMs',
  'minImprovementPercent',
  'emergencyImprovementPercent',
  'closeOnGap',
];

const distanceNames = ['callbackPercent', 'callbackAmount', 'callbackTicks', 'atr', 'steps'] as const;
const modes: readonly StopMode[] = ['exchange', 'emulated', 'native'];

/** Throws a {@link ValidationError} for `field` when `message` is defined. */
function fail(field: string, message: string | undefined): void {
  if (message !== undefined) throw new ValidationError(field, message);
}

/**
 * Validates one set of parameters on its own (types, ranges, at most one distance and one
 * activation). Used for registry defaults and for each stop.
 */
export function validateTrailingParameters(parameters: TrailingParameters, prefix = ''): void {
  const field = (name: string) => `${prefix}${name}`;
  const p = parameters;
  if (p.activationPercent !== undefined) fail(field('activationPercent'), checkNumber(field('activationPercent'), p.activationPercent, nonNegative));
  if (p.activationPrice !== undefined) fail(field('activationPrice'), checkNumber(field('activationPrice'), p.activationPrice, positive));
  if (p.activationPercent !== undefined && p.activationPrice !== undefined) {
    fail(field('activationPrice'), 'Set at most one of `activationPercent` and `activationPrice`');
  }
  const distances = distanceNames.filter((name) => p[name] !== undefined);
  if (distances.length > 1) {
    fail(field(distances[1]!), `Set at most one trailing distance, got ${distances.map((name) => `\`${name}\``).join(' and ')}`);
  }
  if (p.callbackPercent !== undefined) fail(field('callbackPercent'), checkNumber(field('callbackPercent'), p.callbackPercent, percentOpen));
  if (p.callbackAmount !== undefined) fail(field('callbackAmount'), checkNumber(field('callbackAmount'), p.callbackAmount, positive));
  if (p.callbackTicks !== undefined) {
    fail(field('callbackTicks'), checkNumber(field('callbackTicks'), p.callbackTicks, { ...positive, integer: true }));
  }
  if (p.atr !== undefined) fail(field('atr'), checkNumber(field('atr'), p.atr, positive));
  if (p.atrMultiplier !== undefined) fail(field('atrMultiplier'), checkNumber(field('atrMultiplier'), p.atrMultiplier, positive));
  if (p.steps !== undefined) validateSteps(p.steps, field('steps'));
  if (p.breakevenAtPercent !== undefined) {
    fail(field('breakevenAtPercent'), checkNumber(field('breakevenAtPercent'), p.breakevenAtPercent, positive));
  }
  if (p.breakevenOffsetPercent !== undefined) {
    fail(field('breakevenOffsetPercent'), checkNumber(field('breakevenOffsetPercent'), p.breakevenOffsetPercent, nonNegative));
  }
  if (p.mode !== undefined && !modes.includes(p.mode)) {
    fail(field('mode'), `Expected \`mode\` to be one of ${modes.map((mode) => `'${mode}'`).join(', ')}, got ${describeValue(p.mode)}`);
  }
  if (p.minUpdateIntervalMs !== undefined) {
    fail(field('minUpdateIntervalMs'), checkNumber(field('minUpdateIntervalMs'), p.minUpdateIntervalMs, nonNegative));
  }
  if (p.minImprovementPercent !== undefined) {
    fail(field('minImprovementPercent'), checkNumber(field('minImprovementPercent'), p.minImprovementPercent, { min: 0, max: 100, maxExclusive: true }));
  }
  if (p.emergencyImprovementPercent !== undefined) {
    fail(field('emergencyImprovementPercent'), checkNumber(field('emergencyImprovementPercent'), p.emergencyImprovementPercent, percentOpen));
  }
  if (p.closeOnGap !== undefined && typeof p.closeOnGap !== 'boolean') {
    fail(field('closeOnGap'), `Expected \`closeOnGap\` to be a boolean, got ${describeValue(p.closeOnGap)}`);
  }
}

function validateSteps(steps: unknown, field: string): void {
  if (!Array.isArray(steps) || steps.length === 0) {
    fail(field, `Expected \`${field}\` to be a non-empty array of { profitPercent, callbackPercent }, got ${describeValue(steps)}`);
  }
  let previous: ProfitStep | undefined;
  (steps as unknown[]).forEach((step, index) => {
    const at = `${field}[${index}]`;
    if (typeof step !== 'object' || step === null) fail(at, `Expected \`${at}\` to be an object, got ${describeValue(step)}`);
    const { profitPercent, callbackPercent } = step as ProfitStep;
    fail(`${at}.profitPercent`, checkNumber(`${at}.profitPercent`, profitPercent, positive));
    fail(`${at}.callbackPercent`, checkNumber(`${at}.callbackPercent`, callbackPercent, percentOpen));
    if (previous !== undefined && profitPercent <= previous.profitPercent) {
      fail(`${at}.profitPercent`, `Tiers must be in ascending \`profitPercent\`: ${profitPercent} follows ${previous.profitPercent}`);
    }
    if (previous !== undefined && callbackPercent > previous.callbackPercent) {
      fail(`${at}.callbackPercent`, `Tiers must not widen: \`callbackPercent\` ${callbackPercent} follows ${previous.callbackPercent}`);
    }
    previous = { profitPercent, callbackPercent };
  });
}

/**
 * The activation price of a fixed stop (`trailing: false`): one no price reaches, and finite, so a
 * stored record keeps it through JSON. A long activates at or above it, a short at or below it.
 */
export function fixedStopActivationPrice(side: PositionSide): number {
  return side === 'long' ? Number.MAX_VALUE : Number.MIN_VALUE;
}

/** True when `parameters` describe a fixed stop (resolved from `trailing: false`). */
export function isFixedStop(side: PositionSide, parameters: ResolvedTrailingParameters): boolean {
  return parameters.activationPrice === fixedStopActivationPrice(side);
}

/**
 * Merges a stop's parameters over the registry's defaults and resolves them for a position.
 * Both sets must have passed {@link validateTrailingParameters}. With `position.trailing` false
 * (a fixed stop, whose spec holds no activation or distance), the activation price is
 * {@link fixedStopActivationPrice}, a default distance that cannot resolve (ticks without a tick
 * size) falls back to the library's, and a default mode `'native'` becomes `'exchange'`.
 */
export function resolveTrailingParameters(
  own: TrailingParameters,
  defaults: TrailingParameters,
  position: { side: PositionSide; entryPrice: number; tickSize: number | undefined; trailing?: boolean },
): ResolvedTrailingParameters {
  const trailing = position.trailing !== false;
  const ownsDistance = distanceNames.some((name) => own[name] !== undefined);
  const distanceSource = ownsDistance ? own : defaults;
  const ownsActivation = own.activationPercent !== undefined || own.activationPrice !== undefined;
  const activationSource = ownsActivation ? own : defaults;
  const pick = <K extends keyof TrailingParameters>(name: K) => own[name] ?? defaults[name];

  const direction = position.side === 'long' ? 1 : -1;
  let activationPrice: number;
  if (!trailing) {
    activationPrice = fixedStopActivationPrice(position.side);
  } else if (activationSource.activationPrice !== undefined) {
    activationPrice = activationSource.activationPrice;
  } else {
    const percent = activationSource.activationPercent ?? defaultTrailingParameters.activationPercent;
    if (direction === -1 && percent >= 100) {
      throw new ValidationError('activationPercent', `A short's \`activationPercent\` must be below 100, got \`${percent}\``);
    }
    // Rounded to 12 significant digits: entry 0.07 at 1 % activates at 0.0707, not 0.07070000000000001.
    activationPrice = roundSignificant(position.entryPrice * (1 + (direction * percent) / 100));
  }

  let distanceKind: DistanceKind = 'percent';
  let distanceValue: number = defaultTrailingParameters.callbackPercent;
  let steps: readonly ProfitStep[] = [];
  if (distanceSource.callbackPercent !== undefined) {
    distanceValue = distanceSource.callbackPercent;
  } else if (distanceSource.callbackAmount !== undefined) {
    distanceKind = 'amount';
    distanceValue = distanceSource.callbackAmount;
  } else if (distanceSource.callbackTicks !== undefined && (trailing || position.tickSize !== undefined)) {
    distanceKind = 'ticks';
    distanceValue = distanceSource.callbackTicks;
    if (position.tickSize === undefined) {
      throw new ValidationError('callbackTicks', '`callbackTicks` needs `tickSize`');
    }
  } else if (distanceSource.atr !== undefined) {
    distanceKind = 'atr';
    distanceValue = distanceSource.atr;
  } else if (distanceSource.steps !== undefined) {
    distanceKind = 'steps';
    steps = distanceSource.steps.map((step) => ({ profitPercent: step.profitPercent, callbackPercent: step.callbackPercent }));
    distanceValue = steps[0]!.callbackPercent;
  }

  const breakevenAtPercent = pick('breakevenAtPercent') ?? null;
  const breakevenOffsetPercent = pick('breakevenOffsetPercent') ?? defaultTrailingParameters.breakevenOffsetPercent;
  if (breakevenAtPercent !== null && breakevenOffsetPercent >= breakevenAtPercent) {
    throw new ValidationError(
      'breakevenOffsetPercent',
      `\`breakevenOffsetPercent\` (${breakevenOffsetPercent}) must be below \`breakevenAtPercent\` (${breakevenAtPercent}), or the breakeven stop would sit above the price`,
    );
  }
  return {
    activationPrice,
    distanceKind,
    distanceValue,
    atrMultiplier: pick('atrMultiplier') ?? defaultTrailingParameters.atrMultiplier,
    steps,
    breakevenAtPercent,
    breakevenOffsetPercent,
    tickSize: position.tickSize ?? null,
    mode: resolveMode(own.mode, defaults.mode, trailing),
    minUpdateIntervalMs: pick('minUpdateIntervalMs') ?? defaultTrailingParameters.minUpdateIntervalMs,
    minImprovementPercent: pick('minImprovementPercent') ?? defaultTrailingParameters.minImprovementPercent,
    emergencyImprovementPercent: pick('emergencyImprovementPercent') ?? defaultTrailingParameters.emergencyImprovementPercent,
    closeOnGap: pick('closeOnGap') ?? defaultTrailingParameters.closeOnGap,
  };
}

/** The stop's own mode, else the default one; a fixed stop cannot trail natively, so it takes 'exchange' then. */
function resolveMode(own: StopMode | undefined, fallback: StopMode | undefined, trailing: boolean): StopMode {
  if (own !== undefined) return own;
  if (fallback === 'native' && !trailing) return 'exchange';
  return fallback ?? defaultTrailingParameters.mode;
}
