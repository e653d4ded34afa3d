/**
 * freqtrade's number handling, where it decides a stop: percentages as the decimal ratios a config
 * holds, profit ratios rounded to 8 decimals, and stop prices on a tick grid. Exactness matters:
 * a profit exactly at `trailing_stop_positive_offset` and a stop exactly at a candle's low are
 * rules of their own.
 */

/**
 * `percent` / 100 as the double nearest to the decimal ratio (1.1 -> 0.011, as a config's
 * `0.011` parses), not the float quotient, which may be one unit in the last place off.
 */
export function ratioFromPercent(percent: number): number {
  // String() gives the shortest decimal that reads back as `percent`; shift its exponent by two.
  const [mantissa, exponent = '0'] = String(percent).split('e');
  return Number(`${mantissa}e${Number(exponent) - 2}`);
}

/**
 * A profit ratio rounded to 8 decimals as freqtrade's `calc_profit_ratio` does
 * (`float(f"{ratio:.8f}")`): correctly rounded, an exact tie to even. `toFixed` is correctly
 * rounded too but breaks a tie away from zero; a tie at the 8th decimal is exactly a ratio whose
 * double is an odd multiple of 2^-9 (0.001953125).
 */
export function roundProfitRatio(ratio: number): number {
  const halves = ratio * 512;
  if (Number.isInteger(halves) && halves % 2 !== 0) {
    // Exact: ratio x 1e8 is an odd multiple of 195312.5, well within 2^53 for any ratio a price gives.
    const lower = Math.floor(ratio * 1e8);
    return (lower % 2 === 0 ? lower : lower + 1) / 1e8;
  }
  return Number(ratio.toFixed(8));
}

/** A positive decimal as an integer count of 10^-scale units. */
interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/** The shortest decimal that reads back as `value` (what Python's `str(float)` gives too). */
function decimalOf(value: number): Decimal {
  const [mantissa = '', exponentText] = String(value).split('e');
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const scale = (dot < 0 ? 0 : mantissa.length - dot - 1) - exponent;
  if (scale >= 0) return { units: BigInt(digits), scale };
  return { units: BigInt(digits) * 10n ** BigInt(-scale), scale: 0 };
}

function decimalText({ units, scale }: Decimal): string {
  if (scale === 0) return units.toString();
  const digits = units.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/**
 * A stop price on the grid of `tickSize` as freqtrade's `price_to_precision` puts it in TICK_SIZE
 * mode: exact decimal arithmetic on the shortest decimals of both, a long's stop rounded UP (towards
 * the market) and a short's DOWN, a price already on the grid unchanged, then 14 decimals.
 */
export function stopOnTickGrid(price: number, tickSize: number, direction: 1 | -1): number {
  const value = decimalOf(price);
  const tick = decimalOf(tickSize);
  const scale = Math.max(value.scale, tick.scale);
  const valueUnits = value.units * 10n ** BigInt(scale - value.scale);
  const tickUnits = tick.units * 10n ** BigInt(scale - tick.scale);
  const missing = valueUnits % tickUnits;
  if (missing === 0n) return price;
  const units = valueUnits - missing + (direction === 1 ? tickUnits : 0n);
  // freqtrade's round(x, 14): a no-op for a grid of at most 14 decimals.
  return Number(Number(decimalText({ units, scale })).toFixed(14));
}
