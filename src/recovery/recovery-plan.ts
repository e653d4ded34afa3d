/**
 * What recovery does with one stop, as a pure decision: the stop's recorded situation, what the
 * venue says about its order, and the current price in; one action out. The reconciler only does
 * the I/O (look the order up, then carry the action out).
 */
import type { OrderSide } from '../domain/position.js';
import type { StopMode } from '../policy/parameters.js';
import type { StopOrder } from '../ports/order-placer.js';

/**
 * The action for one stop:
 * - `finalize`: the venue filled the stop's order: the stop triggered;
 * - `adopt`: the venue holds an order under the stop's current client order id that its record
 *   does not name (a pending claim's, or a first order placed just before a crash): keep it;
 * - `resume`: a pending claim has no order: place it under the claim's client order id;
 * - `gap`: the price already crossed the stop: trigger it, place nothing;
 * - `keep`: the venue holds the order as recorded;
 * - `mismatch`: the venue's order differs in side or quantity: report it, change nothing;
 * - `replace`: the order vanished from the venue: place it again under a fresh client order id;
 * - `sync`: no order yet: let the stop's sync place it;
 * - `none`: nothing to do (a native order the venue trails, an emulated stop).
 */
export type RecoveryAction = 'finalize' | 'adopt' | 'resume' | 'gap' | 'keep' | 'mismatch' | 'replace' | 'sync' | 'none';

/** One stop's situation, as recovery sees it. */
export interface RecoverySituation {
  /** True for a pending claim this registry just took over; false for a settled, live stop. */
  readonly claim: boolean;
  /** How the stop is kept. */
  readonly mode: StopMode;
  /** True when the stop's state names a venue order. */
  readonly hasOrder: boolean;
  /** The venue's order for the stop, as looked up (`undefined`: the venue has none). */
  readonly venueOrder: StopOrder | undefined;
  /** The stop price (NaN before there is one). */
  readonly stopPrice: number;
  /** 1 for a long, -1 for a short. */
  readonly direction: 1 | -1;
  /** The order side that closes the position. */
  readonly closingSide: OrderSide;
  /** The protected quantity. */
  readonly quantity: number;
  /** The current price, when the caller gave one. */
  readonly price: number | undefined;
}

/**
 * True when recovery must ask the venue about the stop's order before deciding: a claim, a stop
 * with an order (not emulated), and an exchange stop without one (its first order may have gone
 * out just before a crash, under its current client order id).
 */
export function needsVenueOrder(claim: boolean, mode: StopMode, hasOrder: boolean): boolean {
  return claim || (mode !== 'emulated' && (hasOrder || mode === 'exchange'));
}

/** True when `price` (if known) has crossed a stop at `stopPrice` (if any). */
export function hasCrossed(direction: 1 | -1, stopPrice: number, price: number | undefined): boolean {
  return price !== undefined && stopPrice === stopPrice && direction * (price - stopPrice) <= 0;
}

/** Decides what recovery does with one stop; see {@link RecoveryAction}. */
export function planRecovery(situation: RecoverySituation): RecoveryAction {
  const { venueOrder, mode } = situation;
  const crossed = hasCrossed(situation.direction, situation.stopPrice, situation.price);
  if (situation.claim) {
    if (venueOrder?.status === 'filled') return 'finalize';
    if (venueOrder !== undefined) return 'adopt';
    return crossed ? 'gap' : 'resume';
  }
  if (needsVenueOrder(false, mode, situation.hasOrder) && venueOrder?.status === 'filled') return 'finalize';
  if (situation.hasOrder && mode !== 'emulated') {
    if (venueOrder !== undefined && venueOrder.status !== 'cancelled') {
      return venueOrder.side !== situation.closingSide || venueOrder.quantity !== situation.quantity ? 'mismatch' : 'keep';
    }
    if (mode === 'native') return 'none';
    return crossed ? 'gap' : 'replace';
  }
  if (mode === 'exchange' && venueOrder !== undefined && venueOrder.status !== 'cancelled' && venueOrder.status !== 'filled') return 'adopt';
  if (crossed) return 'gap';
  return mode === 'exchange' && situation.stopPrice === situation.stopPrice ? 'sync' : 'none';
}
