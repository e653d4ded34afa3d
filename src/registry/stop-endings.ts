/**
 * How stops end, in one place: a trigger (the price crossed the stop, or a gap), a failure to keep
 * the stop on the venue, a removal here (`retire`) or elsewhere (the record vanished or belongs to
 * another position). Also what the other sync outcomes mean for the registry (synced, a failed
 * store write, an unprotected window), since the sync reports them all through one interface.
 */
import type { OrderPlacer, StopOrder } from '../ports/order-placer.js';
import type { StateStore, StopRecord } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import { isExpiredClaim } from '../recovery/lease.js';
import { PlacementError, StoreError, TrailingStopError, type WouldTriggerError } from '../errors.js';
import type { TriggerReason } from '../events.js';
import { clientOrderIdFor } from '../domain/client-order-id.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { SyncOutcomes } from '../exchange/stop-synchronizer.js';
import type { StopBook } from '../stop/stop-book.js';
import type { StopEntry } from '../stop/stop-entry.js';
import { isSameStop, snapshotOfRecord } from '../stop/stop-record.js';
import type { RecordWriter } from './record-writer.js';
import type { Reporter } from './reporter.js';
import type { WorkTracker } from './work-tracker.js';

/** What the endings need. */
export interface StopEndingsOptions {
  readonly book: StopBook;
  readonly store: StateStore;
  readonly clock: Clock;
  /** This registry's owner id. */
  readonly owner: string;
  readonly placer: OrderPlacer;
  readonly gateway: ExchangeGateway;
  readonly writer: RecordWriter;
  readonly reporter: Reporter;
  readonly work: WorkTracker;
  /** Told when the venue confirmed a new order of a stop (the order stream may have spoken first). */
  readonly placed?: (entry: StopEntry) => void;
}

/** See the module comment. */
export class StopEndings implements SyncOutcomes {
  readonly #options: StopEndingsOptions;
  /** Retirements under way, one per stop: a second removal joins the first instead of racing it. */
  readonly #retirements = new Map<StopEntry, Promise<void>>();

  constructor(options: StopEndingsOptions) {
    this.#options = options;
  }

  /**
   * The stop triggered at `price`: it stops following prices, the `triggered` event fires, and in
   * the background the position is closed by market when due (emulated mode, or a gap with
   * `closeOnGap`) and the state is written.
   */
  trigger(entry: StopEntry, price: number): void {
    const { placer, writer, reporter, work } = this.#options;
    // A stop that ended meanwhile (removed here or elsewhere, failed, or triggered already while a
    // placement was in flight) keeps its end: the venue's refusal of a gap placed nothing.
    if (!this.#endTriggered(entry)) return;
    const mode = entry.parameters.mode;
    let reason: TriggerReason = 'stop';
    if (mode === 'exchange') {
      const order = entry.order;
      if (order === null || entry.direction * (price - order.stopPrice) > 0) reason = 'gap';
    }
    const closeByMarket = mode === 'emulated' || (reason === 'gap' && entry.parameters.closeOnGap && placer.closePosition !== undefined);
    work.track(
      (async () => {
        await entry.sync.idle();
        if (closeByMarket) await this.closeByMarket(entry);
        // Other registries and a restart must see the trigger: a failed write is owed.
        await writer.writeOrOwe(entry, () => undefined);
      })().catch((error: unknown) => {
        const failure =
          error instanceof TrailingStopError ? error : new PlacementError(`Handling the trigger of ${entry.key} failed`, { cause: error, key: entry.key });
        reporter.error(failure, { operation: 'trigger', key: entry.key });
      }),
    );
    reporter.events.emit('triggered', { stop: entry.snapshot(), price, reason, closedByMarket: closeByMarket, source: 'price' });
  }

  /** Moves a stop that has not ended to `triggered` and out of the price path; false when it had ended. */
  #endTriggered(entry: StopEntry): boolean {
    if (entry.ended) return false;
    entry.confirming = false;
    entry.trigger();
    entry.sync.cancel();
    this.#options.book.unfollow(entry);
    this.#options.reporter.counters.triggered++;
    return true;
  }

