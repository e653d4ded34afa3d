/**
 * The reconciler: makes the store, the registry's memory and the exchange agree after a restart,
 * a crash of another process, or a hand edit on the venue (docs/design.md section 10). It resolves
 * pending claims by client order id (never a second order), re-places vanished stops under a fresh
 * id, finalizes filled ones, takes the gap path for stops the market already crossed, sweeps
 * orphans carrying this registry's prefix, and forgets stops removed elsewhere. Every action is
 * reported (`reconciled` event); nothing here holds a lock across exchange I/O.
 */
import type { StopOrder } from '../ports/order-placer.js';
import type { StateStore, StopRecord } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { StoreError, TrailingStopError, WouldTriggerError } from '../errors.js';
import type { CorruptRecordEvent, ErrorContext, ReconcileEvent } from '../events.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { WriteOutcome } from '../exchange/stop-synchronizer.js';
import type { StopBook } from '../stop/stop-book.js';
import type { StopEntry } from '../stop/stop-entry.js';
import { isSameStop, mergeRecord } from '../stop/stop-record.js';
import { clientOrderIdBaseOf, clientOrderIdKeyFragment, hasClientOrderIdPrefix } from '../domain/client-order-id.js';
import { isExpiredClaim, takeOverExpiredClaim } from './lease.js';
import { findRecordProblem } from './record-validation.js';
import { needsVenueOrder, planRecovery } from './recovery-plan.js';
import { isFinished } from '../domain/position.js';

/** What {@link TrailingStopRegistry.restore} did. */
export interface RestoreReport {
  /** Keys loaded into memory. */
  readonly restored: string[];
  /** Records skipped because they could not be read. */
  readonly corrupt: { readonly key: string | undefined; readonly reason: string }[];
  /**
   * What reconciliation did (when the placer can look orders up); `undefined` also when it failed
   * as a whole (then `reconcileError` says why): the restore itself still resolves.
   */
  readonly reconciliation: ReconcileReport | undefined;
  /** Why reconciliation failed as a whole, when it did (also reported as an `error` event). */
  readonly reconcileError?: TrailingStopError;
}

/** What {@link TrailingStopRegistry.reconcile} did; each item also fired a `reconciled` event. */
export interface ReconcileReport {
  /** Every action taken or difference reported. */
  readonly actions: ReconcileEvent[];
  /**
   * Symbols whose open orders could not be listed (a bad or delisted symbol, a timeout): their
   * stops were left as they were this pass, each failure also reported as an `error` event.
   */
  readonly failedSymbols: { readonly symbol: string; readonly error: TrailingStopError }[];
}

/** Options of {@link TrailingStopRegistry.restore} and {@link TrailingStopRegistry.reconcile}. */
export interface ReconcileOptions {
  /** Current prices by symbol: a restored stop the price already crossed takes the gap path. */
  readonly prices?: Readonly<Record<string, number>>;
}

/** Builds an entry from a stored record. */
export interface RecordEntries {
  fromRecord(record: StopRecord): StopEntry;
}

/** The store writes recovery makes (the registry's record writer). */
export interface RecoveryWrites {
  write(entry: StopEntry): Promise<WriteOutcome>;
  compensate(key: string, order: StopOrder, reason: 'race-lost' | 'removed'): Promise<void>;
}

/** The end states recovery may put a stop in (the registry's endings). */
export interface RecoveryEndings {
  trigger(entry: StopEntry, price: number): void;
  removedElsewhere(entry: StopEntry, orphan: StopOrder | null): void;
}

/** Where recovery reports. */
export interface RecoveryReports {
  reconciled(event: ReconcileEvent): void;
  corrupt(event: CorruptRecordEvent): void;
  error(error: TrailingStopError, context: ErrorContext): void;
}

/** What the reconciler needs. */
export interface ReconcilerOptions {
  readonly store: StateStore;
  readonly gateway: ExchangeGateway;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly owner: string;
  readonly leaseMs: number;
  readonly clientOrderIdPrefix: string;
  /** The registry's stops in memory. */
  readonly book: StopBook;
  readonly entries: RecordEntries;
  readonly writes: RecoveryWrites;
  readonly endings: RecoveryEndings;
  readonly reports: RecoveryReports;
}

