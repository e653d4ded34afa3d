/**
 * The trailing policy: prices in, decisions out. Pure (no I/O, no timers) and allocation-free:
 * {@link advancePolicy} mutates a small numeric state and returns bit flags, so the registry can
 * run it on every websocket tick.
 *
 * Long: the stop trails the peak from below (peak x (1 - d)) and triggers when price <= stop.
 * Short: it trails the trough from above (trough x (1 + d)) and triggers when price >= stop.
 * The stop only ever tightens (I5).
 */
import type { ResolvedTrailingParameters } from './parameters.js';
import type { PositionSide } from '../domain/position.js';
import { roundSignificant, roundToTick, tickDecimals } from './tick.js';

/** The stop moved (tightened). */
export const STOP_MOVED = 1;
/** The activation price was reached on this price. */
export const ACTIVATED = 2;
/** The price crossed the stop. */
export const TRIGGERED = 4;
/** Profit reached `breakevenAtPercent`; the stop moved to entry (plus offset) if that tightened it. */
export const BREAKEVEN = 8;

/**
 * Float tolerance, in percent, when a profit is compared with a threshold: 0.0707 over an entry
 * of 0.07 is 1 %, although the division gives 0.99999999999999.
 */
const profitTolerancePercent = 1e-9;

/** Profit of `price` over `entryPrice` in percent, for a position of `direction` (1 long, -1 short). */
export function profitPercentOf(direction: 1 | -1, entryPrice: number, price: number): number {
  return ((direction * (price - entryPrice)) / entryPrice) * 100;
}

/** True when `profitPercent` reached `thresholdPercent`, up to float rounding. */
export function hasReachedProfit(profitPercent: number, thresholdPercent: number): boolean {
  return profitPercent + profitTolerancePercent >= thresholdPercent;
}

/** Mutable state of one stop's policy. Plain numbers, so updates allocate nothing. */
export interface PolicyState {
  /** 1 for a long, -1 for a short. */
  direction: 1 | -1;
  /** Position entry price. */
  entryPrice: number;
  /** Best price since creation (peak for a long, trough for a short); NaN before the first price. */
  bestPrice: number;
  /** Current stop price; NaN while there is none. */
  stopPrice: number;
  /** True once the activation price was reached. */
  activated: boolean;
  /** Index of the profit tier reached (steps), -1 for none. */
  tierIndex: number;
  /** True once breakeven was applied. */
  breakevenReached: boolean;
  /** True once the price crossed the stop; the state then never changes again. */
  triggered: boolean;
  /** Current ATR for `atr` distances (updatable). */
  atr: number;
  /** Decimals of the tick size (derived once). */
  tickDecimals: number;
}

/**
 * Creates the policy state of a new position. `initialStopPrice` (already validated) protects
 * until trailing or breakeven tightens it.
 */
export function createPolicyState(
  side: PositionSide,
  entryPrice: number,
  parameters: ResolvedTrailingParameters,
  initialStopPrice?: number,
): PolicyState {
  const decimals = parameters.tickSize === null ? 0 : tickDecimals(parameters.tickSize);
  const direction = side === 'long' ? 1 : -1;
  let stopPrice = initialStopPrice ?? Number.NaN;
  if (initialStopPrice !== undefined) {
    stopPrice =
      parameters.tickSize === null
        ? roundSignificant(initialStopPrice)
        : roundToTick(initialStopPrice, parameters.tickSize, decimals, direction === 1 ? 'down' : 'up');
  }
  return {
    direction,
    entryPrice,
    bestPrice: Number.NaN,
    stopPrice,
    activated: false,
    tierIndex: -1,
    breakevenReached: false,
    triggered: false,
    atr: parameters.distanceKind === 'atr' ? parameters.distanceValue : Number.NaN,
    tickDecimals: decimals,
  };
}

/**
 * Feeds one price to the policy. Returns a combination of {@link STOP_MOVED}, {@link ACTIVATED},
 * {@link BREAKEVEN} and {@link TRIGGERED}; 0 when nothing changed. After a trigger the state is
 * frozen and every later call returns 0.
 */
export function advancePolicy(state: PolicyState, parameters: ResolvedTrailingParameters, price: number): number {
  if (state.triggered) return 0;
  const direction = state.direction;
  let flags = 0;
  // NaN best (first price) compares false, hence the explicit check.
  if (state.bestPrice !== state.bestPrice || direction * (price - state.bestPrice) > 0) {
    state.bestPrice = price;
    const profitPercent = profitPercentOf(direction, state.entryPrice, price);
    const steps = parameters.steps;
    while (state.tierIndex + 1 < steps.length && hasReachedProfit(profitPercent, steps[state.tierIndex + 1]!.profitPercent)) {
      state.tierIndex++;
    }
    if (!state.breakevenReached && parameters.breakevenAtPercent !== null && hasReachedProfit(profitPercent, parameters.breakevenAtPercent)) {
      state.breakevenReached = true;
      flags |= BREAKEVEN;
      const breakevenStop = state.entryPrice * (1 + (direction * parameters.breakevenOffsetPercent) / 100);
      if (tighten(state, parameters, breakevenStop)) flags |= STOP_MOVED;
    }
    if (!state.activated && direction * (price - parameters.activationPrice) >= 0) {
      state.activated = true;
      flags |= ACTIVATED;
    }
    if (state.activated && tighten(state, parameters, trailingStopPrice(state, parameters))) flags |= STOP_MOVED;
  }
  if (state.stopPrice === state.stopPrice && direction * (price - state.stopPrice) <= 0) {
    state.triggered = true;
    flags |= TRIGGERED;
  }
  return flags;
}

/**
 * Sets a new ATR (for `atr` distances) and re-applies the distance to the best price. Returns
 * {@link STOP_MOVED} when that tightened the stop; a wider ATR never loosens it.
 */
export function updateAtr(state: PolicyState, parameters: ResolvedTrailingParameters, atr: number): number {
  state.atr = atr;
  if (!state.activated || state.triggered) return 0;
  return tighten(state, parameters, trailingStopPrice(state, parameters)) ? STOP_MOVED : 0;
}

/** Where the trailing distance puts the stop for the current best price (before rounding). */
export function trailingStopPrice(state: PolicyState, parameters: ResolvedTrailingParameters): number {
  const best = state.bestPrice;
  const direction = state.direction;
  switch (parameters.distanceKind) {
    case 'percent':
      return best * (1 - (direction * parameters.distanceValue) / 100);
    case 'amount':
      return best - direction * parameters.distanceValue;
    case 'ticks':
      return best - direction * parameters.distanceValue * parameters.tickSize!;
    case 'atr':
      return best - direction * state.atr * parameters.atrMultiplier;
    case 'steps': {
      const tier = parameters.steps[state.tierIndex < 0 ? 0 : state.tierIndex]!;
      return best * (1 - (direction * tier.callbackPercent) / 100);
    }
  }
}

/** Moves the stop to `candidate` (rounded away from the market) if that tightens it. */
function tighten(state: PolicyState, parameters: ResolvedTrailingParameters, candidate: number): boolean {
  const direction = state.direction;
  const price =
    parameters.tickSize === null
      ? roundSignificant(candidate)
      : roundToTick(candidate, parameters.tickSize, state.tickDecimals, direction === 1 ? 'down' : 'up');
  if (!(price > 0)) return false;
  if (state.stopPrice === state.stopPrice && direction * (price - state.stopPrice) <= 0) return false;
  state.stopPrice = price;
  return true;
}
