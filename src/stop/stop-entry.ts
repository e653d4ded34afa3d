/**
 * `StopEntry`: the registry's internal, mutable state of one stop, and its conversion to and from
 * the persisted {@link StopRecord}. Users see it through {@link TrailingStop}.
 */
import type { StopOrder } from '../ports/order-placer.js';
import type { PositionSide, StopRecord, StopState } from '../ports/state-store.js';
import type { ResolvedTrailingParameters } from '../policy/parameters.js';
import { createPolicyState, hasReachedProfit, profitPercentOf, type PolicyState } from '../policy/policy.js';
import { clientOrderIdFor } from '../domain/client-order-id.js';
import { TrailingStop, type TrailingStopSnapshot } from './trailing-stop.js';
import type { StopSynchronizer } from '../exchange/stop-synchronizer.js';

/** Fields a new entry needs. */
export interface StopEntryInit {
  readonly key: string;
  readonly symbol: string;
  readonly side: PositionSide;
  readonly positionId: string;
  readonly entryPrice: number;
  readonly quantity: number;
  readonly parameters: ResolvedTrailingParameters;
  readonly policy: PolicyState;
  readonly clientOrderIdBase: string;
  readonly sequence: number;
  readonly owner: string;
  readonly createdAt: number;
}

/** A settled promise every entry starts its write chain from (one object, not one per stop). */
const settled: Promise<unknown> = Promise.resolve();

/**
 * Internal state of one stop; see the module comment. The entry is its own {@link PolicyState}
 * (the policy's numbers live in the entry, not in a separate object), so a tick touches one object.
 */
export class StopEntry implements PolicyState {
  readonly key: string;
  readonly symbol: string;
  readonly side: PositionSide;
  readonly positionId: string;
  readonly entryPrice: number;
  readonly parameters: ResolvedTrailingParameters;
  // PolicyState, see policy.ts.
  direction: 1 | -1;
  bestPrice: number;
  stopPrice: number;
  activated: boolean;
  tierIndex: number;
  breakevenReached: boolean;
  triggered: boolean;
  atr: number;
  tickDecimals: number;
  readonly clientOrderIdBase: string;
  readonly createdAt: number;
  readonly facade: TrailingStop;
  quantity: number;
  state: StopState = 'pending';
  order: StopOrder | null = null;
  /** Sequence of `order` (or of the next order when there is none yet). */
  sequence: number;
  version = 0;
  owner: string;
  updatedAt: number;
  /** Stop price and quantity the venue was last told (NaN: unknown, forces a sync). */
  syncedStopPrice = Number.NaN;
  syncedQuantity = Number.NaN;
  /** When the venue was last moved (ms epoch), for the throttle. */
  lastSyncAt = Number.NEGATIVE_INFINITY;
  /** Set by removal: the sync loop stops after its current operation. */
  retiring = false;
  /** Serializes this entry's store writes, so versions advance one at a time. */
  writes: Promise<unknown> = settled;
  /** Per-key exchange sync; set by the registry right after construction. */
  sync!: StopSynchronizer;

  constructor(init: StopEntryInit) {
    this.key = init.key;
    this.symbol = init.symbol;
    this.side = init.side;
    this.positionId = init.positionId;
    this.entryPrice = init.entryPrice;
    this.quantity = init.quantity;
    this.parameters = init.parameters;
    const policy = init.policy;
    this.direction = policy.direction;
    this.bestPrice = policy.bestPrice;
    this.stopPrice = policy.stopPrice;
    this.activated = policy.activated;
    this.tierIndex = policy.tierIndex;
    this.breakevenReached = policy.breakevenReached;
    this.triggered = policy.triggered;
    this.atr = policy.atr;
    this.tickDecimals = policy.tickDecimals;
    this.clientOrderIdBase = init.clientOrderIdBase;
    this.sequence = init.sequence;
    this.owner = init.owner;
    this.createdAt = init.createdAt;
    this.updatedAt = init.createdAt;
    this.facade = new TrailingStop(this);
  }

  /** The policy state: the entry itself. */
  get policy(): PolicyState {
    return this;
  }

  /** Client order id of the current order (or the next one when there is none). */
  get clientOrderId(): string {
    return clientOrderIdFor(this.clientOrderIdBase, this.sequence);
  }

  /** True when the stop still follows prices (not triggered, failed, closed or being removed). */
  get live(): boolean {
    return (this.state === 'waiting' || this.state === 'active') && !this.retiring;
  }