/** See the module comment. One per registry. */
export class Reconciler {
  readonly #options: ReconcilerOptions;
  /**
   * Newer orders of another registry's live stop seen by the last sweep, with the record version
   * then: one still there, on an unchanged record, at the next sweep was stranded by a crash.
   */
  #newerSeen = new Map<string, number>();

  constructor(options: ReconcilerOptions) {
    this.#options = options;
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
      if (this.#loadRecord(record)) restored.push(record.key);
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
    const { open, failedSymbols } = await this.#listOpen([...symbols]);
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
    if (open !== undefined) await this.#sweepOrphans(open, unreadable, report);
    return { actions, failedSymbols };
  }

  /**
   * The venue's open stops, one request per symbol (each with its own timeout, under the
   * concurrency bound): a symbol that fails is reported and left out, the others still count.
   * `open` is `undefined` when the placer cannot list.
   */
  async #listOpen(symbols: string[]): Promise<{ open: StopOrder[] | undefined; failedSymbols: ReconcileReport['failedSymbols'] }> {
    const { gateway, reports } = this.#options;
    if (gateway.placer.openStops === undefined) return { open: undefined, failedSymbols: [] };
    // With no symbol known, one request without symbols: venues that list every symbol answer it.
    const batches = symbols.length === 0 ? [[]] : symbols.map((symbol) => [symbol]);
    const results = await Promise.allSettled(batches.map((batch) => gateway.openStops(batch)));
    const open: StopOrder[] = [];
    const failedSymbols: { symbol: string; error: TrailingStopError }[] = [];
    results.forEach((result, index) => {
      const symbol = batches[index]![0];
      if (result.status === 'fulfilled') {
        open.push(...(result.value ?? []));
        return;
      }
      if (symbol === undefined) throw result.reason;
      const error =
        result.reason instanceof TrailingStopError ? result.reason : new StoreError(`Listing the open stops of ${symbol} failed`, { cause: result.reason });
      failedSymbols.push({ symbol, error });
      reports.error(error, { operation: 'reconcile' });
    });
    return { open: dedupe(open), failedSymbols };
  }

