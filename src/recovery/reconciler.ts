/**
 * The reconciler: makes the store, the registry's memory and the exchange agree after a restart,
 * a crash of another process, or a hand edit on the venue (DESIGN.md section 7). It resolves
 * pending claims by client order id (never a second order), re-places vanished stops under a fresh
 * id, finalizes filled ones, takes the gap path for stops the market already crossed, sweeps
 * orphans carrying this registry's prefix, and forgets stops removed elsewhere. Every action is
 * reported (`reconciled` event); nothing here holds a lock across exchange I/O.
 */
import type { OrderPlacer, StopOrder } from '../ports/order-placer.js';
import type { StateStore, StopRecord } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { StoreError, TrailingStopError, WouldTriggerError } from '../errors.js';
import type { CorruptRecordEvent, ErrorContext, ReconcileEvent } from '../events.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { WriteOutcome } from '../exchange/stop-synchronizer.js';
import type { StopEntry } from '../stop/stop-entry.js';
import { clientOrderIdBaseOf, clientOrderIdKeyFragment, hasClientOrderIdPrefix } from '../domain/client-order-id.js';
import { isExpiredClaim, takeOverExpiredClaim } from './lease.js';
import { findRecordProblem } from './record-validation.js';

/** What {@link TrailingStopRegistry.restore} did. */
export interface RestoreReport {
  /** Keys loaded into memory. */
  readonly restored: string[];
  /** Records skipped because they could not be read. */
  readonly corrupt: { readonly key: string | undefined; readonly reason: string }[];
  /** What reconciliation did (when the placer can look orders up). */
  readonly reconciliation: ReconcileReport | undefined;
}

/** What {@link TrailingStopRegistry.reconcile} did; each item also fired a `reconciled` event. */
export interface ReconcileReport {
  /** Every action taken or difference reported. */
  readonly actions: ReconcileEvent[];
}

/** Options of {@link TrailingStopRegistry.restore} and {@link TrailingStopRegistry.reconcile}. */
export interface ReconcileOptions {
  /** Current prices by symbol: a restored stop the price already crossed takes the gap path. */
  readonly prices?: Readonly<Record<string, number>>;
}

/** What the reconciler needs from the registry (implemented privately by it). */
export interface ReconcilerHost {
  readonly store: StateStore;
  readonly gateway: ExchangeGateway;
  readonly placer: OrderPlacer;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly owner: string;
  readonly leaseMs: number;
  readonly clientOrderIdPrefix: string;
  /** The registry's stops in memory, by key. */
  readonly stops: Map<string, StopEntry>;
  /** True while a creation for `key` is in flight in this registry. */
  isCreating(key: string): boolean;
  /** True while a creation with this client order id base is in flight in this registry. */
  isCreatingBase(base: string): boolean;
  entryFromRecord(record: StopRecord): StopEntry;
  /** Puts the entry in memory and lets it follow prices if live. */
  publish(entry: StopEntry): void;
  unfollow(entry: StopEntry): void;
  trigger(entry: StopEntry, price: number): void;
  write(entry: StopEntry): Promise<WriteOutcome>;
  compensate(key: string, order: StopOrder, reason: 'race-lost' | 'removed'): Promise<void>;
  placeInitial(entry: StopEntry, lookupFirst: boolean): Promise<StopOrder | null>;
  removedElsewhere(entry: StopEntry, orphan: StopOrder | null): void;
  reconciled(event: ReconcileEvent): void;
  corrupt(event: CorruptRecordEvent): void;
  error(error: TrailingStopError, context: ErrorContext): void;
}

/** See the module comment. One per registry. */
export class Reconciler {
  readonly #host: ReconcilerHost;

  constructor(host: ReconcilerHost) {
    this.#host = host;
  }

