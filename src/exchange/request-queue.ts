/**
 * The calls waiting for the {@link OrderBudget}, and which goes next. In risk order (the default)
 * one queue per {@link RequestPriority}: `protect`, then `cancel`, then moves by lag (the stop
 * that lags its target most first), then `lookup`; arrival order within a class. In arrival order,
 * one first-come, first-served queue.
 */
import { Fifo } from './fifo.js';
import type { VenueOperation } from './rate-limit.js';

/**
 * How urgent a venue request is, most urgent first:
 * - `protect`: placing a stop for a position that has none (creation, a stop cancelled by hand, a
 *   vanished order, the new half of a cancel-then-place move) or closing an unprotected position;
 * - `cancel`: a cancel correctness needs (compensation, removal, the old half of a move);
 * - `move`: moving a stop the venue already holds, ordered by how far it lags its target;
 * - `lookup`: lookups and listings (reconciliation).
 */
export type RequestPriority = 'protect' | 'cancel' | 'move' | 'lookup';

/** One call waiting for the budget. */
export interface WaitingRequest {
  /** The venue operation it will send. */
  readonly operation: VenueOperation;
  /** Its priority class. */
  readonly priority: RequestPriority;
  /** The registry key it is for (withdrawal is by key). */
  readonly key: string;
  /** Moves: the current lag of its stop, read whenever the queue chooses. */
  readonly lag: (() => number) | undefined;
  /** True when nothing of it was sent yet, so it may be withdrawn. */
  readonly withdrawable: boolean;
  /** What it weighs in the window. */
  readonly weight: number;
  /** Arrival number: the tie-break. */
  readonly sequence: number;
  /** Admits it. */
  readonly resolve: () => void;
  /** Fails it (withdrawn). */
  readonly reject: (error: unknown) => void;
}

/** The call to admit next and how to take it out of the queue. */
export interface NextRequest {
  /** The call. */
  readonly waiting: WaitingRequest;
  /** Removes it from the queue. */
  readonly take: () => void;
}

/** The waiting calls, in risk or arrival order; see the module comment. */
export class RequestQueue {
  readonly #arrival: boolean;
  // Risk order: one queue per class (moves are chosen by lag); arrival order: `#arrivals` only.
  readonly #protect = new Fifo<WaitingRequest>();
  readonly #cancel = new Fifo<WaitingRequest>();
  readonly #lookup = new Fifo<WaitingRequest>();
  #moves: WaitingRequest[] = [];
  readonly #arrivals = new Fifo<WaitingRequest>();
  #sequence = 0;

  /** @param order `risk`: by priority class; `arrival`: first come, first served. */
  constructor(order: 'risk' | 'arrival') {
    this.#arrival = order === 'arrival';
  }

  /** Calls waiting now. */
  get size(): number {
    return this.#protect.size + this.#cancel.size + this.#moves.length + this.#lookup.size + this.#arrivals.size;
  }

  /** Queues a call, numbering it in arrival order. */
  add(request: Omit<WaitingRequest, 'sequence'>): void {
    const waiting: WaitingRequest = { ...request, sequence: this.#sequence++ };
    if (this.#arrival) {
      this.#arrivals.push(waiting);
      return;
    }
    switch (waiting.priority) {
      case 'protect':
        this.#protect.push(waiting);
        break;
      case 'cancel':
        this.#cancel.push(waiting);
        break;
      case 'move':
        this.#moves.push(waiting);
        break;
      default:
        this.#lookup.push(waiting);
    }
  }

  /** True when a new call of `priority` would have to wait behind one already waiting. */
  outranks(priority: RequestPriority): boolean {
    if (this.#arrival) return this.#arrivals.size > 0;
    if (this.#protect.size > 0) return true;
    if (priority === 'protect') return false;
    if (this.#cancel.size > 0) return true;
    if (priority === 'cancel') return false;
    if (this.#moves.length > 0) return true;
    if (priority === 'move') return false;
    return this.#lookup.size > 0;
  }

  /**
   * The call to admit next, without removing it: the most urgent class first, within moves the
   * largest lag, else the earliest arrival. During a pause only `protect` (nothing in arrival order).
   */
  next(paused: boolean): NextRequest | undefined {
    if (this.#arrival) {
      const head = this.#arrivals.peek();
      return head === undefined || paused ? undefined : { waiting: head, take: () => this.#arrivals.shift() };
    }
    const protect = this.#protect.peek();
    if (protect !== undefined) return { waiting: protect, take: () => this.#protect.shift() };
    if (paused) return undefined;
    const cancel = this.#cancel.peek();
    if (cancel !== undefined) return { waiting: cancel, take: () => this.#cancel.shift() };
    const moves = this.#moves;
    if (moves.length > 0) {
      let best = 0;
      let bestLag = lagOf(moves[0]!);
      for (let index = 1; index < moves.length; index++) {
        const lag = lagOf(moves[index]!);
        if (lag > bestLag || (lag === bestLag && moves[index]!.sequence < moves[best]!.sequence)) {
          best = index;
          bestLag = lag;
        }
      }
      const chosen = best;
      return { waiting: moves[chosen]!, take: () => void moves.splice(chosen, 1) };
    }
    const lookup = this.#lookup.peek();
    if (lookup !== undefined) return { waiting: lookup, take: () => this.#lookup.shift() };
    return undefined;
  }

  /** Removes and returns the waiting moves of `key` that may be withdrawn (the caller rejects them). */
  removeWithdrawable(key: string): WaitingRequest[] {
    const test = (waiting: WaitingRequest) => waiting.key === key && waiting.withdrawable;
    if (this.#arrival) return this.#arrivals.removeWhere(test);
    const removed = this.#moves.filter(test);
    if (removed.length > 0) this.#moves = this.#moves.filter((waiting) => !test(waiting));
    return removed;
  }

  /** The largest lag among the moves waiting now; 0 when none waits. */
  largestMoveLag(): number {
    let largest = 0;
    const moves = this.#arrival ? this.#arrivals.values().filter((waiting) => waiting.priority === 'move') : this.#moves;
    for (const waiting of moves) largest = Math.max(largest, lagOf(waiting));
    return largest;
  }
}

/** A waiting move's current lag; anything unreadable counts as none. */
function lagOf(waiting: WaitingRequest): number {
  if (waiting.lag === undefined) return 0;
  const lag = waiting.lag();
  return lag === lag ? lag : 0;
}
