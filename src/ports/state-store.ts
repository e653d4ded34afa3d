/**
 * The persistence port. A `StateStore` keeps one {@link StopRecord} per key and is the arbiter
 * between registries that share it: insert-if-absent decides who creates a key, and every update is
 * a compare-and-set on the record's `version`, so a stale writer can never overwrite newer state (I4).
 *
 * The registry never holds a store transaction across an exchange call (I3); each method is one
 * short atomic operation.
 */
import type { StopOrder } from './order-placer.js';
import type { ResolvedTrailingParameters } from '../policy/parameters.js';
import type { PositionSide, StopState } from '../domain/position.js';
import type { StoreError } from '../errors.js';

export type { PositionSide, StopState } from '../domain/position.js';

/** One stop as persisted. Plain JSON-compatible data; numbers must round-trip exactly. */
export interface StopRecord {
  /** The registry key (default: the symbol). */
  readonly key: string;
  /** Incremented by one on every write; compare-and-set compares it. Starts at 1. */
  readonly version: number;
  /** Id of the registry that wrote this version. */
  readonly owner: string;
  /** For `pending` records: until when `owner` holds the claim (ms epoch); `null` otherwise. */
  readonly leaseExpiresAt: number | null;
  /** Lifecycle state. */
  readonly state: StopState;
  /** Venue symbol. */
  readonly symbol: string;
  /** Position side. */
  readonly side: PositionSide;
  /** Position entry price. */
  readonly entryPrice: number;
  /** Position size. */
  readonly quantity: number;
  /** Identity of the position this stop protects. */
  readonly positionId: string;
  /** Sequence number of the current client order id (one per placed order). */
  readonly sequence: number;
  /** Client order id of the current (or intended) order. */
  readonly clientOrderId: string;
  /** Current stop price (policy); `null` before there is one. */
  readonly stopPrice: number | null;
  /** Best price seen since creation (peak for a long, trough for a short). */
  readonly bestPrice: number;
  /** True once the activation price was reached. */
  readonly activated: boolean;
  /** Index of the profit tier reached (steps), -1 for none. */
  readonly tierIndex: number;
  /** The order on the venue, `null` when none. */
  readonly order: StopOrder | null;
  /** Resolved trailing parameters. */
  readonly parameters: ResolvedTrailingParameters;
  /** Creation time (ms epoch). */
  readonly createdAt: number;
  /** Time of this version (ms epoch). */
  readonly updatedAt: number;
}

/** Result of {@link StateStore.insert}. */
export interface InsertResult {
  /** True when this call inserted the record; false when one already existed. */
  readonly inserted: boolean;
  /** The record now stored for the key: the given one, or the existing winner. */
  readonly record: StopRecord;
}

/** Result of {@link StateStore.compareAndSet}: the write happened, or what stopped it. */
export type CompareAndSetResult =
  | {
      /** True: the stored version was `expectedVersion` and `next` replaced it. */
      readonly updated: true;
      /** The record now stored (a copy of `next`). */
      readonly record: StopRecord;
    }
  | {
      /**
       * False: the stored version is not `expectedVersion` (another writer got there first, or the
       * key has no record); nothing was written.
       */
      readonly updated: false;
      /** The record stored now, to retry from, or `undefined` when the key has none. */
      readonly current: StopRecord | undefined;
    };

/** What a store declares about itself; used by the conformance suite and the registry. */
export interface StateStoreCapabilities {
  /** State survives close and reopen. */
  readonly durable?: boolean;
  /** Several processes may share it. */
  readonly shared?: boolean;
  /**
   * {@link StateStore.watch} is implemented and works for this instance: it reports every change
   * to the storage the store reads, whichever instance, connection or process made it.
   */
  readonly watch?: boolean;
}

/**
 * One change to the record of one key, as {@link StateStore.watch} reports it: what the store holds
 * for `key` now. A hint to re-check, not a record: it carries enough to tell whether a registry's
 * entry for the key is stale (`version`, `positionId`, `owner`), and nothing to act on directly.
 */
export interface StoreChange {
  /** The key whose record changed. */
  readonly key: string;
  /** Version now stored for the key; `null` when the record was deleted. */
  readonly version: number | null;
  /** State of the stored record; `null` when the record was deleted. */
  readonly state: StopState | null;
  /** `positionId` of the stored record. Absent for a deletion, or when the store could not report it. */
  readonly positionId?: string;
  /** `owner` of the stored record (who wrote this version). Absent for a deletion, or when the store could not report it. */
  readonly owner?: string;
}

