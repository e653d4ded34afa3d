/**
 * The creation protocol (docs/design.md section 4), in protocol order:
 * 1. check (synchronous): a live stop for the key is returned, a creation in flight is joined;
 * 2. claim: an atomic insert of a `pending` record with a lease, or find who owns the key;
 * 3. work: the first order, placed outside any lock under the concurrency bound;
 * 4. double-check: compare-and-set `pending` -> `waiting`/`active`; a lost race cancels what this
 *    registry placed (compensation) and adopts the winner's stop;
 * 5. publish: the stop becomes visible and follows prices.
 */
import type { StopOrder } from '../ports/order-placer.js';
import type { StateStore, StopRecord } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import {
  ClaimBusyError,
  ClientOrderIdUsedError,
  ClosedError,
  PlacementError,
  RemovedError,
  StopConflictError,
  StoreError,
  TrailingStopError,
  WouldTriggerError,
} from '../errors.js';
import { isFinished } from '../domain/position.js';
import type { ValidatedSpec } from '../policy/create-spec.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import { differingPositionFields, type StopBook, type Flight, type PositionFields } from '../stop/stop-book.js';
import type { StopEntry } from '../stop/stop-entry.js';
import { isSameStop, mergeRecord, recordOf } from '../stop/stop-record.js';
import { isExpiredClaim, takeOverExpiredClaim } from '../recovery/lease.js';
import type { RecordWriter } from './record-writer.js';
import type { Reporter } from './reporter.js';
import type { StopEndings } from './stop-endings.js';
import type { StopFactory } from './stop-factory.js';
import type { WorkTracker } from './work-tracker.js';

/** What the protocol needs. */
export interface CreationOptions {
  readonly book: StopBook;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly gateway: ExchangeGateway;
  readonly owner: string;
  readonly leaseMs: number;
  readonly claimPollMs: number;
  /** See `revalidateAfterMs` in the registry options. */
  readonly revalidateAfterMs: number;
  /** True while the store's watch keeps memory confirmed (then no time-based re-read is needed). */
  readonly watching: () => boolean;
  readonly factory: StopFactory;
  readonly writer: RecordWriter;
  readonly endings: StopEndings;
  readonly reporter: Reporter;
  readonly work: WorkTracker;
  /** True once the registry closed: a claim loop stops. */
  readonly closed: () => boolean;
  /** Told when a stop's first order is confirmed and published (the order stream may have spoken first). */
  readonly placed?: (entry: StopEntry) => void;
}

type Claim =
  | { readonly kind: 'claimed'; readonly record: StopRecord; readonly takeover: boolean }
  | { readonly kind: 'adopt'; readonly record: StopRecord };

/** See the module comment. */
export class CreationProtocol {
  readonly #options: CreationOptions;

  constructor(options: CreationOptions) {
    this.#options = options;
  }

