/**
 * The reconciler: makes the store, the registry's memory and the exchange agree after a restart,
 * a crash of another process, or a hand edit on the venue (docs/design.md section 10). It resolves
 * pending claims by client order id (never a second order), re-places vanished stops under a fresh
 * id, finalizes filled ones, takes the gap path for stops the market already crossed, sweeps
 * orphans carrying this registry's prefix, and forgets stops removed elsewhere. Every action is
 * reported (`reconciled` event); nothing here holds a lock across exchange I/O.
 */
import type { StopOrder } from '../ports/order-placer.js';
import type { StopRecord } from '../ports/state-store.js';
import { PlacementError, StoreError, TrailingStopError, WouldTriggerError } from '../errors.js';
import type { ReconcileEvent } from '../events.js';
import type { StopEntry } from '../stop/stop-entry.js';
import { isSameStop, mergeRecord } from '../stop/stop-record.js';
import { clientOrderIdBaseOf, clientOrderIdSequenceOf } from '../domain/client-order-id.js';
import { isExpiredClaim, takeOverExpiredClaim } from './lease.js';
import { findRecordProblem } from './record-validation.js';
import { needsVenueOrder, planRecovery } from './recovery-plan.js';
import { listOpenStops } from './open-stops.js';
import { OrphanSweep } from './orphan-sweep.js';
import type { ReconcileOptions, ReconcileReport, ReconcilerOptions, RestoreReport } from './types.js';
import { isFinished } from '../domain/position.js';

export type * from './types.js';

/** See the module comment. One per registry. */
export class Reconciler {
  readonly #options: ReconcilerOptions;

  readonly #sweep: OrphanSweep;
  /** Keys whose pending claim a pass of this reconciler is resolving (two passes may overlap). */
  readonly #resolving = new Set<string>();

  constructor(options: ReconcilerOptions) {
    this.#options = options;
    this.#sweep = new OrphanSweep(options);
  }