  /** Loads every sound record into memory, reports the others, then reconciles when the placer can look orders up. */
  async restore(options: ReconcileOptions = {}): Promise<RestoreReport> {
    const restored: string[] = [];
    const corrupt: { key: string | undefined; reason: string }[] = [];
    for (const record of await this.#host.store.list()) {
      const problem = findRecordProblem(record);
      if (problem !== undefined) {
        const key = readableKey(record);
        corrupt.push({ key, reason: problem });
        this.#host.logger.warn('Skipping a corrupt record', { key, reason: problem });
        this.#host.corrupt({ key, reason: problem });
        continue;
      }
      if (record.state === 'pending') continue; // reconciliation resolves claims
      if (this.#loadRecord(record)) restored.push(record.key);
    }
    const canReconcile = this.#host.placer.findStop !== undefined || this.#host.placer.openStops !== undefined;
    const reconciliation = canReconcile ? await this.reconcile(options) : undefined;
    return { restored, corrupt, reconciliation };
  }

  /** One reconciliation pass; see the module comment. */
  async reconcile(options: ReconcileOptions = {}): Promise<ReconcileReport> {
    const actions: ReconcileEvent[] = [];
    const report = (event: ReconcileEvent) => {
      actions.push(event);
      this.#host.reconciled(event);
    };
    const known = new Set(this.#host.stops.values());
    const records: StopRecord[] = [];
    const unreadable: (string | undefined)[] = [];
    for (const record of await this.#host.store.list()) {
      if (findRecordProblem(record) === undefined) records.push(record);
      else unreadable.push(readableKey(record));
    }
    const symbols = new Set([...records.map((record) => record.symbol), ...[...this.#host.stops.values()].map((entry) => entry.symbol)]);
    const open = await this.#host.gateway.openStops([...symbols]);
    const openByClientOrderId = new Map((open ?? []).map((order) => [order.clientOrderId, order]));
    for (const record of records) {
      if (this.#host.isCreating(record.key)) continue;
      try {
        await this.#reconcileRecord(record, openByClientOrderId, open !== undefined, options, report);
      } catch (error) {
        const failure = error instanceof TrailingStopError ? error : new StoreError('Reconciliation failed', { cause: error, key: record.key });
        this.#host.error(failure, { operation: 'reconcile', key: record.key });
      }
    }
    this.#forgetRemovedElsewhere(known, records);
    if (open !== undefined) await this.#sweepOrphans(open, unreadable, report);
    return { actions };
  }

  /** Puts a sound, non-pending record into memory. Returns true when memory changed. */
  #loadRecord(record: StopRecord): boolean {
    const existing = this.#host.stops.get(record.key);
    if (existing !== undefined && existing.positionId === record.positionId) {
      if (record.version <= existing.version) return false;
      existing.adopt(record);
      if (!existing.live) this.#host.unfollow(existing);
      return true;
    }
    if (existing !== undefined) {
      existing.sync.cancel();
      this.#host.unfollow(existing);
    }
    const entry = this.#host.entryFromRecord(record);
    this.#host.publish(entry);
    return true;
  }

  async #reconcileRecord(
    record: StopRecord,
    open: Map<string, StopOrder>,
    canList: boolean,
    options: ReconcileOptions,
    report: (event: ReconcileEvent) => void,
  ): Promise<void> {
    const key = record.key;
    const price = options.prices?.[record.symbol];
    if (record.state === 'pending') {
      const now = this.#host.clock.now();
      if (record.owner !== this.#host.owner && !isExpiredClaim(record, now)) return;
      const taken = await takeOverExpiredClaim(this.#host.store, key, this.#host.owner, now, this.#host.leaseMs, { reclaimOwn: true });
      if (taken === undefined) return;
      const entry = this.#host.entryFromRecord(taken);
      entry.version = taken.version;
      const found = await this.#lookupOrder(entry, open, canList);
      if (found?.status === 'filled') {
        entry.state = 'triggered';
        entry.order = found;
        await this.#host.write(entry);
        this.#host.stops.set(key, entry);
        report({ key, action: 'finalized', order: found, detail: 'The pending stop had already filled' });
        return;
      }
      if (found === undefined && this.#crossed(entry, price)) {
        // Placing a stop the market already crossed would only be refused: the gap path.
        this.#gapOnRecovery(entry, price!, report);
        return;
      }
      let order = found;
      if (order === undefined) {
        try {
          order = (await this.#host.placeInitial(entry, false)) ?? undefined;
        } catch (error) {
          if (!(error instanceof WouldTriggerError)) throw error;
          this.#gapOnRecovery(entry, entry.policy.stopPrice, report);
          return;
        }
      }
      entry.order = order ?? null;
      if (order !== undefined) {
        entry.syncedStopPrice = order.stopPrice;
        entry.syncedQuantity = entry.quantity;
      }
      entry.state = entry.policy.activated ? 'active' : 'waiting';
      const outcome = await this.#host.write(entry);
      if (outcome === 'gone') {
        if (order !== undefined && found === undefined) await this.#host.compensate(key, order, 'removed');
        return;
      }
      this.#host.publish(entry);
      report({
        key,
        action: found !== undefined ? 'adopted' : 'resumed',
        order: order ?? null,
        detail: found !== undefined ? "Found the pending claim's order by client order id" : "Placed the pending claim's order under its client order id",
      });
      return;
    }
    this.#loadRecord(record);
    const entry = this.#host.stops.get(key);
    if (entry === undefined || entry.positionId !== record.positionId || !entry.live || entry.sync.running) return;
    if (entry.order !== null && entry.parameters.mode !== 'emulated') {
      // Ask the venue first: a filled stop is finalized, an open one is the venue's to fire.
      const venueOrder = await this.#lookupOrder(entry, open, canList);
      if (venueOrder?.status === 'filled') {
        entry.state = 'triggered';
        entry.policy.triggered = true;
        this.#host.unfollow(entry);
        await this.#host.write(entry);
        report({ key, action: 'finalized', order: venueOrder, detail: 'The stop order had filled' });
        return;
      }
      if (venueOrder !== undefined && venueOrder.status !== 'cancelled') {
        const expectedSide = entry.side === 'long' ? 'sell' : 'buy';
        if (venueOrder.side !== expectedSide || venueOrder.quantity !== entry.quantity) {
          report({
            key,
            action: 'mismatch',
            order: venueOrder,
            detail: `Venue order is ${venueOrder.side} ${venueOrder.quantity}; the record expects ${expectedSide} ${entry.quantity}`,
          });
        }
        return;
      }
      if (entry.parameters.mode === 'native') return;
      if (this.#crossed(entry, price)) {
        this.#gapOnRecovery(entry, price!, report);
        return;
      }
      report({ key, action: 'replaced', order: entry.order, detail: 'The stop order vanished from the venue; placing it again' });
      // A fresh client order id: the vanished order's id is spent.
      entry.order = null;
      entry.syncedStopPrice = Number.NaN;
      entry.sequence += 1;
      entry.sync.request();
      await entry.sync.idle();
      return;
    }
    if (this.#crossed(entry, price)) {
      this.#gapOnRecovery(entry, price!, report);
      return;
    }
    if (entry.parameters.mode === 'exchange' && entry.policy.stopPrice === entry.policy.stopPrice) {
      entry.sync.request();
      await entry.sync.idle();
    }
  }

  /** True when `price` (if known) has crossed the entry's stop. */
  #crossed(entry: StopEntry, price: number | undefined): boolean {
    const stop = entry.policy.stopPrice;
    return price !== undefined && stop === stop && entry.policy.direction * (price - stop) <= 0;
  }

  /** A recovered stop the market already crossed: trigger it (gap), never loop on refused orders. */
  #gapOnRecovery(entry: StopEntry, price: number, report: (event: ReconcileEvent) => void): void {
    entry.policy.triggered = true;
    this.#host.stops.set(entry.key, entry);
    report({ key: entry.key, action: 'gap', order: entry.order, detail: `The price ${price} already crossed the stop ${entry.policy.stopPrice}` });
    this.#host.trigger(entry, price);
  }

  /** Drops stops that were in memory before this pass and whose record is gone or another position's. */
  #forgetRemovedElsewhere(known: Set<StopEntry>, records: StopRecord[]): void {
    const byKey = new Map(records.map((record) => [record.key, record]));
    for (const entry of known) {
      if (this.#host.stops.get(entry.key) !== entry || entry.retiring || entry.sync.running || this.#host.isCreating(entry.key)) continue;
      const record = byKey.get(entry.key);
      if (record !== undefined && record.positionId === entry.positionId) continue;
      this.#host.removedElsewhere(entry, entry.state === 'triggered' ? null : entry.order);
    }
  }

  /** The venue's view of the entry's current order: from the open list, else by lookup. */
  async #lookupOrder(entry: StopEntry, open: Map<string, StopOrder>, canList: boolean): Promise<StopOrder | undefined> {
    const clientOrderId = entry.order?.clientOrderId ?? entry.clientOrderId;
    const listed = open.get(clientOrderId);
    if (listed !== undefined) return listed;
    if (this.#host.placer.findStop !== undefined) {
      return this.#host.gateway.findStop(entry.symbol, clientOrderId, entry.key);
    }
    return canList ? undefined : entry.order ?? undefined;
  }

  /**
   * Cancels open orders carrying this registry's prefix that no record or creation accounts for.
   * Orders that may belong to a record it could not read are left alone and reported: a damaged
   * row must never cost a position its protection.
   */
  async #sweepOrphans(open: StopOrder[], unreadable: (string | undefined)[], report: (event: ReconcileEvent) => void): Promise<void> {
    if (unreadable.includes(undefined)) {
      this.#host.logger.warn('Orphan sweep skipped: a record without a readable key may own any order');
      return;
    }
    const unreadableFragments = new Set(unreadable.map((key) => clientOrderIdKeyFragment(key!)));
    const records = new Map<string, StopRecord>();
    for (const record of await this.#host.store.list()) {
      if (findRecordProblem(record) === undefined) records.set(clientOrderIdBaseOf(record.clientOrderId), record);
    }
    for (const order of open) {
      if (!hasClientOrderIdPrefix(order.clientOrderId, this.#host.clientOrderIdPrefix)) continue;
      const base = clientOrderIdBaseOf(order.clientOrderId);
      const sequence = Number.parseInt(order.clientOrderId.slice(base.length + 1), 36);
      const record = records.get(base);
      if (record !== undefined && record.order?.id === order.id) continue;
      if (record !== undefined && (record.state === 'pending' || record.state === 'waiting' || record.state === 'active')) {
        // The record's current id, or a newer one (a move in flight elsewhere), is not an orphan.
        if (sequence === 0 || sequence >= record.sequence) continue;
      }
      if (this.#isBusy(base)) continue;
      if (record === undefined && unreadableFragments.has(base.split('-')[1] ?? '')) {
        report({ key: undefined, action: 'mismatch', order, detail: 'Open order may belong to a record that could not be read; left alone' });
        continue;
      }
      await this.#host.gateway.cancelStop(order, record?.key ?? '*');
      report({ key: record?.key, action: 'orphanCancelled', order, detail: "Open order with this registry's prefix and no record" });
    }
  }

  /** True when this registry is creating or moving the position with this client order id base. */
  #isBusy(base: string): boolean {
    for (const entry of this.#host.stops.values()) {
      if (entry.clientOrderIdBase === base && entry.sync.running) return true;
    }
    return this.#host.isCreatingBase(base);
  }
}

/** The key of a record that failed validation, when it has a readable one. */
function readableKey(record: unknown): string | undefined {
  const key = (record as { key?: unknown } | null)?.key;
  return typeof key === 'string' ? key : undefined;
}
