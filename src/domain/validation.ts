/**
 * Input checks shared by the registry, the policy and the adapters. Messages name the field and
 * show the value with its type, as p-limit does: ``Expected `callbackPercent` to be a finite
 * number in (0, 100), got `NaN` (number)``.
 */

/** Renders a value for an error message: `NaN` (number), `"abc"` (string). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `\`${JSON.stringify(value)}\` (string)`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `\`${String(value)}\` (${typeof value})`;
  }
  if (value === null) return '`null`';
  if (value === undefined) return '`undefined`';
  return `a value of type ${Array.isArray(value) ? 'array' : typeof value}`;
}

/** Bounds for {@link checkNumber}; an interval such as `(0, 100)` or `[0, +inf)`. */
export interface NumberBounds {
  /** Lower bound. */
  readonly min?: number;
  /** True when `min` itself is not allowed. */
  readonly minExclusive?: boolean;
  /** Upper bound. */
  readonly max?: number;
  /** True when `max` itself is not allowed. */
  readonly maxExclusive?: boolean;
  /** Require an integer. */
  readonly integer?: boolean;
}

/**
 * Returns an error message when `value` is not a finite number within `bounds`, else `undefined`.
 * The caller decides which error class to throw.
 */
export function checkNumber(field: string, value: unknown, bounds: NumberBounds = {}): string | undefined {
  const interval = describeBounds(bounds);
  const expected = `Expected \`${field}\` to be a finite ${bounds.integer ? 'integer' : 'number'}${interval}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${expected}, got ${describeValue(value)}`;
  if (bounds.integer && !Number.isInteger(value)) return `${expected}, got ${describeValue(value)}`;
  const { min, max } = bounds;
  if (min !== undefined && (bounds.minExclusive ? value <= min : value < min)) return `${expected}, got ${describeValue(value)}`;
  if (max !== undefined && (bounds.maxExclusive ? value >= max : value > max)) return `${expected}, got ${describeValue(value)}`;
  return undefined;
}

function describeBounds(bounds: NumberBounds): string {
  if (bounds.min === undefined && bounds.max === undefined) return '';
  const open = bounds.min === undefined ? '(-inf' : `${bounds.minExclusive ? '(' : '['}${bounds.min}`;
  const close = bounds.max === undefined ? '+inf)' : `${bounds.max}${bounds.maxExclusive ? ')' : ']'}`;
  return ` in ${open}, ${close}`;
}

/** Positive, finite: prices and quantities. */
export const positive: NumberBounds = { min: 0, minExclusive: true };
/** Non-negative, finite. */
export const nonNegative: NumberBounds = { min: 0 };
/** A percentage strictly between 0 and 100. */
export const percentOpen: NumberBounds = { min: 0, minExclusive: true, max: 100, maxExclusive: true };