  /**
   * Step 1, synchronous: the live stop `input` may reuse (same key, and same position when named),
   * when this registry confirmed it with the store lately; a stop not confirmed lately is re-read
   * by {@link start} first (another registry may have removed or replaced it). Throws
   * {@link StopConflictError} when the live stop protects a different position.
   */
  reusableStop(input: ValidatedSpec): StopEntry | undefined {
    const live = this.#options.book.get(input.key);
    if (live === undefined || !reusable(live, input) || !this.#isFresh(live)) return undefined;
    refuseConflict(live, input);
    return live;
  }

  /**
   * Steps 1-5 for a key with no reusable stop: joins the creation in flight for the same position
   * (single flight), or starts one, after the flight of another position on the key settled.
   * Failures reject (typed) and are reported as `error` events (I6).
   */
  start(input: ValidatedSpec): Promise<StopEntry> {
    const { book, reporter } = this.#options;
    const key = input.key;
    const flight = book.flight(key);
    if (flight !== undefined && (input.positionId === undefined || input.positionId === flight.positionId)) {
      const fields = differingPositionFields(flight.position, positionOf(input));
      if (fields.length > 0) {
        // Joining would answer this caller with another position's stop.
        const conflict = new StopConflictError(key, fields);
        reporter.error(conflict, { operation: 'create', key });
        return Promise.reject(conflict);
      }
      reporter.counters.coalesced++;
      return flight.promise;
    }
    // A different position while one is being created: it starts after that one settles.
    const previous = flight?.promise.catch(() => undefined);
    const promise = (previous === undefined ? this.#run(input) : previous.then(() => (this.#options.closed() ? Promise.reject(new ClosedError()) : this.#run(input)))).then(
      (entry) => {
        book.endFlight(key, current);
        return entry;
      },
      (error: unknown) => {
        book.endFlight(key, current);
        const failure =
          error instanceof TrailingStopError ? error : new PlacementError(`Creating the stop for ${key} failed`, { cause: error, key });
        reporter.error(failure, { operation: 'create', key });
        throw failure;
      },
    );
    const current: Flight = { promise, positionId: input.positionId, position: positionOf(input) };
    book.beginFlight(key, current);
    // Counted from now, not from when it starts: close() waits for a creation queued behind another.
    this.#options.work.track(promise);
    return promise;
  }

  /** Takes another registry's stop into memory (it won the claim). */
  adopt(record: StopRecord): StopEntry {
    const { book, factory, reporter } = this.#options;
    const existing = book.get(record.key);
    if (existing !== undefined && isSameStop(existing, record)) {
      if (record.version > existing.version) mergeRecord(existing, record);
      existing.confirmedAt = this.#options.clock.now();
      return existing;
    }
    const entry = factory.fromRecord(record);
    entry.confirmedAt = this.#options.clock.now();
    book.publish(entry);
    reporter.counters.adopted++;
    return entry;
  }

  async #run(input: ValidatedSpec): Promise<StopEntry> {
    const { book, factory, endings, work } = this.#options;
    return work.run(async () => {
      const key = input.key;
      const previous = book.get(key);
      if (previous !== undefined) {
        if (reusable(previous, input)) {
          if (await this.#confirm(previous)) {
            refuseConflict(previous, input);
            return previous;
          }
        } else if (book.get(key) === previous) {
          await endings.retire(previous, 'replaced');
        }
      }
      let entry = factory.fromSpec(input);
      // Past a record of the key this registry deleted (a removal without the stop in memory).
      entry.version = Math.max(entry.version, this.#options.writer.deletedVersion(key));
      if (previous !== undefined) {
        // Versions of the key go on past the retired stop's, never back to 1: a stale writer's
        // compare-and-set can never land on the new record. The same position again (after it
        // ended) also goes on past its client order ids, which the venue may still know.
        entry.version = Math.max(entry.version, previous.version);
        if (previous.positionId === entry.positionId) entry.sequence = Math.max(entry.sequence, previous.sequence + 1);
      }
      book.markCreating(entry.clientOrderIdBase);
      const claim = await this.#claim(entry, input).finally(() => book.unmarkCreating(entry.clientOrderIdBase));
      if (claim.kind === 'adopt') {
        // Another registry's stop for the key: it serves this caller only for the same position.
        const fields = differingPositionFields(positionOfRecord(claim.record), positionOf(input));
        if (fields.length > 0) throw new StopConflictError(key, fields);
        return this.adopt(claim.record);
      }
      if (!claim.takeover) return await this.#work(entry, claim);
      // A claim taken over is another creation's position (its owner crashed or gave up): it is
      // resolved as claimed, so that position is protected, but it serves this caller only when it
      // is the position asked for.
      const fields = differingPositionFields(positionOfRecord(claim.record), positionOf(input));
      const resolved = await this.#work(factory.fromRecord(claim.record), claim);
      if (fields.length > 0) throw new StopConflictError(key, fields);
      return resolved;
    });
  }

  /** Steps 3-5 for a claim this registry holds: place the first order, double-check, publish. */
  async #work(entry: StopEntry, claim: Extract<Claim, { kind: 'claimed' }>): Promise<StopEntry> {
    const { book, store, clock, owner, reporter } = this.#options;
    entry.version = claim.record.version;
    book.markCreating(entry.clientOrderIdBase);
    let order: StopOrder | null;
    for (let spent = 0; ; spent++) {
      try {
        order = await entry.sync.placeInitial(claim.takeover);
        break;
      } catch (error) {
        // The same position's id was spent by an order that finished before this stop (a record
        // removed since, so nothing here knew): the claim moves on to the next id, then places.
        if (error instanceof ClientOrderIdUsedError && !claim.takeover && spent < 5) {
          let moved;
          try {
            moved = await this.#claimNextSequence(entry);
          } catch (storeError) {
            book.unmarkCreating(entry.clientOrderIdBase);
            return await this.#failed(entry, storeError);
          }
          if (moved.updated) continue;
          book.unmarkCreating(entry.clientOrderIdBase);
          return await this.#lostRace(entry, null, moved.current);
        }
        book.unmarkCreating(entry.clientOrderIdBase);
        return await this.#failed(entry, error);
      }
    }
    // Double-check: pending -> waiting/active, only if nobody changed the claim meanwhile. The
    // stop counts as being created until it is published, so an order update for its order that
    // arrives during this write is held and applied once it is (N9), not dropped.
    if (order !== null) entry.placed(order, entry.stopPrice, entry.quantity, clock.now());
    entry.settle();
    const now = clock.now();
    const next = recordOf(entry, entry.version + 1, owner, now);
    let result;
    try {
      result = await store.compareAndSet(next, entry.version);
    } catch (error) {
      book.unmarkCreating(entry.clientOrderIdBase);
      return this.#doubleCheckFailed(entry, error);
    }
    book.unmarkCreating(entry.clientOrderIdBase);
    if (!result.updated) return await this.#lostRace(entry, order, result.current);
    entry.version = next.version;
    entry.recordedOrderId = next.order?.id ?? null;
    entry.updatedAt = now;
    entry.confirmedAt = now;
    book.publish(entry);
    reporter.counters.created++;
    reporter.stop('created', entry);
    this.#options.placed?.(entry);
    return entry;
  }