/** Options of {@link StateStore.watch}. */
export interface StoreWatchOptions {
  /** Ends the watch: once it aborts, the listener is never called again. */
  readonly signal: AbortSignal;
  /**
   * Called at most once, when the watch ends for another reason than `signal`: the store lost what
   * it watches through (PostgreSQL: the listening connection), a poll failed (SQLite), or the
   * listener threw. No change is delivered after it, and changes may have been missed meanwhile:
   * re-read the records you hold and watch again. Never called after `signal` aborts.
   */
  readonly onError?: (error: StoreError) => void;
}

/** The persistence port (docs/design.md section 5). */
export interface StateStore {
  /** Optional description of the store. */
  readonly capabilities?: StateStoreCapabilities;

  /** The record for `key`, or `undefined`. */
  load(key: string): Promise<StopRecord | undefined>;

  /** Every record, in no particular order. Used by `restore()` and reconciliation. */
  list(): Promise<StopRecord[]>;

  /**
   * Inserts `record` if no record exists for its key, atomically. Of any number of concurrent
   * inserts for one key, exactly one sees `inserted: true`; every other sees the winner.
   */
  insert(record: StopRecord): Promise<InsertResult>;

  /**
   * Replaces the record for `next.key` with `next` only if the stored version equals
   * `expectedVersion`; atomically. `next.version` must be `expectedVersion + 1`.
   */
  compareAndSet(next: StopRecord, expectedVersion: number): Promise<CompareAndSetResult>;

  /**
   * Deletes the record for `key`; with `expectedVersion`, only if the stored version equals it.
   * Resolves true when a record was deleted.
   */
  delete(key: string, expectedVersion?: number): Promise<boolean>;

  /**
   * Optional: calls `listener` with a {@link StoreChange} for every change committed to the
   * storage afterwards (an insert, a compare-and-set, a delete), by any registry, instance or
   * process, this store's own writes included. A store that has it declares `capabilities.watch`.
   *
   * What a watcher can rely on:
   * - When: every change committed after `watch` returned (or its promise resolved) is reported;
   *   changes before may or may not be. Writes that changed nothing (a lost insert, a failed
   *   compare-and-set, a delete that found no record or another version) are not reported.
   * - Order: for one key, changes arrive in the order they were committed. A store may coalesce
   *   (a polling store reports what it finds, skipping versions in between, and may report a
   *   delete followed by a re-insert as one change), but never reports an older state after a
   *   newer one. Changes made one after the other through one instance arrive in that order.
   * - Own writes: a listener sees the changes of its own registry too, possibly before the write's
   *   promise resolves. Compare `version` (and `positionId`, `owner`) with what you hold.
   * - Lag: delivery is asynchronous and can lag (a poll interval, a network hop), so a change may
   *   arrive after the writer already acted on a newer version, and the absence of a change proves
   *   nothing. A registry must still compare versions on every write (compare-and-set) and treat
   *   a change only as a reason to drop or re-load its entry.
   * - The listener is never called inside a store call (no re-entrancy); if it throws, the watch
   *   ends with `onError`.
   * - Abort: once `signal` aborts, the listener is never called again, not even for changes
   *   already received; when a store's last watch ends it releases what it held (a connection, a
   *   timer). An already aborted signal watches nothing. `close()` ends every watch.
   *
   * @param listener - Called once per change; must not throw.
   * @param options - `signal` (required) ends the watch; `onError` hears why it ended otherwise.
   * @returns Nothing, or a promise that resolves once the watch is in place (and rejects with a
   *   `StoreError` when it cannot be set up, e.g. the store is closed).
   * @throws TypeError when `listener` is not a function or `options.signal` not an AbortSignal.
   *
   * @example
   * ```ts
   * const controller = new AbortController();
   * await store.watch?.((change) => {
   *   if (change.version === null) console.log(`${change.key} deleted`);
   *   else console.log(`${change.key} is at version ${change.version} (${change.state})`);
   * }, { signal: controller.signal, onError: (error) => console.error('watch ended', error) });
   * // ... later
   * controller.abort();
   * ```
   */
  watch?(listener: (change: StoreChange) => void, options: StoreWatchOptions): void | Promise<void>;

  /** Releases resources. A store the user passed a client to does not close that client. */
  close(): Promise<void>;
}