  /** Loads every sound record into memory, reports the others, then reconciles when the placer can look orders up. */
  async restore(options: ReconcileOptions = {}): Promise<RestoreReport> {
    const { store, logger, reports, gateway } = this.#options;
    const restored: string[] = [];
    const corrupt: { key: string | undefined; reason: string }[] = [];
    for (const record of await store.list()) {
      const problem = findRecordProblem(record);
      if (problem !== undefined) {
        const key = readableKey(record);
        corrupt.push({ key, reason: problem });
        logger.error('Skipping a corrupt record', { key, reason: problem });
        reports.corrupt({ key, reason: problem });
        continue;
      }
      if (record.state === 'pending') continue; // reconciliation resolves claims
      if (await this.#loadRecord(record)) restored.push(record.key);
    }
    const canReconcile = gateway.placer.findStop !== undefined || gateway.placer.openStops !== undefined;
    if (!canReconcile) return { restored, corrupt, reconciliation: undefined };
    try {
      return { restored, corrupt, reconciliation: await this.reconcile(options) };
    } catch (error) {
      // The store could be read: restore resolves; what reconciliation could not do is reported.
      const failure = error instanceof TrailingStopError ? error : new StoreError('Reconciliation failed', { cause: error });
      reports.error(failure, { operation: 'reconcile' });
      return { restored, corrupt, reconciliation: undefined, reconcileError: failure };
    }
  }

  /** One reconciliation pass; see the module comment. */
  async reconcile(options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const { store, gateway, book, reports } = this.#options;
    const actions: ReconcileEvent[] = [];
    const report = (event: ReconcileEvent) => {
      actions.push(event);
      reports.reconciled(event);
    };
    const known = new Set(book.entries());
    const records: StopRecord[] = [];
    const unreadable: (string | undefined)[] = [];
    for (const record of await store.list()) {
      if (findRecordProblem(record) === undefined) records.push(record);
      else unreadable.push(readableKey(record));
    }
    // An ended stop with no order is not looked for on the venue (its symbol may be delisted).
    const symbols = new Set([
      ...records.filter((record) => !isFinished(record.state) || record.order !== null).map((record) => record.symbol),
      ...[...book.entries()].filter((entry) => !entry.ended || entry.order !== null).map((entry) => entry.symbol),
    ]);
    const { open, failedSymbols } = await listOpenStops(this.#options.gateway, [...symbols], this.#options.reports);
    const openByClientOrderId = new Map((open ?? []).map((order) => [order.clientOrderId, order]));
    const unlisted = new Set(failedSymbols.map((failure) => failure.symbol));
    for (const record of records) {
      if (book.isCreating(record.key) || unlisted.has(record.symbol)) continue;
      try {
        await this.#reconcileRecord(record, openByClientOrderId, open !== undefined, options, report);
      } catch (error) {
        const failure = error instanceof TrailingStopError ? error : new StoreError('Reconciliation failed', { cause: error, key: record.key });
        reports.error(failure, { operation: 'reconcile', key: record.key });
      }
    }
    this.#forgetRemovedElsewhere(known, records);
    if (open !== undefined) await this.#sweep.run(open, unreadable, report);
    return { actions, failedSymbols };
  }

  /** Puts a sound, non-pending record into memory. Returns true when memory changed. */
  async #loadRecord(record: StopRecord): Promise<boolean> {
    const { book, entries, store, writes } = this.#options;
    // Removed here after the listing was read: the listing is older than the removal.
    if (writes.wasDeleted(record)) return false;
    const existing = book.get(record.key);
    if (existing !== undefined && isSameStop(existing, record)) {
      existing.confirmedAt = this.#options.clock.now();
      if (record.version <= existing.version) return false;
      mergeRecord(existing, record);
      if (!existing.live) book.unfollow(existing);
      return true;
    }
    if (existing !== undefined) {
      // Memory holds another stop of the key: the listing may predate it (a creation that finished
      // since the list was read). It replaces memory only while the store still holds it.
      const current = await store.load(record.key).catch(() => undefined);
      if (current === undefined || findRecordProblem(current) !== undefined || !isSameStop(record, current)) return false;
      if (book.get(record.key) !== existing || book.isCreating(record.key)) return false;
      existing.sync.cancel();
      book.unfollow(existing);
      record = current.version > record.version ? current : record;
    }
    const now = this.#options.clock.now();
    const entry = entries.fromRecord(record);
    entry.confirmedAt = now;
    book.publish(entry);
    return true;
  }

  async #reconcileRecord(
    record: StopRecord,
    open: Map<string, StopOrder>,
    canList: boolean,
    options: ReconcileOptions,
    report: (event: ReconcileEvent) => void,
  ): Promise<void> {
    const price = options.prices?.[record.symbol];
    if (record.state === 'pending') {
      if (this.#resolving.has(record.key)) return;
      // This registry's own creation published the stop and owes the claim's write: not a crash.
      // Also when the stop ended since (a trigger, a failure): its end's write is owed as well, and
      // taking the claim over would put a second stop for the same claim beside it.
      const held = this.#options.book.get(record.key);
      if (held !== undefined && held.clientOrderIdBase === clientOrderIdBaseOf(record.clientOrderId)) return;
      this.#resolving.add(record.key);
      try {
        await this.#resolveClaim(record, open, canList, price, report);
      } finally {
        this.#resolving.delete(record.key);
      }
      return;
    }
    await this.#loadRecord(record);
    const entry = this.#options.book.get(record.key);
    if (entry === undefined || !isSameStop(entry, record) || !entry.live || entry.sync.running) return;
    entry.spentThrough = Math.max(entry.spentThrough, highestSequenceOf(open, entry.clientOrderIdBase));
    const looked = entry.order;
    const lookup = needsVenueOrder(false, entry.parameters.mode, looked !== null);
    // A stop without an order is looked for in the listing only (a look-up per waiting stop and
    // pass would cost the venue's budget); with no listing, by its client order id.
    const venueOrder = !lookup
      ? undefined
      : entry.order === null && canList
        ? open.get(entry.clientOrderId)
        : await this.#lookupOrder(entry, open, canList);
    // Memory moved on while the venue answered (another registry's write came in through the
    // change feed, or this registry moved the stop): the answer is about an order the stop no
    // longer has, and acting on it would take a live order for vanished. The next pass looks again.
    if (entry.order?.id !== looked?.id || !entry.live || entry.sync.running) return;
    const action = planRecovery(situationOf(entry, false, venueOrder, price));
    switch (action) {
      case 'finalize':
        // The venue filled the stop: finalized, not re-placed.
        entry.trigger();
        this.#options.book.unfollow(entry);
        await this.#options.writes.writeOrOwe(entry, () => undefined);
        report({ key: entry.key, action: 'finalized', order: venueOrder!, detail: 'The stop order had filled' });
        return;
      case 'mismatch':
        report({
          key: entry.key,
          action: 'mismatch',
          order: venueOrder!,
          detail: `Venue order is ${venueOrder!.side} ${venueOrder!.quantity}; the record expects ${entry.closingSide} ${entry.quantity}`,
        });
        if (venueOrder!.side === entry.closingSide && entry.parameters.mode === 'exchange') {
          // Only the quantity differs: a resize the record holds and the venue does not yet. Finish it.
          entry.useOrder(venueOrder!);
          entry.sync.request();
          await entry.sync.idle();
        }
        return;
      case 'keep':
        await this.#takeVenuePrice(entry, venueOrder!);
        // The order rests behind the stop (a crash between the record's write and the move, or a
        // hand edit): move it now, not at the next tick, which may never come.
        if (entry.live && entry.order !== null && entry.direction * (entry.stopPrice - entry.order.stopPrice) > 0) {
          entry.sync.request();
          await entry.sync.idle();
        }
        return;
      case 'gap':
        this.#gapOnRecovery(entry, price!, report);
        return;
      case 'replace': {
        // Another registry may have moved the stop since the listing: read the record again first.
        const vanished = entry.order;
        const refreshed = await this.#options.writes.refresh(entry);
        // Gone, moved by another registry, moving here, or ended (a trigger) meanwhile: nothing to place.
        if (refreshed === 'gone' || entry.order?.id !== vanished?.id || entry.sync.running || !entry.live) return;
        // A newer order of the position rests: the vanished one was the old half of another
        // registry's move whose write has not landed (or never will: a crash). That order is the
        // stop now; placing the record's older, looser price again would loosen it (I5).
        const successor = successorOf(open, entry, vanished!);
        if (successor !== undefined) {
          await this.#adoptSuccessor(entry, successor, report);
          return;
        }
        // The venue's last word on the vanished order may be tighter than the record (an amend
        // that took effect just before a crash): its price is the stop's, never loosened (I5).
        if (venueOrder?.id === vanished!.id && entry.direction * (venueOrder.stopPrice - entry.stopPrice) > 0) entry.stopPrice = venueOrder.stopPrice;
        report({ key: entry.key, action: 'replaced', order: entry.order, detail: 'The stop order vanished from the venue; placing it again' });
        // A fresh client order id: the vanished order's id is spent.
        entry.orderVanished();
        entry.sync.request();
        await entry.sync.idle();
        return;
      }
      case 'adopt':
        await this.#adoptFirstOrder(entry, venueOrder!, report);
        return;
      case 'sync':
        entry.sync.request();
        await entry.sync.idle();
        return;
      default:
        return;
    }
  }

  /**
   * The venue holds the stop's order at another price than memory says. Tighter: an amend that
   * took effect just before a crash; the venue's price is the truth, and the stop's. Looser: the
   * listing may predate a move that answered since (a stop only tightens), so the order is looked
   * up again; if the venue really holds it looser (a hand edit), memory takes the venue's price
   * (the caller then moves the order back to the stop).
   */
  async #takeVenuePrice(entry: StopEntry, listed: StopOrder): Promise<void> {
    const known = entry.order;
    if (known === null || listed.stopPrice === known.stopPrice) return;
    let order = listed;
    const looser = entry.direction * (listed.stopPrice - known.stopPrice) < 0;
    if (looser) {
      const { gateway } = this.#options;
      if (gateway.placer.findStop === undefined) return;
      const fresh = await gateway.findStop(entry.symbol, known.clientOrderId, entry.key);
      // Memory moved on meanwhile, or the order is gone: the next pass looks again.
      if (fresh === undefined || fresh.status === 'filled' || fresh.status === 'cancelled') return;
      if (entry.order !== known || entry.sync.running || !entry.live || fresh.stopPrice === known.stopPrice) return;
      order = fresh;
    }
    entry.useOrder({ ...known, stopPrice: order.stopPrice, quantity: order.quantity });
    if (entry.direction * (order.stopPrice - entry.stopPrice) > 0) entry.stopPrice = order.stopPrice;
    await this.#writeOrOwe(entry);
  }

