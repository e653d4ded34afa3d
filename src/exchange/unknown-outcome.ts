/**
 * Placement under unknown outcomes (I7): a placement whose answer is lost or late may still have
 * placed its order, so the order is resolved by client order id: looked up and adopted, or placed
 * again under the same id, never under a new one. An answer that arrives after the placement gave
 * up is adopted if it is the order kept, and cancelled otherwise, never left behind.
 */
import { PlacementError } from '../errors.js';
import { unref } from '../domain/timers.js';
import type { Clock } from '../ports/clock.js';
import type { OrderPlacer, StopOrder } from '../ports/order-placer.js';
import { defaultPriority, type CallPriority } from './call-priority.js';
import type { VenueOperation } from './rate-limit.js';
import { hasUnknownOutcome, isRetryable, type Retrier } from './retry.js';

/** What the placement needs of the gateway: its budgeted, timed call and its retried cancel. */
export interface PlacementGateway {
  /** The placer the gateway calls. */
  readonly placer: OrderPlacer;
  /** One budgeted call under the concurrency bound with a timeout; a late answer goes to `onLate`. */
  call<T>(
    operation: VenueOperation,
    key: string,
    run: (signal: AbortSignal) => Promise<T>,
    onLate?: (late: Promise<T>) => void,
    priority?: CallPriority,
    withdrawable?: boolean,
  ): Promise<T>;
  /** Cancels an order, with retries; a gone order counts as cancelled. */
  cancelStop(order: StopOrder, key: string): Promise<void>;
}

/** Dependencies of {@link UnknownOutcomePlacement}. */
export interface UnknownOutcomePlacementOptions {
  /** The gateway whose calls the placement makes. */
  readonly gateway: PlacementGateway;
  /** Attempts and the wait between them. */
  readonly retrier: Retrier;
  /** Runs the wait for a late answer. */
  readonly clock: Clock;
  /** How long a late answer is waited for before it is abandoned (one call timeout). */
  readonly timeoutMs: number;
  /** Keeps late-answer cleanup visible to `onIdle()`. */
  readonly track: (work: Promise<unknown>) => void;
  /** Called when a late order was cancelled. */
  readonly onLateOrderCancelled: (order: StopOrder, key: string) => void;
  /** True once the registry closed: a late order is then left for the next orphan sweep, not cancelled. */
  readonly closed: () => boolean;
  /** Called when a late order was left on the venue because the registry had closed. */
  readonly onLateOrderLeft: (order: StopOrder, key: string) => void;
}

/** One placement to resolve. */
export interface Placement {
  /** The venue operation that places. */
  readonly operation: 'placeStop' | 'placeTrailingStop';
  /** The deterministic id the order is placed, looked up and placed again under. */
  readonly clientOrderId: string;
  /** Venue symbol. */
  readonly symbol: string;
  /** The registry key, for the budget and errors. */
  readonly key: string;
  /** Sends one placement attempt. */
  readonly place: (signal: AbortSignal) => Promise<StopOrder>;
  /** Look the id up before the first attempt (a placement a crashed process may have made). */
  readonly lookupFirst: boolean;
  /** The placement's priority; its lookups keep it. */
  readonly priority: CallPriority;
  /**
   * Offered an open order that answered after the placement gave up, before it is cancelled:
   * resolves true when the caller kept it (a move's tighter order that did take effect).
   */
  readonly takeLate?: (order: StopOrder) => Promise<boolean>;
}

/** Places and resolves unknown outcomes; see the module comment. */
export class UnknownOutcomePlacement {
  readonly #options: UnknownOutcomePlacementOptions;

  /** @param options See {@link UnknownOutcomePlacementOptions}. */
  constructor(options: UnknownOutcomePlacementOptions) {
    this.#options = options;
  }

