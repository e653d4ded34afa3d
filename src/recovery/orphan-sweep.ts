/**
 * The orphan sweep of reconciliation: cancels open orders carrying this registry's client order id
 * prefix that no record or creation accounts for, and the stranded newer order a crash in the
 * middle of a move left beside a live stop's recorded one (a tighter one is adopted instead, by a
 * registry that holds the stop, and never cancelled by another). Orders that may belong to a
 * record it could not read are left alone and reported.
 */
import type { StopOrder } from '../ports/order-placer.js';
import type { StopRecord } from '../ports/state-store.js';
import type { ReconcileEvent } from '../events.js';
import { clientOrderIdBaseOf, clientOrderIdSequenceOf, clientOrderIdKeyFragment, hasClientOrderIdPrefix } from '../domain/client-order-id.js';
import { findRecordProblem } from './record-validation.js';
import { isLiveState } from '../domain/position.js';
import type { ReconcilerOptions } from './types.js';

/** See the module comment. One per reconciler: it remembers what the last sweep saw. */
export class OrphanSweep {
  readonly #options: ReconcilerOptions;
  /**
   * Newer orders of another registry's live stop seen by the last sweep, with the record version
   * then: one still there, on an unchanged record, at the next sweep was stranded by a crash.
   */
  #newerSeen = new Map<string, number>();

  constructor(options: ReconcilerOptions) {
    this.#options = options;
  }

  /**
   * Cancels open orders carrying this registry's prefix that no record or creation accounts for.
   * Orders that may belong to a record it could not read are left alone and reported: a damaged
   * row must never cost a position its protection.
   */
  async run(open: StopOrder[], unreadable: (string | undefined)[], report: (event: ReconcileEvent) => void): Promise<void> {
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
      // Not ours, or cancelled by this registry since the listing (a move of this pass).
      if (!hasClientOrderIdPrefix(order.clientOrderId, clientOrderIdPrefix) || gateway.cancelledHere(order.clientOrderId)) continue;
      const base = clientOrderIdBaseOf(order.clientOrderId);
      const sequence = clientOrderIdSequenceOf(order.clientOrderId);
      const record = records.get(base);
      if (record !== undefined && record.order?.id === order.id) continue;
      if (record !== undefined && (record.state === 'pending' || isLiveState(record.state))) {
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
          // A stranded newer order that is tighter is the move that did not finish: keep it, and
          // cancel the recorded one, so the stop never loosens (I5).
          if (await this.#adoptStranded(record, order, sequence, report)) continue;
          // Not adoptable here (this registry does not hold the stop, or is busy with it): a tighter
          // newer order is never cancelled while the looser recorded one stays (I5); a registry
          // that holds the stop adopts it on its next pass.
          const direction = record.side === 'long' ? 1 : -1;
          if (direction * (order.stopPrice - record.order!.stopPrice) > 0) {
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

  /**
   * Makes a stranded newer order the stop's order when it is tighter than the recorded one and this
   * registry holds the stop; the recorded order is then cancelled. False when it does not apply.
   */
  async #adoptStranded(record: StopRecord, order: StopOrder, sequence: number, report: (event: ReconcileEvent) => void): Promise<boolean> {
    const { book, writes } = this.#options;
    const entry = book.get(record.key);
    const old = entry?.order ?? null;
    if (entry === undefined || !entry.live || entry.sync.running || old === null || old.id !== record.order?.id) return false;
    if (entry.positionId !== record.positionId || entry.direction * (order.stopPrice - old.stopPrice) <= 0) return false;
    entry.sequence = Math.max(entry.sequence, sequence);
    entry.spentThrough = Math.max(entry.spentThrough, sequence);
    if (entry.direction * (order.stopPrice - entry.stopPrice) > 0) entry.stopPrice = order.stopPrice;
    entry.placed(order, order.stopPrice, order.quantity);
    if ((await writes.write(entry)) === 'gone') return true;
    await writes.compensate(entry.key, old, 'race-lost');
    report({ key: entry.key, action: 'adopted', order, detail: 'Kept the tighter order of a move a crash left unfinished; cancelled the recorded one' });
    return true;
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