  /**
   * Moves this registry's claim to the next client order id (compare-and-set, lease renewed), so
   * the claim always names the id being placed. Not updated when the claim changed meanwhile.
   */
  async #claimNextSequence(entry: StopEntry): Promise<{ readonly updated: true } | { readonly updated: false; readonly current: StopRecord | undefined }> {
    const { store, clock, owner, leaseMs } = this.#options;
    entry.sequence = entry.nextSequence;
    const now = clock.now();
    const next = recordOf(entry, entry.version + 1, owner, now, { state: 'pending', leaseExpiresAt: now + leaseMs });
    const result = await store.compareAndSet(next, entry.version);
    if (!result.updated) return { updated: false, current: result.current };
    entry.version = next.version;
    return { updated: true };
  }

  /** True when this registry confirmed `entry` with the store within `revalidateAfterMs`. */
  #isFresh(entry: StopEntry): boolean {
    if (entry.confirmedAt === Number.NEGATIVE_INFINITY) return false;
    // Strictly within the window: 0 re-reads every time, also within one millisecond.
    return this.#options.watching() || this.#options.clock.now() - entry.confirmedAt < this.#options.revalidateAfterMs;
  }

  /**
   * Re-reads the record of a stop not confirmed lately: true when it is still this stop (newer
   * state merged in); otherwise it was removed or replaced elsewhere and is forgotten here.
   */
  async #confirm(entry: StopEntry): Promise<boolean> {
    if (this.#isFresh(entry)) return true;
    const record = await this.#options.store.load(entry.key);
    if (record !== undefined && isSameStop(entry, record)) {
      if (record.version > entry.version) mergeRecord(entry, record);
      entry.confirmedAt = this.#options.clock.now();
      return reusable(entry, { positionId: undefined });
    }
    if (this.#options.book.get(entry.key) === entry) this.#options.endings.removedElsewhere(entry, entry.order);
    return false;
  }

  /**
   * The double-check write failed in the store (not a conflict): the order protects the position,
   * so the stop is published and the write is owed (retried until the store takes it); the
   * failure is reported as an `error` event.
   */
  #doubleCheckFailed(entry: StopEntry, error: unknown): StopEntry {
    const { book, writer, endings, reporter } = this.#options;
    const key = entry.key;
    book.publish(entry);
    reporter.counters.created++;
    reporter.stop('created', entry);
    const failure = error instanceof TrailingStopError ? error : new StoreError(`Recording the stop for ${key} failed; retrying`, { cause: error, key });
    reporter.error(failure, { operation: 'create', key });
    writer.oweWrite(entry, () => endings.removedElsewhere(entry, entry.order));
    // Updates for its order held while it was being created apply now.
    this.#options.placed?.(entry);
    return entry;
  }

  /** Step 2: claim the key in the store, or find who owns it. */
  async #claim(entry: StopEntry, input: ValidatedSpec): Promise<Claim> {
    const { store, clock, gateway, owner, leaseMs, closed } = this.#options;
    for (;;) {
      if (closed()) throw new ClosedError();
      const now = clock.now();
      const pending = recordOf(entry, entry.version + 1, owner, now, { state: 'pending', leaseExpiresAt: now + leaseMs });
      const result = await this.#insertClaim(pending);
      if (result.inserted) return { kind: 'claimed', record: result.record, takeover: false };
      const existing = result.record;
      const terminal = isFinished(existing.state);
      const otherPosition = input.positionId !== undefined && input.positionId !== existing.positionId;
      if (terminal || otherPosition) {
        // A stale record of a finished (or another) position: clear it, then claim again. The same
        // position starts past the spent client order ids and versions. Its order goes first: a
        // failed or price-triggered stop may still rest on the venue.
        if (existing.positionId === entry.positionId) entry.sequence = Math.max(entry.sequence, existing.sequence + 1);
        // Versions of a key go on past the cleared record, whatever the position: a stale writer's
        // compare-and-set expecting the old record's version can never land on the new one.
        entry.version = Math.max(entry.version, existing.version);
        if (existing.order !== null) await gateway.cancelStop(existing.order, existing.key);
        await store.delete(existing.key, existing.version);
        continue;
      }
      if (existing.state !== 'pending') return { kind: 'adopt', record: existing };
      if (existing.owner === owner || isExpiredClaim(existing, now)) {
        const taken = await takeOverExpiredClaim(store, existing.key, owner, now, leaseMs, { reclaimOwn: true });
        if (taken !== undefined) return { kind: 'claimed', record: taken, takeover: true };
        continue;
      }
      const settled = await this.#waitForClaim(existing);
      if (settled !== undefined) return { kind: 'adopt', record: settled };
    }
  }

  /**
   * Inserts the claim. A store that answered an error may still have committed it: the record is
   * read back, and a pending claim of this very stop (owner and client order id) counts as inserted.
   */
  async #insertClaim(pending: StopRecord): Promise<{ inserted: boolean; record: StopRecord }> {
    const { store, owner, writer } = this.#options;
    try {
      return await store.insert(pending);
    } catch (error) {
      let stored: StopRecord | undefined;
      try {
        stored = await store.load(pending.key);
      } catch {
        // Whether the claim landed is unknown: the creation fails, and the claim, if it is there,
        // is released once the store answers (nobody would work on it, others would wait).
        writer.oweClaimRelease(pending);
        throw error;
      }
      if (stored !== undefined && stored.state === 'pending' && stored.owner === owner && stored.clientOrderId === pending.clientOrderId && isSameStop(pending, stored)) {
        return { inserted: true, record: stored };
      }
      throw error;
    }
  }

  /** Waits while another registry's live claim is pending; resolves its outcome, or undefined to claim again. */
  async #waitForClaim(claim: StopRecord): Promise<StopRecord | undefined> {
    const { store, clock, claimPollMs, closed } = this.#options;
    for (;;) {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, claimPollMs));
      if (closed()) throw new ClosedError();
      const current = await store.load(claim.key);
      if (current === undefined || !isSameStop(claim, current)) return undefined;
      if (current.state !== 'pending') return isFinished(current.state) ? undefined : current;
      if (isExpiredClaim(current, clock.now())) return undefined;
    }
  }

  /** The initial order could not be placed: the stop stays visible as failed (or triggered on a gap). */
  async #failed(entry: StopEntry, error: unknown): Promise<never> {
    const { book, store, clock, owner, endings, writer, reporter } = this.#options;
    const key = entry.key;
    const gap = error instanceof WouldTriggerError;
    const failure = error instanceof TrailingStopError ? error : new PlacementError(`Placing the stop for ${key} failed`, { cause: error, key });
    if (gap) entry.trigger();
    else entry.fail();
    reporter.counters.failed++;
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const now = clock.now();
        const next = recordOf(entry, entry.version + 1, owner, now);
        const result = await store.compareAndSet(next, entry.version);
        if (result.updated) {
          entry.version = next.version;
          entry.recordedOrderId = next.order?.id ?? null;
          book.keep(entry);
          break;
        }
        // A write of this very claim landed although it answered an error (the move to the next
        // client order id): the failed state goes on top of it. Anyone else's claim is theirs.
        const current = result.current;
        const ownClaim = current !== undefined && current.state === 'pending' && current.owner === owner && current.clientOrderId === entry.clientOrderId && isSameStop(entry, current);
        if (!ownClaim) break;
        entry.version = current.version;
      }
    } catch (storeError) {
      // The claim would stay pending: other registries would wait for its lease, and nothing in the
      // store would say the position is unprotected. The failed state is kept and its write owed.
      reporter.logger.error('Could not record a failed creation; retrying', { key, error: String(storeError) });
      book.keep(entry);
      writer.oweWrite(entry, () => endings.removedElsewhere(entry, entry.order));
    }
    if (gap) {
      reporter.counters.triggered++;
      const closedByMarket = await endings.closeOnGap(entry);
      reporter.events.emit('triggered', { stop: entry.snapshot(), price: entry.entryPrice, reason: 'gap', closedByMarket, source: 'price' });
    } else {
      reporter.events.emit('failed', { stop: entry.snapshot(), error: failure });
    }
    throw failure;
  }

  /** Step 4 lost: cancel what this registry placed (unless the winner adopted that very order). */
  async #lostRace(entry: StopEntry, order: StopOrder | null, current: StopRecord | undefined): Promise<StopEntry> {
    const { writer, reporter } = this.#options;
    reporter.counters.racesLost++;
    reporter.events.emit('raceLost', { key: entry.key, winner: current?.owner, order });
    const samePosition = current !== undefined && isSameStop(entry, current);
    if (order !== null && samePosition && current.state === 'pending' && current.clientOrderId === order.clientOrderId) {
      // Another registry took this claim over and is resolving this very client order id: it will
      // find and adopt `order`. Cancelling it now would leave the position bare; wait instead.
      return this.#awaitTaker(entry, order, current);
    }
    const sameOrder = order !== null && current?.order?.id === order.id;
    if (order !== null && !sameOrder) await writer.compensate(entry.key, order, current === undefined ? 'removed' : 'race-lost');
    if (current === undefined || !samePosition) throw new RemovedError(entry.key);
    if (current.state === 'pending') {
      const settled = await this.#waitForClaim(current);
      if (settled === undefined) throw new RemovedError(entry.key);
      return this.adopt(settled);
    }
    if (isFinished(current.state)) throw new RemovedError(entry.key);
    return this.adopt(current);
  }

  /** After losing to a taker of our own claim: adopt its outcome; cancel `order` only if it kept another. */
  async #awaitTaker(entry: StopEntry, order: StopOrder, claim: StopRecord): Promise<StopEntry> {
    const { store, writer } = this.#options;
    const latest = (await this.#waitForClaim(claim)) ?? (await store.load(entry.key));
    if (latest !== undefined && isSameStop(entry, latest) && latest.state === 'pending') {
      // The taker's lease lapsed too; whoever claims next resolves the same id and adopts `order`.
      throw new ClaimBusyError(entry.key, latest.owner);
    }
    const kept = latest !== undefined && isSameStop(entry, latest) && latest.order?.id === order.id;
    if (!kept) await writer.compensate(entry.key, order, latest === undefined ? 'removed' : 'race-lost');
    if (latest === undefined || !isSameStop(entry, latest) || isFinished(latest.state)) {
      throw new RemovedError(entry.key);
    }
    return this.adopt(latest);
  }
}

/** True when a stop in memory serves `input`: not ended, not being removed, and the same position when named. */
function reusable(entry: StopEntry, input: Pick<ValidatedSpec, 'positionId'>): boolean {
  if (entry.retiring || entry.ended) return false;
  return input.positionId === undefined || input.positionId === entry.positionId;
}

/** Throws {@link StopConflictError} when `input` describes another position than the live stop's. */
function refuseConflict(entry: StopEntry, input: ValidatedSpec): void {
  const fields = differingPositionFields(positionOfRecord(entry), positionOf(input));
  if (fields.length > 0) throw new StopConflictError(entry.key, fields);
}

/** The position a spec asks to protect. */
function positionOf(input: ValidatedSpec): PositionFields {
  return { side: input.side, quantity: input.quantity, entryPrice: input.entryPrice, mode: input.parameters.mode };
}

/** The position a stored record (or a stop) protects. */
function positionOfRecord(stop: Pick<StopRecord, 'side' | 'quantity' | 'entryPrice' | 'parameters'>): PositionFields {
  return { side: stop.side, quantity: stop.quantity, entryPrice: stop.entryPrice, mode: stop.parameters.mode };
}
