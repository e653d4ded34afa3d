/**
 * The words every layer shares about a position and its stop: the position side, the side that
 * closes it, and the stop's lifecycle states with the ones it never leaves.
 */

/** Long or short position. */
export type PositionSide = 'long' | 'short';

/** Side of an order: `buy` or `sell`. */
export type OrderSide = 'buy' | 'sell';

/**
 * Lifecycle of a stop. `pending`: claimed, initial order being placed. `waiting`: created, not yet
 * activated (an initial stop, if any, protects). `active`: trailing. `triggered`: the price crossed
 * the stop. `failed`: could not be protected (visible, never silent). `closed`: removed (never stored).
 */
export type StopState = 'pending' | 'waiting' | 'active' | 'triggered' | 'failed' | 'closed';

/** The order side that closes a position of `side`: a long is closed by selling. */
export function closingSide(side: PositionSide): OrderSide {
  return side === 'long' ? 'sell' : 'buy';
}

/** +1 for a long (the stop rises), -1 for a short (the stop falls). */
export function directionOf(side: PositionSide): 1 | -1 {
  return side === 'long' ? 1 : -1;
}

/** True for a stored state no stop leaves: it triggered, or could not be protected. */
export function isFinished(state: StopState): state is 'triggered' | 'failed' {
  return state === 'triggered' || state === 'failed';
}

/** True while a stop follows prices: created and neither ended nor removed. */
export function isLiveState(state: StopState): state is 'waiting' | 'active' {
  return state === 'waiting' || state === 'active';
}
