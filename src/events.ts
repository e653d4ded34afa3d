/**
 * The registry's typed events (an eventemitter3 object map: `on` and `emit` are both
 * type-checked). Payloads are snapshots: plain data, safe to log (no secrets).
 */
import type { StopOrder } from './ports/order-placer.js';
import type { TrailingStopError } from './errors.js';
import type { TrailingStopSnapshot } from './stop/trailing-stop.js';

/** Why a stop left the registry. */
export type RemovalReason = string;

/** Why a stop triggered: the venue stop was crossed (`stop`), or the price gapped past a stop the venue did not have yet (`gap`). */
export type TriggerReason = 'stop' | 'gap';

/** Payload of `created`, `activated` and `breakeven`: the stop at that moment. */
export interface StopEvent {
  /** The stop. */
  readonly stop: TrailingStopSnapshot;
}

/** Payload of `removed`. */
export interface RemovedEvent {
  /** The stop, state `closed`. */
  readonly stop: TrailingStopSnapshot;
  /** Why: the caller's `reason` (default `removed`), `replaced`, `removed-elsewhere` or `released`. */
  readonly reason: RemovalReason;
}

/** Payload of `stopSynced`: the venue confirmed the stop's order at a price. */
export interface StopSyncedEvent {
  /** The stop. */
  readonly stop: TrailingStopSnapshot;
  /** The order the venue holds now. */
  readonly order: StopOrder;
}

/** Payload of `stopMoved`. */
export interface StopMovedEvent {
  /** The stop after the move. */
  readonly stop: TrailingStopSnapshot;
  /** Stop price before the move; `null` when there was none. */
  readonly previousStopPrice: number | null;
  /** Stop price after the move. */
  readonly stopPrice: number;
  /** True when the venue already holds this price (emulated mode, or synced); false while a sync is due. */
  readonly onExchange: boolean;
}

/** Payload of `triggered`. */
export interface TriggeredEvent {
  /** The stop, state `triggered`. */
  readonly stop: TrailingStopSnapshot;
  /** The price that crossed it. */
  readonly price: number;
  /** See {@link TriggerReason}. */
  readonly reason: TriggerReason;
  /** True when the registry closed the position by market order (emulated mode, or a gap with `closeOnGap`). */
  readonly closedByMarket: boolean;
  /**
   * Who said so: `venue` when the venue reported the stop order filled (an order update, a lookup
   * or reconciliation), `price` when the registry decided from the price feed (emulated mode, a
   * gap with `closeOnGap`, or a placer that can neither stream nor look up orders).
   */
  readonly source: 'venue' | 'price';
}

/** Payload of `partiallyFilled`: the venue filled part of the stop order; the stop protects the rest. */
export interface PartiallyFilledEvent {
  /** The stop, its `quantity` now the rest. */
  readonly stop: TrailingStopSnapshot;
  /** Quantity filled so far (cumulative, base units). */
  readonly filledQuantity: number;
  /** Average fill price, when the venue said. */
  readonly averagePrice: number | undefined;
}

/** Payload of `orderLost`: the stop's order left the venue without filling, not by the registry's doing. */
export interface OrderLostEvent {
  /** The stop. */
  readonly stop: TrailingStopSnapshot;
  /** The order that left the venue. */
  readonly order: StopOrder;
  /** What the venue said: cancelled (by hand), expired or rejected. */
  readonly status: 'cancelled' | 'expired' | 'rejected';
  /** What the registry did: placed the stop again at once, or released it (option `onExternalCancel`). */
  readonly action: 'replaced' | 'released';
}

/** Payload of `raceLost`: this registry's double-check found another writer first. */
export interface RaceLostEvent {
  /** Key concerned. */
  readonly key: string;
  /** Owner of the record that won, when it still exists. */
  readonly winner: string | undefined;
  /** The order this registry had placed (now cancelled), if any. */
  readonly order: StopOrder | null;
}

