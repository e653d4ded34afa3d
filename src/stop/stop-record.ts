/**
 * A stop's entry and its persisted {@link StopRecord}: the record of an entry's state, an entry
 * rebuilt from a record, and the merge of a newer stored record into an entry of the same position.
 */
import type { StopRecord } from '../ports/state-store.js';
import type { StopState } from '../domain/position.js';
import type { TrailingStopSnapshot } from './trailing-stop.js';
import { createPolicyState, hasReachedProfit, profitPercentOf } from '../policy/policy.js';
import { clientOrderIdBaseOf } from '../domain/client-order-id.js';
import { StopEntry, type VenueSync } from './stop-entry.js';

/** The record for `entry`'s current state at `version`, written by `owner` at `now`. */
export function recordOf(entry: StopEntry, version: number, owner: string, now: number, overrides: Partial<StopRecord> = {}): StopRecord {
  return {
    key: entry.key,
    version,
    owner,
    leaseExpiresAt: null,
    state: entry.state === 'closed' ? 'failed' : entry.state,
    symbol: entry.symbol,
    side: entry.side,
    entryPrice: entry.entryPrice,
    quantity: entry.quantity,
    positionId: entry.positionId,
    sequence: entry.sequence,
    clientOrderId: entry.clientOrderId,
    stopPrice: entry.stopPrice === entry.stopPrice ? entry.stopPrice : null,
    bestPrice: entry.bestPrice === entry.bestPrice ? entry.bestPrice : entry.entryPrice,
    activated: entry.activated,
    tierIndex: entry.tierIndex,
    order: entry.order,
    parameters: entry.parameters,
    createdAt: entry.createdAt,
    updatedAt: now,
    ...overrides,
  };
}

/** Rebuilds an entry from a stored record (restore, or a stop another registry created). */
export function entryFromRecord(record: StopRecord, sync: (entry: StopEntry) => VenueSync): StopEntry {
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
    clientOrderIdBase: clientOrderIdBaseOf(record.clientOrderId),
    sequence: record.sequence,
    owner: record.owner,
    createdAt: record.createdAt,
    state: record.state,
    sync,
  });
  entry.version = record.version;
  entry.updatedAt = record.updatedAt;
  entry.useOrder(record.order);
  entry.recordedOrderId = record.order?.id ?? null;
  return entry;
}

/**
 * Merges the stored state of the same position into `entry` (after a conflict or a reload): the
 * record's version, owner, sequence, quantity and order; the policy only ever tightens (I5).
 */
export function mergeRecord(entry: StopEntry, record: StopRecord): void {
  entry.version = record.version;
  entry.owner = record.owner;
  entry.updatedAt = record.updatedAt;
  entry.sequence = record.sequence;
  entry.quantity = record.quantity;
  entry.activated ||= record.activated;
  entry.takeStoredState(record.state);
  entry.takeStoredOrder(record.order);
  entry.recordedOrderId = record.order?.id ?? null;
  entry.tierIndex = Math.max(entry.tierIndex, record.tierIndex);
  if (entry.bestPrice !== entry.bestPrice || entry.direction * (record.bestPrice - entry.bestPrice) > 0) {
    entry.bestPrice = record.bestPrice;
  }
  if (record.stopPrice !== null && (entry.stopPrice !== entry.stopPrice || entry.direction * (record.stopPrice - entry.stopPrice) > 0)) {
    entry.stopPrice = record.stopPrice;
  }
}

/** The snapshot of a stored stop, in `state` (a stop removed without ever being in memory here). */
export function snapshotOfRecord(record: StopRecord, state: StopState): TrailingStopSnapshot {
  return {
    key: record.key,
    symbol: record.symbol,
    side: record.side,
    positionId: record.positionId,
    entryPrice: record.entryPrice,
    quantity: record.quantity,
    state,
    mode: record.parameters.mode,
    stopPrice: record.stopPrice,
    exchangeStopPrice: record.order === null ? null : record.order.stopPrice,
    activationPrice: record.parameters.activationPrice,
    activated: record.activated,
    bestPrice: record.bestPrice,
    order: record.order,
    version: record.version,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/**
 * True when `record` is the same stop as `entry`: the same position and the same incarnation (its
 * creation time). A position re-created after it ended is another stop, whatever its versions.
 */
export function isSameStop(entry: { readonly positionId: string; readonly createdAt: number }, record: StopRecord): boolean {
  return record.positionId === entry.positionId && record.createdAt === entry.createdAt;
}
