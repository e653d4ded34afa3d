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

/** Result of {@link StateStore.compareAndSet}. */
export type CompareAndSetResult =
  | { readonly updated: true; readonly record: StopRecord }
  | { readonly updated: false; readonly current: StopRecord | undefined };

/** What a store declares about itself; used by the conformance suite and the registry. */
export interface StateStoreCapabilities {
  /** State survives close and reopen. */
  readonly durable?: boolean;
  /** Several processes may share it. */
  readonly shared?: boolean;
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

  /** Releases resources. A store the user passed a client to does not close that client. */
  close(): Promise<void>;
}
