/**
 * Exchange sync, one per stop: turns "the stop should now be at X" into exchange calls. One
 * operation at a time per key; targets that arrive meanwhile coalesce (latest wins), so any number
 * of ticks during one slow call cause at most one more call. Moves are throttled
 * (`minUpdateIntervalMs`, `minImprovementPercent`) with an emergency bypass
 * (`emergencyImprovementPercent`). Without `amendStop` a move is make-before-break: the new stop
 * is placed before the old one is cancelled, so the position always has a stop.
 *
 * Nothing here awaits on the price path: `request()` is synchronous and starts the loop if needed.
 */
import type { StopOrder, StopOrderRequest } from '../ports/order-placer.js';
import type { Clock } from '../ports/clock.js';
import type { StopRecord } from '../ports/state-store.js';
import { ClientOrderIdUsedError, OrderNotFoundError, TrailingStopError, WouldTriggerError, PlacementError } from '../errors.js';
import { clientOrderIdFor, clientOrderIdSequenceOf } from '../domain/client-order-id.js';
import type { ExchangeGateway } from './gateway.js';
import { stopLag, WithdrawnError } from './order-budget.js';
import type { StopEntry, VenueSync } from '../stop/stop-entry.js';
import { unref } from '../domain/timers.js';

/** Outcome of a store write made for a stop. */
export type WriteOutcome = 'written' | 'conflict' | 'gone';

/** How the sync persists what the venue did (the registry's record writer). */
export interface StopPersistence {
  /** Writes the entry's state (serialized per entry; compare-and-set; adopts newer state on conflict). */
  write(entry: StopEntry, overrides?: Partial<StopRecord>): Promise<WriteOutcome>;
  /**
   * Re-reads the stop's record and merges newer state (another registry moved it). `gone` when the
   * record vanished or belongs to another position.
   */
  refresh(entry: StopEntry): Promise<'ok' | 'gone'>;
}

/** Where the sync reports what happened; each outcome ends in the registry's events. */
export interface SyncOutcomes {
  /** The venue confirmed `order`. */
  synced(entry: StopEntry, order: StopOrder): void;
  /** The stop could not be kept; the old order stays. */
  failed(entry: StopEntry, error: TrailingStopError): void;
  /** The venue says the new stop is already crossed. */
  gap(entry: StopEntry, error: WouldTriggerError): void;
  /** The record vanished or belongs to another position: cancel what we placed, retire the entry. */
  removedElsewhere(entry: StopEntry, orphan: StopOrder | null): void;
  /** A store write failed after the venue changed; reported, not fatal. */
  storeFailed(entry: StopEntry, error: unknown): void;
  /** A cancel-then-place move left the position without a stop for `ms`. */
  unprotected(ms: number): void;
  /** The old half of a make-before-break move could not be cancelled: it is still live, and owed. */
  leftBehind(entry: StopEntry, order: StopOrder): void;
  /** The stop was removed while the venue placed `order`: nothing keeps it, it is cancelled. */
  orphaned(entry: StopEntry, order: StopOrder): void;
}

/** Work accounting for `onIdle()`. */
export interface WorkCounter {
  begin(): void;
  end(): void;
}

/** What every stop's sync shares: one object per registry. */
export interface SyncContext {
  readonly gateway: ExchangeGateway;
  readonly clock: Clock;
  readonly persistence: StopPersistence;
  readonly outcomes: SyncOutcomes;
  readonly work: WorkCounter;
}

/** What {@link StopSynchronizer} must do for the latest target. */
type Need = 'none' | 'now' | 'throttled';

/** Per-stop exchange sync; see the module comment. */
export class StopSynchronizer implements VenueSync {
  readonly #entry: StopEntry;
  readonly #context: SyncContext;
  #running = false;
  #timer: unknown = undefined;
  /** Spent client order ids met in a row; bounded so a confused venue cannot loop forever. */
  #spentInARow = 0;
  /** Created when someone waits: most stops never have a waiter. */
  #idleWaiters: (() => void)[] | undefined = undefined;