  /**
   * The stop's recorded order vanished and a newer one of the same position rests (another
   * registry's move, its record write not landed yet, or lost in a crash): it becomes the stop's
   * order, its price the stop (tightening only), and its id spent. The mover's own write, if it
   * comes, conflicts and merges the same order.
   */
  async #adoptSuccessor(entry: StopEntry, order: StopOrder, report: (event: ReconcileEvent) => void): Promise<void> {
    const sequence = clientOrderIdSequenceOf(order.clientOrderId);
    entry.sequence = Math.max(entry.sequence, sequence);
    entry.spentThrough = Math.max(entry.spentThrough, sequence);
    if (entry.direction * (order.stopPrice - entry.stopPrice) > 0) entry.stopPrice = order.stopPrice;
    entry.placed(order, order.stopPrice, order.quantity);
    if ((await this.#options.writes.write(entry)) === 'gone') return;
    report({ key: entry.key, action: 'adopted', order, detail: "Kept the newer order of a move whose old order had gone; its record did not name it yet" });
  }

  /**
   * The venue holds an order under the stop's current client order id that the record does not
   * name: its first order went out just before a crash. It is the stop's order now; its price is
   * the stop (tightening only), and an order placed at activation means the stop is active.
   */
  async #adoptFirstOrder(entry: StopEntry, order: StopOrder, report: (event: ReconcileEvent) => void): Promise<void> {
    const hadNoStop = entry.stopPrice !== entry.stopPrice;
    if (hadNoStop || entry.direction * (order.stopPrice - entry.stopPrice) > 0) entry.stopPrice = order.stopPrice;
    if (hadNoStop) {
      // Without an initial stop, the first order goes out at activation.
      entry.activated = true;
      entry.activate();
    }
    entry.placed(order, order.stopPrice, order.quantity);
    if ((await this.#writeOrOwe(entry)) === 'gone') return;
    report({ key: entry.key, action: 'adopted', order, detail: 'Found an order under the stop\'s client order id that its record did not name' });
  }

  /**
   * Writes what memory took from the venue; a write the store failed is owed (memory holds the
   * change already, I4) and rethrown to be reported. A record gone meanwhile retires the stop.
   */
  #writeOrOwe(entry: StopEntry): Promise<'written' | 'conflict' | 'gone'> {
    return this.#options.writes.writeOrOwe(entry, () => this.#options.endings.removedElsewhere(entry, entry.order));
  }

  /** A pending claim this registry owns, or whose lease expired: resolved by client order id (I7). */
  async #resolveClaim(
    record: StopRecord,
    open: Map<string, StopOrder>,
    canList: boolean,
    price: number | undefined,
    report: (event: ReconcileEvent) => void,
  ): Promise<void> {
    const { store, clock, owner, leaseMs, entries, writes, book } = this.#options;
    const key = record.key;
    const now = clock.now();
    if (record.owner !== owner && !isExpiredClaim(record, now)) return;
    const taken = await takeOverExpiredClaim(store, key, owner, now, leaseMs, { reclaimOwn: true });
    if (taken === undefined) return;
    const entry = entries.fromRecord(taken);
    entry.version = taken.version;
    const found = await this.#lookupOrder(entry, open, canList);
    const action = planRecovery(situationOf(entry, true, found, price));
    if (action === 'finalize') {
      entry.useOrder(found!);
      entry.trigger();
      await writes.write(entry);
      book.keep(entry);
      report({ key, action: 'finalized', order: found!, detail: 'The pending stop had already filled' });
      return;
    }
    if (action === 'gap') {
      // Placing a stop the market already crossed would only be refused: the gap path.
      this.#gapOnRecovery(entry, price!, report);
      return;
    }
    let order = found;
    if (order === undefined) {
      try {
        order = (await entry.sync.placeInitial(false)) ?? undefined;
      } catch (error) {
        if (error instanceof WouldTriggerError) {
          this.#gapOnRecovery(entry, entry.stopPrice, report);
          return;
        }
        // Placed for good neither by the crashed creator nor here: the claim, now this registry's,
        // would stay pending with nobody working on it. The stop fails visibly, like a creation.
        this.#options.book.keep(entry);
        this.#options.endings.failed(entry, error instanceof TrailingStopError ? error : new PlacementError(`Placing the stop for ${key} failed`, { cause: error, key }));
        return;
      }
    }
    if (order !== undefined) entry.placed(order, order.stopPrice, entry.quantity);
    entry.settle();
    const outcome = await writes.write(entry);
    if (outcome === 'gone') {
      if (order !== undefined && found === undefined) await writes.compensate(key, order, 'removed');
      return;
    }
    book.publish(entry);
    report({
      key,
      action: found !== undefined ? 'adopted' : 'resumed',
      order: order ?? null,
      detail: found !== undefined ? "Found the pending claim's order by client order id" : "Placed the pending claim's order under its client order id",
    });
  }

