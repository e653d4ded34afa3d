/**
 * How urgent an exchange call is for the {@link OrderBudget}, and the default priority of each
 * operation when the caller gives none.
 */
import type { VenueOperation } from './rate-limit.js';
import type { RequestPriority } from './request-queue.js';

/**
 * How urgent a call is, for the {@link OrderBudget}. Defaults by operation: placements
 * (`placeStop`, `placeTrailingStop`) and `closePosition` are `protect`, `cancelStop` is `cancel`,
 * `amendStop` is `move`, `findStop` and `openStops` are `lookup`; lookups and retries made on a
 * call's behalf (unknown outcomes) keep its priority.
 */
export interface CallPriority {
  /** The call's priority class; default by operation (see above). */
  readonly priority?: RequestPriority;
  /** Moves: how far the venue's stop lags its target, as a fraction of the price; read whenever the budget chooses. */
  readonly lag?: () => number;
}

/** Options of a call that moves (or places) a stop. */
export interface MoveOptions extends CallPriority {
  /**
   * The stop's latest target price, read when the first attempt is sent: a move that waited for
   * the budget sends the newest target, not the one it was queued with (latest wins in the queue
   * too). Not read in the budget's `arrival` order. The caller learns the price sent through it.
   */
  readonly latest?: () => number;
}

/** Priority of each operation when the caller gives none (see {@link CallPriority}). */
export const defaultPriority: Readonly<Record<VenueOperation, RequestPriority>> = {
  placeStop: 'protect',
  placeTrailingStop: 'protect',
  closePosition: 'protect',
  cancelStop: 'cancel',
  amendStop: 'move',
  findStop: 'lookup',
  openStops: 'lookup',
};