  constructor(entry: StopEntry, context: SyncContext) {
    this.#entry = entry;
    this.#context = context;
  }

  /** True while an exchange operation for this stop runs. */
  get running(): boolean {
    return this.#running;
  }

  /** True while a throttled sync waits for its timer. */
  get scheduled(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Asks the venue to catch up with the policy. Synchronous: starts the loop, arms the throttle
   * timer, or does nothing when a loop already runs (it will see the latest target).
   */
  request(): void {
    if (this.#running || !this.#entry.live) return;
    const need = this.#need();
    if (need === 'none') return;
    if (need === 'throttled') {
      // Only a throttled move reads the clock, and only when no timer is armed yet.
      if (this.#timer !== undefined) return;
      const wait = this.#wait();
      if (wait > 0) {
        this.#timer = this.#context.clock.setTimeout(() => {
          this.#timer = undefined;
          this.request();
        }, wait);
        unref(this.#timer);
        return;
      }
    }
    this.#clearTimer();
    void this.#run();
  }

  /**
   * Stops the throttle timer (removal, trigger) and withdraws a move still waiting for the request
   * budget (nothing of it was sent). An operation already sent completes.
   */
  cancel(): void {
    this.#clearTimer();
    this.#context.gateway.withdraw(this.#entry.key);
  }

  /** Resolves once no operation runs for this stop. */
  idle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => (this.#idleWaiters ??= []).push(resolve));
  }

  /** Whether the venue must catch up with the policy: not at all, now, or once the throttle allows. */
  #need(): Need {
    const entry = this.#entry;
    const parameters = entry.parameters;
    const target = entry.stopPrice;
    if (target !== target) return 'none';
    if (parameters.mode === 'native') return 'none';
    if (parameters.mode === 'exchange') {
      if (entry.order === null) return 'now';
      if (entry.quantity !== entry.syncedQuantity) return 'now';
    }
    const synced = entry.syncedStopPrice;
    if (synced !== synced) return 'now';
    const tightening = entry.direction * (target - synced);
    if (tightening <= 0) return 'none';
    const improvementPercent = (tightening / synced) * 100;
    if (improvementPercent < parameters.minImprovementPercent) return 'none';
    if (improvementPercent >= parameters.emergencyImprovementPercent) return 'now';
    return 'throttled';
  }

  /** Ms until the throttle allows the next move (0 or less: now). */
  #wait(): number {
    const entry = this.#entry;
    return entry.lastSyncAt + entry.parameters.minUpdateIntervalMs - this.#context.clock.now();
  }