  /** Plain-data view. */
  snapshot(): TrailingStopSnapshot {
    const policy = this.policy;
    return {
      key: this.key,
      symbol: this.symbol,
      side: this.side,
      positionId: this.positionId,
      entryPrice: this.entryPrice,
      quantity: this.quantity,
      state: this.state,
      mode: this.parameters.mode,
      stopPrice: policy.stopPrice === policy.stopPrice ? policy.stopPrice : null,
      exchangeStopPrice: this.order === null ? null : this.order.stopPrice,
      activationPrice: this.parameters.activationPrice,
      activated: policy.activated,
      bestPrice: policy.bestPrice === policy.bestPrice ? policy.bestPrice : null,
      order: this.order,
      version: this.version,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
    };
  }

  /** The record for this entry's current state at `version`, written by `owner`. */
  toRecord(version: number, owner: string, now: number, overrides: Partial<StopRecord> = {}): StopRecord {
    const policy = this.policy;
    return {
      key: this.key,
      version,
      owner,
      leaseExpiresAt: null,
      state: this.state === 'closed' ? 'failed' : this.state,
      symbol: this.symbol,
      side: this.side,
      entryPrice: this.entryPrice,
      quantity: this.quantity,
      positionId: this.positionId,
      sequence: this.sequence,
      clientOrderId: this.clientOrderId,
      stopPrice: policy.stopPrice === policy.stopPrice ? policy.stopPrice : null,
      bestPrice: policy.bestPrice === policy.bestPrice ? policy.bestPrice : this.entryPrice,
      activated: policy.activated,
      tierIndex: policy.tierIndex,
      order: this.order,
      parameters: this.parameters,
      createdAt: this.createdAt,
      updatedAt: now,
      ...overrides,
    };
  }

  /** Takes the stored state of the same position into this entry (after a conflict or a reload). */
  adopt(record: StopRecord): void {
    this.version = record.version;
    this.owner = record.owner;
    this.updatedAt = record.updatedAt;
    this.sequence = record.sequence;
    this.quantity = record.quantity;
    if (record.state !== 'pending') this.state = record.state;
    const sameOrder = this.order !== null && record.order !== null && this.order.id === record.order.id;
    this.order = record.order;
    if (!sameOrder) {
      // What the venue holds is not what this entry last sent: let the sync decide again.
      this.syncedStopPrice = record.order === null ? Number.NaN : record.order.stopPrice;
      this.syncedQuantity = record.order === null ? Number.NaN : record.order.quantity;
    }
    const policy = this.policy;
    policy.activated ||= record.activated;
    policy.tierIndex = Math.max(policy.tierIndex, record.tierIndex);
    if (policy.bestPrice !== policy.bestPrice || policy.direction * (record.bestPrice - policy.bestPrice) > 0) {
      policy.bestPrice = record.bestPrice;
    }
    if (
      record.stopPrice !== null &&
      (policy.stopPrice !== policy.stopPrice || policy.direction * (record.stopPrice - policy.stopPrice) > 0)
    ) {
      policy.stopPrice = record.stopPrice;
    }
  }

  /** Rebuilds an entry from a stored record (restore, or a stop another registry created). */
  static fromRecord(record: StopRecord, clientOrderIdBase: string): StopEntry {
    const policy = createPolicyState(record.side, record.entryPrice, record.parameters);
    policy.bestPrice = record.bestPrice;
    policy.stopPrice = record.stopPrice ?? Number.NaN;
    policy.activated = record.activated;
    policy.tierIndex = record.tierIndex;
    policy.breakevenReached =
      record.parameters.breakevenAtPercent !== null &&
      hasReachedProfit(profitPercentOf(policy.direction, record.entryPrice, record.bestPrice), record.parameters.breakevenAtPercent);
    policy.triggered = record.state === 'triggered';
    const entry = new StopEntry({
      key: record.key,
      symbol: record.symbol,
      side: record.side,
      positionId: record.positionId,
      entryPrice: record.entryPrice,
      quantity: record.quantity,
      parameters: record.parameters,
      policy,
      clientOrderIdBase,
      sequence: record.sequence,
      owner: record.owner,
      createdAt: record.createdAt,
    });
    entry.version = record.version;
    entry.updatedAt = record.updatedAt;
    entry.state = record.state;
    entry.order = record.order;
    entry.syncedStopPrice = record.order === null ? Number.NaN : record.order.stopPrice;
    entry.syncedQuantity = record.order === null ? Number.NaN : record.order.quantity;
    return entry;
  }
}