  /**
   * The venue filled the stop's order (`filledClientOrderId`): the position is flat. The stop
   * triggers (source `venue`), every other order of the position still open (the other half of a
   * move in flight) is cancelled, and the record is deleted: nothing of the position is left.
   */
  venueFilled(entry: StopEntry, price: number, filledClientOrderId: string): void {
    const { book, store, writer, reporter, work } = this.#options;
    if (!this.#endTriggered(entry)) return;
    work.track(
      (async () => {
        await entry.sync.idle();
        // What is left of the position's orders must go: a failed cancel is owed, not dropped.
        const left = entry.order;
        if (left !== null && left.clientOrderId !== filledClientOrderId) await writer.compensate(entry.key, left, 'removed');
        const deleteRecord = async () => {
          const record = await store.load(entry.key);
          if (record === undefined || !isSameStop(entry, record)) return;
          if (record.order !== null && record.order.clientOrderId !== filledClientOrderId && record.order.id !== left?.id) {
            await writer.compensate(entry.key, record.order, 'removed');
          }
          await writer.deleteRecord(entry.key, record);
        };
        // Other registries and a restart must not see a live stop whose order filled: a failed
        // read or delete is owed (each attempt reads the record again).
        await deleteRecord().catch((error: unknown) => {
          writer.oweDelete(entry.key, deleteRecord);
          throw error;
        });
      })().catch((error: unknown) => {
        const failure = error instanceof TrailingStopError ? error : new PlacementError(`Cleaning up after the fill of ${entry.key} failed`, { cause: error, key: entry.key });
        reporter.error(failure, { operation: 'trigger', key: entry.key });
      }),
    );
    reporter.events.emit('triggered', { stop: entry.snapshot(), price, reason: 'stop', closedByMarket: false, source: 'venue' });
  }

  /** A native trailing order was lost: the venue trails it, so it goes out again as it was first placed. */
  async #replaceNative(entry: StopEntry): Promise<void> {
    const { writer, reporter } = this.#options;
    try {
      const order = await entry.sync.placeInitial(false);
      if (order === null || !entry.live) return;
      entry.placed(order, order.stopPrice, entry.quantity);
      if ((await writer.write(entry)) === 'gone') this.removedElsewhere(entry, order);
    } catch (error) {
      this.failed(entry, error instanceof TrailingStopError ? error : new PlacementError(`Placing the stop for ${entry.key} again failed`, { cause: error, key: entry.key }));
    }
  }

  /** The venue filled part of the stop order: the stop protects the rest (the order keeps the rest open). */
  partiallyFilled(entry: StopEntry, filledQuantity: number, averagePrice: number | undefined): void {
    const { writer, reporter, work } = this.#options;
    const order = entry.order;
    if (order === null || entry.ended || !(filledQuantity > 0) || filledQuantity >= order.quantity) return;
    const rest = order.quantity - filledQuantity;
    if (rest >= entry.quantity) return;
    entry.quantity = rest;
    entry.syncedQuantity = rest;
    work.track(writer.write(entry).catch((error: unknown) => this.storeFailed(entry, error)));
    reporter.events.emit('partiallyFilled', { stop: entry.snapshot(), filledQuantity, averagePrice });
  }