  async #run(): Promise<void> {
    this.#running = true;
    this.#context.work.begin();
    try {
      while (this.#entry.live) {
        const need = this.#need();
        if (need === 'none' || (need === 'throttled' && this.#wait() > 0)) break;
        if (!(await this.#syncOnce())) break;
      }
    } finally {
      this.#running = false;
      this.#context.work.end();
      const waiters = this.#idleWaiters;
      this.#idleWaiters = undefined;
      if (waiters !== undefined) for (const resolve of waiters) resolve();
    }
    // A target that was throttled while the loop ran needs its timer.
    if (this.#entry.live) this.request();
  }

  /** One operation toward the latest target. Returns false when the loop must stop. */
  async #syncOnce(): Promise<boolean> {
    const entry = this.#entry;
    const { clock, gateway, outcomes } = this.#context;
    let target = entry.stopPrice;
    const quantity = entry.quantity;
    if (entry.parameters.mode === 'emulated') {
      // No resting order: the registry is the stop. Persist the target so a restart resumes it.
      entry.syncedStopPrice = target;
      entry.syncedQuantity = quantity;
      entry.lastSyncAt = clock.now();
      const outcome = await this.#write();
      if (outcome === 'gone') outcomes.removedElsewhere(entry, null);
      return outcome === 'written' || outcome === 'conflict';
    }
    const placer = gateway.placer;
    const old = entry.order;
    let sequence = entry.sequence;
    let next: StopOrder;
    // A move waiting for the request budget is chosen by its lag and sends the latest target (latest wins).
    const lag = () => stopLag(entry);
    const latest = () => (target = entry.stopPrice);
    try {
      if (old !== null && placer.amendStop !== undefined && quantity === entry.syncedQuantity) {
        next = await gateway.amendStop(old, target, entry.key, { priority: 'move', lag, latest });
      } else {
        if (old !== null || sequence <= entry.spentThrough) sequence = entry.nextSequence;
        const request: StopOrderRequest = {
          symbol: entry.symbol,
          side: entry.closingSide,
          quantity,
          stopPrice: target,
          clientOrderId: clientOrderIdFor(entry.clientOrderIdBase, sequence),
        };
        if (old !== null && placer.capabilities?.cancelBeforePlace === true) {
          // The venue cannot hold two stops: the one window without protection, measured.
          await gateway.cancelStop(old, entry.key);
          const unprotectedSince = clock.now();
          try {
            // The position has no stop now: the placement is critical (priority `protect`, the default).
            next = await gateway.placeStop(request, entry.key, { latest });
          } finally {
            outcomes.unprotected(clock.now() - unprotectedSince);
          }
        } else {
          // Without an old order the position is unprotected: `protect` (the default); else a move.
          next = await gateway.placeStop(
            request,
            entry.key,
            old === null ? { latest } : { priority: 'move', lag, latest, takeLate: (late) => this.#takeLateMove(old, late) },
          );
          if (old !== null) {
            try {
              await gateway.cancelStop(old, entry.key);
            } catch {
              // The new stop protects; the old, looser one must still go: owed, retried.
              outcomes.leftBehind(entry, old);
            }
          }
        }
      }
    } catch (error) {
      // Withdrawn before it was sent (the stop ended or is being removed): nothing changed on the venue.
      if (error instanceof WithdrawnError) return false;
      if (error instanceof OrderNotFoundError && old !== null) {
        // The order vanished (cancelled by hand, or filled): place a fresh one, under a fresh id.
        entry.orderVanished();
        return true;
      }
      if (error instanceof ClientOrderIdUsedError && this.#spentInARow < 5) {
        // Another registry moved this stop meanwhile and spent that id: catch up, then skip past it.
        this.#spentInARow++;
        let refreshed: 'ok' | 'gone';
        try {
          refreshed = await this.#context.persistence.refresh(entry);
        } catch (readError) {
          // The store cannot say now: reported, and the owed write merges the newer record when
          // it conflicts with it; the next request moves the stop again (the old order stays).
          outcomes.storeFailed(entry, readError);
          return false;
        }
        if (refreshed === 'gone') {
          outcomes.removedElsewhere(entry, null);
          return false;
        }
        entry.sequence = Math.max(entry.sequence, entry.order === null ? sequence + 1 : sequence);
        return true;
      }
      if (error instanceof WouldTriggerError) {
        outcomes.gap(entry, error);
        return false;
      }
      outcomes.failed(
        entry,
        error instanceof TrailingStopError
          ? error
          : new PlacementError(`Moving the stop for ${entry.key} failed`, { cause: error, key: entry.key }),
      );
      return false;
    }
    this.#spentInARow = 0;
    entry.sequence = sequence;
    if (entry.state === 'closed') {
      // Removed (here or elsewhere) while the venue call ran: nothing keeps `next`, nothing is written.
      if (next.id !== old?.id) outcomes.orphaned(entry, next);
      return false;
    }
    // A venue answers an id it already holds open with that order: another registry's move under
    // the same id (its write never landed, so this registry did not know the id was spent). That
    // order rests at its own price; tighter than the target, it is the stop now (never loosened,
    // I5), else the record would name an order its stop price disagrees with.
    const rests = entry.direction * (next.stopPrice - target) > 0 ? next.stopPrice : target;
    if (entry.direction * (rests - entry.stopPrice) > 0) entry.stopPrice = rests;
    entry.placed(next, rests, quantity, clock.now());
    const outcome = await this.#write();
    if (outcome === 'failed') return false;
    if (outcome === 'gone') {
      outcomes.removedElsewhere(entry, next);
      return false;
    }
    outcomes.synced(entry, next);
    return true;
  }

  /**
   * A make-before-break move gave up (its answers came too late, the stop failed or the loop went
   * on), yet its order took effect: `late` answered open. Cancelling it would leave the old,
   * looser order as the position's stop (I5). While the stop still holds `old`, is not being
   * removed, has not triggered and runs no other operation, the tighter `late` order becomes the
   * stop's order (a failed stop keeps it instead of `old`) and `old` is cancelled. False when it
   * does not apply: the gateway then cancels `late`.
   */
  async #takeLateMove(old: StopOrder, late: StopOrder): Promise<boolean> {
    const entry = this.#entry;
    const { clock, gateway, outcomes } = this.#context;
    // The answer may come before the loop has handled the move's failure: decide once it has.
    if (this.#running) await this.idle();
    if (entry.order?.id === late.id) return true;
    if (entry.order?.id !== old.id || entry.retiring || this.#running || !(entry.live || entry.state === 'failed')) return false;
    if (late.side !== entry.closingSide || entry.direction * (late.stopPrice - old.stopPrice) <= 0) return false;
    const sequence = clientOrderIdSequenceOf(late.clientOrderId);
    if (sequence === sequence) {
      entry.sequence = Math.max(entry.sequence, sequence);
      entry.spentThrough = Math.max(entry.spentThrough, sequence);
    }
    entry.placed(late, late.stopPrice, late.quantity, clock.now());
    try {
      await gateway.cancelStop(old, entry.key);
    } catch {
      outcomes.leftBehind(entry, old);
    }
    const outcome = await this.#write();
    if (outcome === 'gone') outcomes.removedElsewhere(entry, late);
    else if (outcome !== 'failed') outcomes.synced(entry, late);
    // A live stop's target may have moved on since the move was sent.
    this.request();
    return true;
  }

  /**
   * Places the stop's first order (creation, or a claim resumed after a crash), outside any lock,
   * under the gateway's concurrency bound. `null` when no order is due: emulated mode, or no stop
   * price before activation. With `lookupFirst` the order is first looked up by its client order id.
   */
  placeInitial(lookupFirst: boolean): Promise<StopOrder | null> {
    const entry = this.#entry;
    const parameters = entry.parameters;
    const gateway = this.#context.gateway;
    if (parameters.mode === 'emulated') return Promise.resolve(null);
    if (parameters.mode === 'native') {
      return gateway.placeTrailingStop(
        {
          symbol: entry.symbol,
          side: entry.closingSide,
          quantity: entry.quantity,
          callbackPercent: parameters.distanceValue,
          activationPrice: parameters.activationPrice,
          clientOrderId: entry.clientOrderId,
        },
        entry.key,
        { lookupFirst },
      );
    }
    const stopPrice = entry.stopPrice;
    if (stopPrice !== stopPrice) return Promise.resolve(null);
    return gateway.placeStop(
      { symbol: entry.symbol, side: entry.closingSide, quantity: entry.quantity, stopPrice, clientOrderId: entry.clientOrderId },
      entry.key,
      { lookupFirst },
    );
  }

  /** Persists after an operation; a store failure stops the loop (memory stays right, the next write catches up). */
  async #write(): Promise<WriteOutcome | 'failed'> {
    try {
      return await this.#context.persistence.write(this.#entry);
    } catch (error) {
      this.#context.outcomes.storeFailed(this.#entry, error);
      return 'failed';
    }
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#context.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