  /** A recovered stop the market already crossed: trigger it (gap), never loop on refused orders. */
  #gapOnRecovery(entry: StopEntry, price: number, report: (event: ReconcileEvent) => void): void {
    entry.triggered = true;
    this.#options.book.keep(entry);
    report({ key: entry.key, action: 'gap', order: entry.order, detail: `The price ${price} already crossed the stop ${entry.stopPrice}` });
    this.#options.endings.trigger(entry, price);
  }

  /** Drops stops that were in memory before this pass and whose record is gone or another position's. */
  #forgetRemovedElsewhere(known: Set<StopEntry>, records: StopRecord[]): void {
    const { book, endings } = this.#options;
    const byKey = new Map(records.map((record) => [record.key, record]));
    for (const entry of known) {
      if (book.get(entry.key) !== entry || entry.retiring || entry.sync.running || book.isCreating(entry.key)) continue;
      const record = byKey.get(entry.key);
      if (record !== undefined && isSameStop(entry, record)) continue;
      endings.removedElsewhere(entry, entry.state === 'triggered' ? null : entry.order);
    }
  }

  /** The venue's view of the entry's current order: from the open list, else by lookup. */
  async #lookupOrder(entry: StopEntry, open: Map<string, StopOrder>, canList: boolean): Promise<StopOrder | undefined> {
    const gateway = this.#options.gateway;
    const clientOrderId = entry.order?.clientOrderId ?? entry.clientOrderId;
    const listed = open.get(clientOrderId);
    if (listed !== undefined) return listed;
    if (gateway.placer.findStop !== undefined) return gateway.findStop(entry.symbol, clientOrderId, entry.key);
    return canList ? undefined : entry.order ?? undefined;
  }
}