  /**
   * The stop's order left the venue without filling, not by the registry: the position is bare.
   * `replace` places the stop again at once under a fresh client order id; `release` removes it.
   */
  orderLost(entry: StopEntry, status: 'cancelled' | 'expired' | 'rejected', action: 'replace' | 'release'): void {
    const { reporter, work } = this.#options;
    const order = entry.order;
    if (order === null || !entry.live) return;
    reporter.logger.error('The stop order left the venue without filling; the position is unprotected', { key: entry.key, status, action });
    entry.confirming = false;
    entry.triggered = false;
    entry.orderVanished();
    if (action === 'replace') {
      reporter.events.emit('orderLost', { stop: entry.snapshot(), order, status, action: 'replaced' });
      if (entry.parameters.mode === 'native') work.track(this.#replaceNative(entry));
      else entry.sync.request();
      return;
    }
    reporter.events.emit('orderLost', { stop: entry.snapshot(), order, status, action: 'released' });
    work.track(
      this.retire(entry, 'released').catch((error: unknown) => {
        if (error instanceof TrailingStopError) reporter.error(error, { operation: 'remove', key: entry.key });
      }),
    );
  }

  /** The venue refused the stop as already crossed (a gap): the refused stop price is where it was crossed. */
  gap(entry: StopEntry, error: WouldTriggerError): void {
    this.#options.reporter.logger.error('Stop would trigger immediately: gap', { key: entry.key, message: error.message });
    // The market price is unknown here; the refused stop price is where it was crossed.
    this.trigger(entry, entry.stopPrice);
  }

  /**
   * Closes on a gap when the stop asks for it and the placer can; reports a failed close. Resolves
   * whether the position was closed by market.
   */
  async closeOnGap(entry: StopEntry): Promise<boolean> {
    if (!entry.parameters.closeOnGap || this.#options.placer.closePosition === undefined) return false;
    try {
      await this.closeByMarket(entry);
      return true;
    } catch (error) {
      const failure = error instanceof TrailingStopError ? error : new PlacementError('Closing on a gap failed', { cause: error, key: entry.key });
      this.#options.reporter.error(failure, { operation: 'trigger', key: entry.key });
      return false;
    }
  }

  /** Reduce-only market close, then the resting stop (if any) goes: the position is flat. */
  async closeByMarket(entry: StopEntry): Promise<void> {
    const gateway = this.#options.gateway;
    await gateway.closePosition(
      {
        symbol: entry.symbol,
        side: entry.closingSide,
        quantity: entry.quantity,
        // Sequence 0 is never a stop's: the close has its own deterministic id.
        clientOrderId: clientOrderIdFor(entry.clientOrderIdBase, 0),
      },
      entry.key,
    );
    if (entry.order !== null) await gateway.cancelStop(entry.order, entry.key);
  }

  /** The stop could not be kept on the venue; the previous stop (if any) stays. */
  failed(entry: StopEntry, error: TrailingStopError): void {
    const { book, writer, reporter, work } = this.#options;
    // A stop that ended meanwhile (it triggered while the move was in flight) keeps its end state.
    if (!entry.ended) {
      entry.fail();
      entry.sync.cancel();
      book.unfollow(entry);
      reporter.counters.failed++;
      // Other registries and a restart must see the failure: a failed write is owed, and reported.
      work.track(
        writer.writeOrOwe(entry, () => undefined).catch((writeError: unknown) => {
          const failure = writeError instanceof TrailingStopError ? writeError : new StoreError(`Recording the failure of ${entry.key} failed; retrying`, { cause: writeError, key: entry.key });
          reporter.error(failure, { operation: 'sync', key: entry.key });
        }),
      );
      reporter.events.emit('failed', { stop: entry.snapshot(), error });
    }
    reporter.error(error, { operation: 'sync', key: entry.key });
  }

  /**
   * The record vanished or belongs to another position: forget the stop, cancel `orphan` if any.
   * Whoever removed or replaced the record cancelled the order it named; an order of this stop no
   * record named (its write failed or is in flight, or a placement answers after this) is
   * cancelled here, once the sync is idle.
   */
  removedElsewhere(entry: StopEntry, orphan: StopOrder | null): void {
    const { book, writer, reporter, work } = this.#options;
    if (entry.state === 'closed') {
      // Removed already, while an operation was under way: only the order it placed must go.
      if (orphan !== null) void writer.compensate(entry.key, orphan, 'removed');
      return;
    }
    // A triggered stop's order filled, or its trigger handling cancels it.
    const triggered = entry.state === 'triggered';
    entry.beginRetiring();
    entry.sync.cancel();
    book.unfollow(entry);
    book.forget(entry);
    entry.close();
    if (orphan !== null) void writer.compensate(entry.key, orphan, 'removed');
    if (!triggered) work.track(this.#cancelUnrecorded(entry, orphan));
    reporter.counters.removed++;
    reporter.events.emit('removed', { stop: entry.snapshot(), reason: 'removed-elsewhere' });
  }

  /** After a removal elsewhere: cancels the stop's order if no record named it (and `handled` is another). */
  async #cancelUnrecorded(entry: StopEntry, handled: StopOrder | null): Promise<void> {
    await entry.sync.idle();
    const order = entry.order;
    if (order === null || order.id === entry.recordedOrderId || order.id === handled?.id) return;
    await this.#options.writer.compensate(entry.key, order, 'removed');
  }

  /** Removes the stop for `key` here: waits for a creation in flight, then retires it (or its stored record). */
  async remove(key: string, reason: string): Promise<boolean> {
    const { book, store, gateway, writer, reporter, clock, owner } = this.#options;
    try {
      const flight = book.flight(key);
      if (flight !== undefined) await flight.promise.catch(() => undefined);
      const entry = book.get(key);
      const record = await store.load(key);
      if (entry !== undefined && entry.state === 'closed') {
        // Removed meanwhile (a concurrent removal here finished first): a record of that stop was
        // read before its delete landed. Deleting by its version could hit the key's next stop,
        // which another registry may have claimed since and brought to that very version.
        if (record === undefined || isSameStop(entry, record)) return false;
      } else if (entry !== undefined) {
        if (record === undefined || isSameStop(entry, record)) {
          await this.retire(entry, reason);
          return true;
        }
        // Memory is stale: another stop holds the key now. Forget ours; remove that one below.
        this.removedElsewhere(entry, entry.order);
      }
      if (record === undefined) return false;
      // An abandoned claim (ours, or its lease expired) names no order yet, but its client order id
      // may already rest on the venue. A live claim's creator cancels its own order when its
      // double-check finds the record gone.
      const abandoned = record.state === 'pending' && (record.owner === owner || isExpiredClaim(record, clock.now()));
      const order = record.order ?? (abandoned ? await gateway.findStop(record.symbol, record.clientOrderId, key) : undefined);
      if (order !== undefined && order !== null) await gateway.cancelStop(order, key);
      await writer.deleteRecord(key, record);
      reporter.counters.removed++;
      reporter.events.emit('removed', { stop: snapshotOfRecord(record, 'closed'), reason });
      return true;
    } catch (error) {
      if (error instanceof TrailingStopError) reporter.error(error, { operation: 'remove', key });
      throw error;
    }
  }

  /**
   * Cancels the entry's order, deletes its record, forgets it, emits `removed`. One retirement per
   * stop at a time: a call while one is under way joins it (two would each read the record, and
   * the later read, answered after the first delete, would delete by a version the key's next
   * stop may hold by then), and tries again on its own when that one fails.
   */
  retire(entry: StopEntry, reason: string): Promise<void> {
    const running = this.#retirements.get(entry);
    // When the one joined fails, the stop is kept: this caller's removal then runs on its own.
    if (running !== undefined) return running.catch(() => (entry.state === 'closed' ? undefined : this.retire(entry, reason)));
    const retirement = this.#retire(entry, reason).finally(() => this.#retirements.delete(entry));
    this.#retirements.set(entry, retirement);
    return retirement;
  }

  async #retire(entry: StopEntry, reason: string): Promise<void> {
    const { book, store, gateway, writer, reporter } = this.#options;
    const wasLive = entry.live;
    entry.beginRetiring();
    entry.sync.cancel();
    book.unfollow(entry);
    let cancelled = false;
    let stored: StopRecord | undefined;
    try {
      await entry.sync.idle();
      if (entry.order !== null) await gateway.cancelStop(entry.order, entry.key);
      cancelled = entry.order !== null;
      const record = await store.load(entry.key);
      stored = record;
      if (record !== undefined && isSameStop(entry, record)) {
        if (record.order !== null && record.order.id !== entry.order?.id) {
          await gateway.cancelStop(record.order, entry.key);
        }
        const deleted = await writer.deleteRecord(entry.key, record);
        // Memory may be behind the record deleted (a write that landed although it answered an
        // error): the key's next stop goes on past the version deleted, never reuses it.
        if (deleted !== undefined) entry.version = Math.max(entry.version, deleted);
      }
    } catch (error) {
      // The removal did not finish: keep the stop, so the caller can retry. Its order is gone when
      // the cancel went through: it is placed again (fresh client order id), never left bare.
      entry.abortRetiring();
      if (wasLive && entry.live) {
        book.follow(entry);
        if (cancelled) {
          // The record read on the way may hold a tighter stop than memory (another registry moved
          // it meanwhile): the order placed again goes out there, never looser (I5).
          if (stored !== undefined && isSameStop(entry, stored) && stored.stopPrice !== null && entry.direction * (stored.stopPrice - entry.stopPrice) > 0) {
            entry.stopPrice = stored.stopPrice;
          }
          entry.orderVanished();
          entry.sync.request();
        }
      }
      throw error;
    }
    book.forget(entry);
    entry.close();
    reporter.counters.removed++;
    reporter.events.emit('removed', { stop: entry.snapshot(), reason });
  }

  /** The venue confirmed `order`. */
  synced(entry: StopEntry, order: StopOrder): void {
    const reporter = this.#options.reporter;
    if (reporter.listening('stopSynced')) reporter.events.emit('stopSynced', { stop: entry.snapshot(), order });
    this.#options.placed?.(entry);
  }

  /** A store write failed after the venue changed: reported, and owed (retried until the store takes it). */
  storeFailed(entry: StopEntry, error: unknown): void {
    const failure = error instanceof TrailingStopError ? error : new StoreError(`Persisting the stop for ${entry.key} failed`, { cause: error, key: entry.key });
    this.#options.reporter.error(failure, { operation: 'sync', key: entry.key });
    this.#options.writer.oweWrite(entry, () => this.removedElsewhere(entry, entry.order));
  }

  /** The stop was removed while the venue placed `order`: it is cancelled (owed if the cancel fails). */
  orphaned(entry: StopEntry, order: StopOrder): void {
    void this.#options.writer.compensate(entry.key, order, 'removed');
  }

  /** The old half of a move is still live: its cancel is owed. */
  leftBehind(entry: StopEntry, order: StopOrder): void {
    void this.#options.writer.compensate(entry.key, order, 'moved');
  }

  /** A cancel-then-place move left the position without a stop for `ms`. */
  unprotected(ms: number): void {
    this.#options.reporter.counters.unprotectedMs += ms;
  }
}