  /**
   * Resolves the order the venue holds for `placement.clientOrderId`, whatever timeouts happened
   * on the way. Rejects with the first error not worth retrying, or a {@link PlacementError}
   * once the attempts are spent.
   */
  async place(placement: Placement): Promise<StopOrder> {
    const { operation, clientOrderId, symbol, key, place, lookupFirst, priority } = placement;
    const { gateway, retrier } = this.#options;
    const late: Promise<StopOrder>[] = [];
    let adopted: StopOrder | undefined;
    // Lookups made for this placement (unknown outcomes) keep its priority.
    const resolving: CallPriority = { priority: priority.priority ?? defaultPriority[operation], lag: priority.lag };
    try {
      if (lookupFirst) {
        adopted = await this.#lookup(symbol, clientOrderId, key, resolving);
        if (adopted !== undefined) return adopted;
      }
      let lastError: unknown;
      /** True once an attempt's outcome was unknown: its order may rest on the venue. */
      let mayExist = false;
      const { attempts } = retrier;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (attempt > 1) await retrier.backoff(attempt - 1, lastError);
        try {
          // Only a move nothing of which was sent yet may be withdrawn: after that its outcome must be resolved.
          const withdrawable = resolving.priority === 'move' && attempt === 1 && !lookupFirst;
          adopted = await gateway.call(operation, key, place, (pending) => late.push(pending), resolving, withdrawable);
          return adopted;
        } catch (error) {
          lastError = error;
          if (!isRetryable(error)) {
            // A later attempt's refusal says nothing of an earlier one that may have placed the order.
            if (mayExist) {
              adopted = await this.#lookup(symbol, clientOrderId, key, resolving);
              if (adopted !== undefined) return adopted;
            }
            throw error;
          }
          if (hasUnknownOutcome(error)) {
            mayExist = true;
            adopted = await this.#lookup(symbol, clientOrderId, key, resolving);
            if (adopted !== undefined) return adopted;
          }
        }
      }
      throw new PlacementError(
        `Could not place stop ${clientOrderId} for ${symbol} after ${attempts} attempts: ${messageOf(lastError)}`,
        { cause: lastError, key },
      );
    } finally {
      this.#settleLate(late, adopted, key, placement.takeLate);
    }
  }

  /** A lookup by client order id; `undefined` when absent, cancelled, or not possible. */
  async #lookup(symbol: string, clientOrderId: string, key: string, priority: CallPriority): Promise<StopOrder | undefined> {
    const { gateway } = this.#options;
    const placer = gateway.placer;
    if (placer.findStop === undefined) return undefined;
    try {
      const found = await gateway.call('findStop', key, (signal) => placer.findStop!({ symbol, clientOrderId }, { signal }), undefined, priority);
      return found !== undefined && found.status !== 'cancelled' ? found : undefined;
    } catch {
      // The lookup itself failed: fall back to re-placing under the same id.
      return undefined;
    }
  }

  /**
   * Late answers: the adopted order stays; so does an order the caller takes after the placement
   * gave up (`takeLate`); anything else that shows up is cancelled. `onIdle()`
   * counts a late answer for at most one more timeout: a call that never answers is abandoned,
   * never awaited forever. An answer within that timeout is still counted, so its cancel runs
   * before `onIdle()` (and `close()`) resolve, also while the registry closes. An answer after it
   * is cancelled while the registry is open; once closed no call goes out (close() may have
   * resolved, and it promises that), the order is reported left and the next registry's orphan
   * sweep cancels it (it carries this registry's client id).
   */
  #settleLate(late: Promise<StopOrder>[], adopted: StopOrder | undefined, key: string, takeLate?: (order: StopOrder) => Promise<boolean>): void {
    const { gateway, clock, timeoutMs } = this.#options;
    const gaveUp = adopted === undefined;
    for (const pending of late) {
      let timer: unknown;
      let abandonedAlready = false;
      const cleanup = pending.then(
        async (order) => {
          // The answer is in: its cleanup is counted until it ends, not only until the timeout.
          clock.clearTimeout(timer);
          if (adopted !== undefined && order.id === adopted.id) return;
          if (order.status === 'filled' || order.status === 'cancelled') return;
          if (abandonedAlready && this.#options.closed()) {
            this.#options.onLateOrderLeft(order, key);
            return;
          }
          if (gaveUp && takeLate !== undefined && (await takeLate(order))) {
            adopted = order;
            return;
          }
          await gateway.cancelStop(order, key);
          this.#options.onLateOrderCancelled(order, key);
        },
        () => {},
      );
      const abandoned = new Promise<void>((resolve) => {
        timer = clock.setTimeout(() => {
          abandonedAlready = true;
          resolve();
        }, timeoutMs);
        unref(timer);
      });
      this.#options.track(Promise.race([cleanup.catch(() => {}), abandoned]).finally(() => clock.clearTimeout(timer)));
    }
  }
}

/** The message of an unknown thrown value. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
