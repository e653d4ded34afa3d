/** Test data builders shared by the conformance suites and the library's own tests. */
import type { StopRecord } from '../ports/state-store.js';

/**
 * Builds a valid {@link StopRecord}: an active long stop on `BTC/USDT:USDT` at version 1, with a
 * placed order and percent trailing, then applies `overrides` (shallow). Timestamps are fixed, so
 * tests built on it stay deterministic.
 *
 * @example
 * ```ts
 * const pending = makeStopRecord({ key: 'ETH', state: 'pending', order: null, leaseExpiresAt: 1_000 });
 * const next = makeStopRecord({ ...pending, version: pending.version + 1, state: 'active' });
 * ```
 */
export function makeStopRecord(overrides: Partial<StopRecord> = {}): StopRecord {
  const key = overrides.key ?? 'BTC/USDT:USDT';
  const symbol = overrides.symbol ?? 'BTC/USDT:USDT';
  const clientOrderId = overrides.clientOrderId ?? 'tsr-BTCUSDTUSD-0123456789-1';
  return {
    key,
    version: 1,
    owner: 'registry-a',
    leaseExpiresAt: null,
    state: 'active',
    symbol,
    side: 'long',
    entryPrice: 100,
    quantity: 0.5,
    positionId: 'position-1',
    sequence: 1,
    clientOrderId,
    stopPrice: 99.5,
    bestPrice: 100,
    activated: true,
    tierIndex: -1,
    order: {
      id: 'order-1',
      clientOrderId,
      symbol,
      side: 'sell',
      quantity: 0.5,
      stopPrice: 99.5,
    },
    parameters: {
      activationPrice: 101,
      distanceKind: 'percent',
      distanceValue: 0.5,
      atrMultiplier: 2,
      steps: [],
      breakevenAtPercent: null,
      breakevenOffsetPercent: 0,
      tickSize: 0.1,
      mode: 'exchange',
      minUpdateIntervalMs: 1_000,
      minImprovementPercent: 0.05,
      emergencyImprovementPercent: 1,
      closeOnGap: false,
    },
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}
