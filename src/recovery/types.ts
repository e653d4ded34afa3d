/**
 * What recovery reports (`restore()` and `reconcile()`), and what the reconciler needs from the
 * registry, as small named interfaces.
 */
import type { StopOrder } from '../ports/order-placer.js';
import type { StateStore, StopRecord } from '../ports/state-store.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { TrailingStopError } from '../errors.js';
import type { CorruptRecordEvent, ErrorContext, ReconcileEvent } from '../events.js';
import type { ExchangeGateway } from '../exchange/gateway.js';
import type { WriteOutcome } from '../exchange/stop-synchronizer.js';
import type { StopBook } from '../stop/stop-book.js';
import type { StopEntry } from '../stop/stop-entry.js';

/** What {@link TrailingStopRegistry.restore} did. */
export interface RestoreReport {
  /** Keys loaded into memory. */
  readonly restored: string[];
  /** Records skipped because they could not be read. */
  readonly corrupt: {
    /** The record's key, or undefined when the record has no readable key. */
    readonly key: string | undefined;
    /** What is wrong with the record, as `findRecordProblem` words it. */
    readonly reason: string;
  }[];
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
  readonly failedSymbols: {
    /** The venue symbol whose open orders could not be listed. */
    readonly symbol: string;
    /** Why the listing failed; the same error was also emitted as an `error` event. */
    readonly error: TrailingStopError;
  }[];
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
  /** Writes; a write the store failed is owed (retried in the background) and the failure rethrown. */
  writeOrOwe(entry: StopEntry, onGone: () => void): Promise<WriteOutcome>;
  /** Re-reads the stop's record and merges newer state; `gone` when it was removed or replaced. */
  refresh(entry: StopEntry): Promise<'ok' | 'gone'>;
  compensate(key: string, order: StopOrder, reason: 'race-lost' | 'removed'): Promise<void>;
  /** True when this registry deleted `record`'s stop since (a listing read before must not bring it back). */
  wasDeleted(record: StopRecord): boolean;
}

/** The end states recovery may put a stop in (the registry's endings). */
export interface RecoveryEndings {
  trigger(entry: StopEntry, price: number): void;
  /** The stop could not be placed: it fails visibly (state, event, record). */
  failed(entry: StopEntry, error: TrailingStopError): void;
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
