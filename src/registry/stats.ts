/** The registry's counters, and the stats view built from them and the gateway's counters. */
import type { StopBook } from '../stop/stop-book.js';
import { stopLag } from '../exchange/order-budget.js';
import type { GatewayCounters } from '../exchange/gateway.js';
import type { BudgetStats } from '../exchange/order-budget.js';

/** Counters and gauges of a registry; `registry.stats` returns a fresh copy. */
export interface RegistryStats {
  /** Stops this registry created. */
  readonly created: number;
  /** Stops taken over from another registry's record (it created them first). */
  readonly adopted: number;
  /** Callers that joined a creation already in flight (single flight). */
  readonly coalesced: number;
  /** Double-check (compare-and-set) conflicts lost. */
  readonly racesLost: number;
  /** Orders cancelled after a lost race, a late answer or a concurrent removal. */
  readonly compensated: number;
  /** Creations and syncs that failed (the position was not protected as intended). */
  readonly failed: number;
  /** Exchange calls that timed out. */
  readonly timedOut: number;
  /** Creations, removals, syncs and exchange calls in flight. */
  readonly inFlight: number;
  /** Exchange calls made. */
  readonly exchangeCalls: number;
  /** Stop moves decided by the policy. */
  readonly moves: number;
  /** Stops removed. */
  readonly removed: number;
  /** Stops triggered. */
  readonly triggered: number;
  /** Total ms positions spent without a stop during cancel-then-place moves (0 with make-before-break). */
  readonly unprotectedMs: number;
  /** Stops in memory. */
  readonly size: number;
  /** Venue requests (weighted) sent within the current `rateLimit` window; 0 without `rateLimit`. */
  readonly requestsInWindow: number;
  /** Exchange calls that had to wait for the request budget or a rate-limit pause, since the start. */
  readonly deferred: number;
  /**
   * The largest gap, among live stops the venue holds an order for, between the stop the policy
   * wants and the stop the venue holds, in percent of the venue's stop price.
   */
  readonly largestLagPercent: number;
  /** Ms left of the pause of non-critical exchange calls after a venue's rate-limit answer; 0 when none. */
  readonly pauseRemainingMs: number;
}

/** The registry's own counters (mutable; the collaborators count into one shared object). */
export class RegistryCounters {
  created = 0;
  adopted = 0;
  coalesced = 0;
  racesLost = 0;
  compensated = 0;
  failed = 0;
  moves = 0;
  removed = 0;
  triggered = 0;
  unprotectedMs = 0;
}

/** The stats view: the registry's counters, the gateway's, work in flight and the number of stops. */
export function statsOf(
  counters: RegistryCounters,
  gateway: GatewayCounters,
  work: number,
  size: number,
  budget: BudgetStats,
  largestLag: number,
): RegistryStats {
  return {
    created: counters.created,
    adopted: counters.adopted,
    coalesced: counters.coalesced,
    racesLost: counters.racesLost,
    compensated: counters.compensated,
    failed: counters.failed,
    timedOut: gateway.timedOut,
    inFlight: work + gateway.inFlight,
    exchangeCalls: gateway.exchangeCalls,
    moves: counters.moves,
    removed: counters.removed,
    triggered: counters.triggered,
    unprotectedMs: counters.unprotectedMs,
    size,
    requestsInWindow: budget.requestsInWindow,
    deferred: budget.deferred,
    largestLagPercent: largestLag * 100,
    pauseRemainingMs: budget.pauseRemainingMs,
  };
}

/** The largest lag, as a fraction, among live stops the venue holds an order for (0 when none). */
export function largestLagOf(book: StopBook): number {
  let largest = 0;
  for (const entry of book.entries()) {
    if (entry.live && entry.parameters.mode === 'exchange' && entry.order !== null) largest = Math.max(largest, stopLag(entry));
  }
  return largest;
}