/** The highest client order id sequence among the open orders of one position's id base (0: none). */
function highestSequenceOf(open: Map<string, StopOrder>, base: string): number {
  let index = highestSequences.get(open);
  if (index === undefined) {
    // Built once per listing: one pass over the open orders, not one per record.
    index = new Map<string, number>();
    for (const clientOrderId of open.keys()) {
      const orderBase = clientOrderIdBaseOf(clientOrderId);
      const sequence = clientOrderIdSequenceOf(clientOrderId);
      if (sequence > (index.get(orderBase) ?? 0)) index.set(orderBase, sequence);
    }
    highestSequences.set(open, index);
  }
  return index.get(base) ?? 0;
}

/**
 * The tightest open order of `entry`'s position on its closing side whose client order id is newer
 * than `vanished`'s: what a make-before-break move placed before it cancelled `vanished`.
 */
function successorOf(open: Map<string, StopOrder>, entry: StopEntry, vanished: StopOrder): StopOrder | undefined {
  const after = clientOrderIdSequenceOf(vanished.clientOrderId);
  let successor: StopOrder | undefined;
  for (const order of open.values()) {
    if (order.side !== entry.closingSide || order.status === 'cancelled' || order.status === 'filled') continue;
    if (clientOrderIdBaseOf(order.clientOrderId) !== entry.clientOrderIdBase || !(clientOrderIdSequenceOf(order.clientOrderId) > after)) continue;
    if (successor === undefined || entry.direction * (order.stopPrice - successor.stopPrice) > 0) successor = order;
  }
  return successor;
}

/** The highest sequence per client order id base, per listing (see {@link highestSequenceOf}). */
const highestSequences = new WeakMap<Map<string, StopOrder>, Map<string, number>>();

/** The pure plan's view of a stop and what the venue said about its order. */
function situationOf(entry: StopEntry, claim: boolean, venueOrder: StopOrder | undefined, price: number | undefined) {
  return {
    claim,
    mode: entry.parameters.mode,
    hasOrder: entry.order !== null,
    venueOrder,
    stopPrice: entry.stopPrice,
    direction: entry.direction,
    closingSide: entry.closingSide,
    quantity: entry.quantity,
    price,
  };
}

/** The key of a record that failed validation, when it has a readable one. */
function readableKey(record: unknown): string | undefined {
  const key = (record as { key?: unknown } | null)?.key;
  return typeof key === 'string' ? key : undefined;
}
