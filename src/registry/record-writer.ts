/**
 * The record writer: every store write of a stop is a compare-and-set on its version (I4), one at a
 * time per stop. On a conflict with the same position the newer stored state is merged in (the
 * stop never loosens) and the write retried on top of it; when both registries hold a live order,
 * the looser one is cancelled. Also the compensation of orders nothing may keep, and the
 * version-guarded delete of a removed stop's record.
 */
import type { StopOrder } from '../ports/order-placer.js';
import type { StateStore, StopRecord } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import { PlacementError, StoreConflictError, TrailingStopError } from '../errors.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { StopPersistence, WriteOutcome } from '../exchange/stop-synchronizer.js';
import type { StopEntry } from '../stop/stop-entry.js';
import { isSameStop, mergeRecord, recordOf } from '../stop/stop-record.js';
import type { Reporter } from './reporter.js';
import type { OwedWork } from './owed-work.js';
import type { WorkTracker } from './work-tracker.js';
import type { CompensationReason } from './reporter.js';

/** What the writer needs. */
export interface RecordWriterOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly owner: string;
  readonly gateway: ExchangeGateway;
  readonly reporter: Reporter;
  readonly owed: OwedWork;
  readonly work: WorkTracker;
}

/** See the module comment. */
export class RecordWriter implements StopPersistence {
  readonly #options: RecordWriterOptions;
  /** Per key, the version of the last record this registry deleted (newest keys kept, bounded). */
  /** Per key, the last record this registry deleted: its version and which stop it was. */
  readonly #deletedVersions = new Map<string, { readonly version: number; readonly positionId: string; readonly createdAt: number }>();

  constructor(options: RecordWriterOptions) {
    this.#options = options;
  }

  /**
   * Writes the entry's state as the next version (compare-and-set), one write per entry at a
   * time. `gone` when the record was removed or belongs to another position, or the stop was
   * removed here meanwhile; `conflict` when it kept changing under five tries.
   */
  write(entry: StopEntry, overrides: Partial<StopRecord> = {}): Promise<WriteOutcome> {
    const run = entry.writes.then(async (): Promise<WriteOutcome> => {
      const { store, clock, owner, reporter } = this.#options;
      for (let attempt = 0; attempt < 5; attempt++) {
        // A removed stop writes nothing: its record was deleted, and the version it would write
        // on may already be another position's claim (a write queued or retried across a removal).
        if (entry.state === 'closed') return 'gone';
        const now = clock.now();
        const next = recordOf(entry, entry.version + 1, owner, now, overrides);
        const result = await store.compareAndSet(next, entry.version);
        if (result.updated) {
          entry.version = next.version;
          entry.recordedOrderId = next.order?.id ?? null;
          entry.owner = owner;
          entry.updatedAt = now;
          entry.confirmedAt = now;
          return 'written';
        }
        const current = result.current;
        if (current === undefined || !isSameStop(entry, current)) return 'gone';
        reporter.counters.racesLost++;
        const mine = entry.order;
        const mySequence = entry.sequence;
        const theirs = current.order;
        mergeRecord(entry, current);
        let kept = mine ?? theirs;
        if (mine !== null && theirs !== null && theirs.id !== mine.id && theirs.status !== 'cancelled') {
          // Another registry moved the same stop: both orders are live; keep the tighter one.
          const keepMine = entry.direction * (mine.stopPrice - theirs.stopPrice) >= 0;
          await this.compensate(entry.key, keepMine ? theirs : mine, 'race-lost');
          kept = keepMine ? mine : theirs;
        }
        if (mine !== null && theirs !== null && theirs.id === mine.id) {
          // Two snapshots of one order, taken before and after an amend landed (here or there): the
          // library's amends only tighten, so the tighter one is the newer (an order loosened by hand
          // meanwhile is found by the next reconciliation).
          kept = entry.direction * (mine.stopPrice - theirs.stopPrice) >= 0 ? mine : theirs;
        }
        if (kept === mine) entry.sequence = mySequence;
        entry.useOrder(kept);
      }
      return 'conflict';
    });
    entry.writes = run.catch(() => undefined);
    return run;
  }

  /**
   * Re-reads the stop's record and merges newer state (another registry moved it). `gone` when the
   * record vanished or belongs to another position.
   */
  async refresh(entry: StopEntry): Promise<'ok' | 'gone'> {
    const record = await this.#options.store.load(entry.key);
    if (record === undefined || !isSameStop(entry, record)) return 'gone';
    if (record.version > entry.version) mergeRecord(entry, record);
    entry.confirmedAt = this.#options.clock.now();
    return 'ok';
  }

  /**
   * Cancels an order nothing may keep (lost race, removal meanwhile, the old half of a move).
   * Never rejects: after the gateway's retry budget fails it reports an error, and the cancel is
   * owed (retried in the background until it succeeds or the registry closes).
   */
  compensate(key: string, order: StopOrder, reason: Exclude<CompensationReason, 'late-answer'>): Promise<void> {
    const work = this.#cancelOrOwe(key, order, reason);
    this.#options.work.track(work);
    return work;
  }