  /** Puts a sound, non-pending record into memory. Returns true when memory changed. */
  #loadRecord(record: StopRecord): boolean {
    const { book, entries } = this.#options;
    const existing = book.get(record.key);
    const now = this.#options.clock.now();
    if (existing !== undefined && isSameStop(existing, record)) {
      existing.confirmedAt = now;
      if (record.version <= existing.version) return false;
      mergeRecord(existing, record);
      if (!existing.live) book.unfollow(existing);
      return true;
    }
    if (existing !== undefined) {
      existing.sync.cancel();
      book.unfollow(existing);
    }
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
      await this.#resolveClaim(record, open, canList, price, report);
      return;
    }
    this.#loadRecord(record);
    const entry = this.#options.book.get(record.key);
    if (entry === undefined || !isSameStop(entry, record) || !entry.live || entry.sync.running) return;
    entry.spentThrough = Math.max(entry.spentThrough, highestSequenceOf(open, entry.clientOrderIdBase));
    const lookup = needsVenueOrder(false, entry.parameters.mode, entry.order !== null);
    const venueOrder = lookup ? await this.#lookupOrder(entry, open, canList) : undefined;
    const action = planRecovery(situationOf(entry, false, venueOrder, price));
    switch (action) {
      case 'finalize':
        // The venue filled the stop: finalized, not re-placed.
        entry.trigger();
        this.#options.book.unfollow(entry);
        await this.#options.writes.write(entry);
        report({ key: entry.key, action: 'finalized', order: venueOrder!, detail: 'The stop order had filled' });
        return;
      case 'mismatch':
        report({
          key: entry.key,
          action: 'mismatch',
          order: venueOrder!,
          detail: `Venue order is ${venueOrder!.side} ${venueOrder!.quantity}; the record expects ${entry.closingSide} ${entry.quantity}`,
        });
        return;
      case 'gap':
        this.#gapOnRecovery(entry, price!, report);
        return;
      case 'replace':
        report({ key: entry.key, action: 'replaced', order: entry.order, detail: 'The stop order vanished from the venue; placing it again' });
        // A fresh client order id: the vanished order's id is spent.
        entry.orderVanished();
        entry.sync.request();
        await entry.sync.idle();
        return;
      case 'sync':
        entry.sync.request();
        await entry.sync.idle();
        return;
      default:
        return;
    }
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
        if (!(error instanceof WouldTriggerError)) throw error;
        this.#gapOnRecovery(entry, entry.stopPrice, report);
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

  /**
   * Cancels open orders carrying this registry's prefix that no record or creation accounts for.
   * Orders that may belong to a record it could not read are left alone and reported: a damaged
   * row must never cost a position its protection.
   */
  async #sweepOrphans(open: StopOrder[], unreadable: (string | undefined)[], report: (event: ReconcileEvent) => void): Promise<void> {
    const { store, gateway, logger, clientOrderIdPrefix, owner } = this.#options;
    if (unreadable.includes(undefined)) {
      logger.warn('Orphan sweep skipped: a record without a readable key may own any order');
      return;
    }
    const unreadableFragments = new Set(unreadable.map((key) => clientOrderIdKeyFragment(key!)));
    const records = new Map<string, StopRecord>();
    for (const record of await store.list()) {
      if (findRecordProblem(record) === undefined) records.set(clientOrderIdBaseOf(record.clientOrderId), record);
    }
    const openIds = new Set(open.map((order) => order.id));
    const newerSeen = new Map<string, number>();
    for (const order of open) {
      if (!hasClientOrderIdPrefix(order.clientOrderId, clientOrderIdPrefix)) continue;
      const base = clientOrderIdBaseOf(order.clientOrderId);
      const sequence = Number.parseInt(order.clientOrderId.slice(base.length + 1), 36);
      const record = records.get(base);
      if (record !== undefined && record.order?.id === order.id) continue;
      if (record !== undefined && (record.state === 'pending' || record.state === 'waiting' || record.state === 'active')) {
        if (sequence === 0) continue;
        if (sequence >= record.sequence) {
          // A newer id than the record's is a move in flight, unless the move can no longer finish:
          // the recorded order still protects, and either the record is this registry's and it is
          // not moving the stop, or the same order sat on an unchanged record one sweep ago.
          const protectedByRecord = record.order !== null && openIds.has(record.order.id);
          const ownIdle = record.owner === owner && !this.#isBusy(base);
          const seenUnchanged = this.#newerSeen.get(order.id) === record.version;
          if (!protectedByRecord || !(ownIdle || seenUnchanged)) {
            newerSeen.set(order.id, record.version);
            continue;
          }
        }
      }
      if (this.#isBusy(base)) continue;
      if (record === undefined && unreadableFragments.has(base.split('-')[1] ?? '')) {
        report({ key: undefined, action: 'mismatch', order, detail: 'Open order may belong to a record that could not be read; left alone' });
        continue;
      }
      await gateway.cancelStop(order, record?.key ?? '*');
      report({
        key: record?.key,
        action: 'orphanCancelled',
        order,
        detail: record === undefined ? "Open order with this registry's prefix and no record" : 'Open order of the stop that its record no longer names (a stranded or superseded order)',
      });
    }
    this.#newerSeen = newerSeen;
  }

  /** True when this registry is creating or moving the position with this client order id base. */
  #isBusy(base: string): boolean {
    const book = this.#options.book;
    for (const entry of book.entries()) {
      if (entry.clientOrderIdBase === base && entry.sync.running) return true;
    }
    return book.isCreatingBase(base);
  }
}

/** `orders` without repeats (a venue that lists every symbol at once answers each request with all). */
function dedupe(orders: StopOrder[]): StopOrder[] {
  const seen = new Map<string, StopOrder>();
  for (const order of orders) seen.set(order.id, order);
  return [...seen.values()];
}

/** The highest client order id sequence among the open orders of one position's id base (0: none). */
function highestSequenceOf(open: Map<string, StopOrder>, base: string): number {
  let highest = 0;
  for (const clientOrderId of open.keys()) {
    if (clientOrderIdBaseOf(clientOrderId) !== base) continue;
    const sequence = Number.parseInt(clientOrderId.slice(base.length + 1), 36);
    if (sequence > highest) highest = sequence;
  }
  return highest;
}

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
