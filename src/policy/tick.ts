/**
 * Tick-grid rounding that yields exact decimals: 931 ticks of 0.1 is 93.1, never
 * 93.10000000000001. Stops round away from the market (a long's stop down, a short's up), so
 * rounding never makes a stop cross the current price.
 */

/** Number of decimals of a tick size, exponent notation included (`1e-8` has 8). */
export function tickDecimals(tickSize: number): number {
  const text = String(tickSize);
  const exponentAt = text.indexOf('e-');
  if (exponentAt >= 0) {
    const mantissa = text.slice(0, exponentAt);
    const dot = mantissa.indexOf('.');
    return Number(text.slice(exponentAt + 2)) + (dot >= 0 ? mantissa.length - dot - 1 : 0);
  }
  const dot = text.indexOf('.');
  return dot >= 0 ? text.length - dot - 1 : 0;
}

// Tolerance for float error in value / tick (e.g. 93.1 / 0.1 = 930.9999999999999): absolute for
// small tick counts, relative beyond a million ticks, where one ulp of the quotient exceeds 1e-9
// (0.25607998 / 1e-8 is 25607997.999999996).
const gridEpsilon = 1e-9;
const relativeGridEpsilon = 1e-15;

/**
 * Rounds `value` to the grid of `tickSize` (whose decimals are `decimals`), down or up, and
 * returns the nearest exact decimal of that precision.
 */
export function roundToTick(value: number, tickSize: number, decimals: number, direction: 'down' | 'up'): number {
  const ticks = value / tickSize;
  const tolerance = Math.max(gridEpsilon, Math.abs(ticks) * relativeGridEpsilon);
  const whole = direction === 'down' ? Math.floor(ticks + tolerance) : Math.ceil(ticks - tolerance);
  return Number((whole * tickSize).toFixed(decimals));
}

/** True when `value` lies on the grid of `tickSize` exactly (as the exact decimal). */
export function isOnTick(value: number, tickSize: number, decimals: number): boolean {
  const whole = Math.round(value / tickSize);
  return Number((whole * tickSize).toFixed(decimals)) === value;
}

/**
 * Removes float dust from a price computed without a tick size: rounds to 12 significant digits,
 * so 3000 x 1.015 is 3045, not 3044.9999999999995. Exact for the nearest decimal (the division or
 * multiplication by an exact power of ten is correctly rounded).
 */
export function roundSignificant(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return value;
  const shift = 11 - Math.floor(Math.log10(value));
  if (shift >= 0) {
    const scale = 10 ** Math.min(shift, 22);
    return Math.round(value * scale) / scale;
  }
  const scale = 10 ** -shift;
  return Math.round(value / scale) * scale;
}