/** Payload of `compensated`: an order this registry placed was cancelled because nothing may keep it. */
export interface CompensatedEvent {
  /** Key concerned. */
  readonly key: string;
  /** The cancelled order. */
  readonly order: StopOrder;
  /**
   * Why: a lost race, a late answer after a timeout, a removal that happened meanwhile, or the old
   * half of a make-before-break move whose first cancel failed.
   */
  readonly reason: 'race-lost' | 'late-answer' | 'removed' | 'moved';
}

/** What the registry was doing when something failed. */
export interface ErrorContext {
  /** Key concerned, when there is one. */
  readonly key?: string;
  /**
   * What the registry was doing: `compensate` is the cancel of an order nothing may keep (a lost
   * race, a removal meanwhile) that failed every retry; reconciliation sweeps it later.
   */
  readonly operation: 'create' | 'sync' | 'remove' | 'trigger' | 'restore' | 'reconcile' | 'compensate' | 'watch';
}

/** Payload of `error`: the failure, and what the registry was doing. */
export interface ErrorEvent extends ErrorContext {
  /** What went wrong (the caller's promise, if any, rejects with it too). */
  readonly error: TrailingStopError;
}

/** Payload of `failed`. */
export interface FailedEvent {
  /** The stop, state `failed`: the position is not (or no longer) protected as intended. */
  readonly stop: TrailingStopSnapshot;
  /** What went wrong. */
  readonly error: TrailingStopError;
}

/** Payload of `corruptRecord`. */
export interface CorruptRecordEvent {
  /** Key of the record, when readable. */
  readonly key: string | undefined;
  /** What is wrong with it. */
  readonly reason: string;
}

/** Payload of `reconciled` events: what reconciliation did to one key or order. */
export interface ReconcileEvent {
  /** Key concerned, when known. */
  readonly key: string | undefined;
  /**
   * What happened: `adopted` (pending order found and kept), `replaced` (missing order placed
   * again), `finalized` (order had filled), `orphanCancelled` (open order with no record),
   * `mismatch` (venue order differs from the record; reported, not changed), `gap` (price already
   * crossed a restored stop).
   */
  readonly action: 'adopted' | 'replaced' | 'finalized' | 'orphanCancelled' | 'mismatch' | 'gap' | 'resumed';
  /** The venue order concerned, when there is one. */
  readonly order: StopOrder | null;
  /** Human-readable detail. */
  readonly detail: string;
}

/** Every event of {@link TrailingStopRegistry}, name to listener arguments. */
export interface RegistryEvents {
  /** A stop was created by this registry (or adopted from another registry's record). */
  created: [event: StopEvent];
  /** A stop was removed. */
  removed: [event: RemovedEvent];
  /** This registry lost a double-check race; its order (if any) is being cancelled. */
  raceLost: [event: RaceLostEvent];
  /** An order this registry placed was cancelled so it cannot become an orphan. */
  compensated: [event: CompensatedEvent];
  /** Something failed. The promise concerned (if any) rejects as well (I6). */
  error: [event: ErrorEvent];
  /** The activation price was reached; trailing starts. */
  activated: [event: StopEvent];
  /** The stop moved (tightened), once per move. */
  stopMoved: [event: StopMovedEvent];
  /** The venue confirmed a stop order at a price. */
  stopSynced: [event: StopSyncedEvent];
  /** The stop moved to breakeven. */
  breakeven: [event: StopEvent];
  /** The stop triggered: the venue filled it, or (see {@link TriggeredEvent.source}) the price crossed it. */
  triggered: [event: TriggeredEvent];
  /** The venue filled part of the stop order; the stop keeps protecting the rest. */
  partiallyFilled: [event: PartiallyFilledEvent];
  /** The stop's order was cancelled, expired or rejected on the venue, not by the registry. */
  orderLost: [event: OrderLostEvent];
  /** The stop could not be kept on the venue; the previous exchange stop (if any) stays in place. */
  failed: [event: FailedEvent];
  /** `restore()` skipped a record it could not read. */
  corruptRecord: [event: CorruptRecordEvent];
  /** Reconciliation acted on, or reported, a difference between store and venue. */
  reconciled: [event: ReconcileEvent];
}