  async #cancelOrOwe(key: string, order: StopOrder, reason: Exclude<CompensationReason, 'late-answer'>): Promise<void> {
    const { gateway, reporter, owed } = this.#options;
    try {
      await gateway.cancelStop(order, key);
      reporter.compensated(key, order, reason);
      return;
    } catch (error) {
      reporter.error(asTrailingStopError(error, `Could not cancel order ${order.id}; retrying in the background`, key), {
        operation: 'compensate',
        key,
      });
    }
    owed.owe(
      async () => {
        await gateway.cancelStop(order, key);
        reporter.compensated(key, order, reason);
      },
      (error, tries) => reporter.logger.error('An owed cancel failed again; an order nothing may keep is still live', { key, order: order.id, tries, message: String(error) }),
    );
  }

  /**
   * A write of `entry` failed: it is owed, retried in the background until the store takes it, the
   * stop is removed, or the registry closes (then memory and store agree again, I4).
   */
  oweWrite(entry: StopEntry, onGone: () => void): void {
    const { owed, reporter } = this.#options;
    owed.owe(
      async () => {
        // A stop removed before or during the attempt was cleaned up by its removal.
        const removed = () => entry.state === 'closed';
        if (removed()) return;
        if ((await this.write(entry)) === 'gone' && !removed()) onGone();
      },
      (error, tries) => reporter.logger.warn('An owed store write failed again', { key: entry.key, tries, message: String(error) }),
    );
  }

  /**
   * The version of the last record of `key` this registry deleted (0: none known). A new stop for
   * the key starts past it: a stale writer of the deleted stop, whose compare-and-set expects one of
   * its versions, can then never land on the new record.
   */
  deletedVersion(key: string): number {
    return this.#deletedVersions.get(key)?.version ?? 0;
  }

  /**
   * True when `record` is (a version of) the stop whose record this registry deleted last for its
   * key: a listing read before that delete must not bring the removed stop back into memory.
   */
  wasDeleted(record: StopRecord): boolean {
    const deleted = this.#deletedVersions.get(record.key);
    return deleted !== undefined && isSameStop(deleted, record) && record.version <= deleted.version;
  }

  #noteDeleted(record: StopRecord, version: number): void {
    const deleted = this.#deletedVersions;
    const key = record.key;
    const highest = Math.max(version, this.deletedVersion(key));
    // Re-inserted, so the newest keys are the ones kept.
    deleted.delete(key);
    deleted.set(key, { version: highest, positionId: record.positionId, createdAt: record.createdAt });
    if (deleted.size > rememberedDeletes) deleted.delete(deleted.keys().next().value!);
  }

  /**
   * A claim whose insert answered an error, and whose read-back failed too, may have landed: it
   * would stay pending with nobody working on it (other registries wait for its lease). Its
   * release is owed: once the store answers, the claim is deleted if it is still this very one
   * (same owner, stop, client order id and version; a creation that took it back since bumped it).
   */
  oweClaimRelease(claim: StopRecord): void {
    const { store, owed, reporter } = this.#options;
    owed.owe(
      async () => {
        const current = await store.load(claim.key);
        if (current === undefined || current.state !== 'pending' || current.version !== claim.version) return;
        if (current.owner !== claim.owner || current.clientOrderId !== claim.clientOrderId || !isSameStop(claim, current)) return;
        await store.delete(claim.key, claim.version);
      },
      (error, tries) => reporter.logger.warn('An owed release of an abandoned claim failed again', { key: claim.key, tries, message: String(error) }),
    );
  }

  /**
   * Writes like {@link write}; when the store fails, the write is owed (see {@link oweWrite}) and
   * the failure rethrown for the caller to report: memory already holds the change, so the store
   * must catch up (I4).
   */
  async writeOrOwe(entry: StopEntry, onGone: () => void): Promise<WriteOutcome> {
    try {
      return await this.write(entry);
    } catch (error) {
      this.oweWrite(entry, onGone);
      throw error;
    }
  }

  /**
   * The clean-up of a finished stop's record failed (its read or its delete): it is owed, and
   * `attempt` (which reads the record again) is retried until the store takes it.
   */
  oweDelete(key: string, attempt: () => Promise<void>): void {
    const { owed, reporter } = this.#options;
    owed.owe(attempt, (error, tries) => reporter.logger.warn('An owed record delete failed again', { key, tries, message: String(error) }));
  }

  /**
   * Deletes the record, guarded by version; on a conflict re-reads and tries again, cancelling an
   * order a newer version of the same position names. Resolves the version deleted (the key's
   * next record must go on past it), or `undefined` when the record was gone already.
   */
  async deleteRecord(key: string, record: StopRecord): Promise<number | undefined> {
    const { store, gateway } = this.#options;
    let current: StopRecord | undefined = record;
    for (let attempt = 0; attempt < 5 && current !== undefined; attempt++) {
      if (await store.delete(key, current.version)) {
        this.#noteDeleted(current, current.version);
        return current.version;
      }
      const latest: StopRecord | undefined = await store.load(key);
      if (latest === undefined || !isSameStop(record, latest)) return undefined;
      if (latest.order !== null && latest.order.id !== current.order?.id) {
        await gateway.cancelStop(latest.order, key);
      }
      current = latest;
    }
    throw new StoreConflictError(`Could not delete the record for ${key}: it kept changing`, { key });
  }
}

/** Keys whose last deleted version the writer remembers. */
const rememberedDeletes = 10_000;

/** `error` as the library's typed error (a {@link PlacementError} wrapping anything else). */
function asTrailingStopError(error: unknown, message: string, key: string): TrailingStopError {
  return error instanceof TrailingStopError ? error : new PlacementError(message, { cause: error, key });
}
