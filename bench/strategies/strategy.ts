/**
 * The one interface every creation strategy implements, so a scenario drives them all the same
 * way, behind the same `PaperExchange` and `MemoryStateStore`.
 */
import { makeStopRecord } from '../../src/testing/records.js';
import type { OrderPlacer } from '../../src/ports/order-placer.js';
import type { StateStore, StopRecord } from '../../src/ports/state-store.js';
import type { StopOrder } from '../../src/ports/order-placer.js';
import type { PaperExchange } from '../../src/placers/paper.js';

/** Names of the creation strategies, as they appear in the results. */
export type CreationStrategyName = 'global-lock' | 'double-check' | 'keyed-mutex' | 'registry';

/** One position to protect: the subset of a create spec every strategy understands. */
export interface BenchSpec {
  readonly symbol: string;
  readonly side: 'long';
  readonly entryPrice: number;
  readonly quantity: number;
  /** Initial protective stop, in percent below entry: every creation places one order. */
  readonly stopLossPercent: number;
}

/** What a strategy runs against. */
export interface StrategyEnvironment {
  /** The venue; strategies other than `registry` see it through a p-limit bound of `concurrency`. */
  readonly exchange: PaperExchange;
  readonly store: StateStore;
  /** Most exchange calls at once. */
  readonly concurrency: number;
  /** Who this instance is (one per simulated process); default: the strategy's name. */
  readonly owner?: string;
}

/** A way to create one protective stop per key. */
export interface CreationStrategy {
  readonly name: CreationStrategyName;
  /** Creates (or returns) the stop for `spec.symbol`. */
  create(spec: BenchSpec): Promise<unknown>;
  /** Resolves once no work is left in flight (quiescence), so orphans can be counted. */
  settle(): Promise<void>;
  /** Releases resources. */
  close(): Promise<void>;
}

/** Builds a strategy for one measurement. */
export interface StrategyDefinition {
  readonly name: CreationStrategyName;
  /** One line: what it is and where it comes from. */
  readonly description: string;
  readonly create: (environment: StrategyEnvironment) => CreationStrategy;
}

/** The closing side's stop price of `spec`. */
export function initialStopPrice(spec: BenchSpec): number {
  return spec.entryPrice * (1 - spec.stopLossPercent / 100);
}

/** The request the hand-written strategies place for `spec`, under a fresh client order id. */
export function stopRequest(spec: BenchSpec, clientOrderId: string) {
  return {
    symbol: spec.symbol,
    side: 'sell' as const,
    quantity: spec.quantity,
    stopPrice: initialStopPrice(spec),
    clientOrderId,
  };
}

/** A signal nobody aborts (the seed bot had none). */
export const neverAborted: AbortSignal = new AbortController().signal;

/** The record the hand-written strategies store: the same shape the registry persists. */
export function recordFor(spec: BenchSpec, order: StopOrder, owner: string): StopRecord {
  const now = Date.now();
  return makeStopRecord({
    key: spec.symbol,
    owner,
    state: 'waiting',
    symbol: spec.symbol,
    side: spec.side,
    entryPrice: spec.entryPrice,
    quantity: spec.quantity,
    positionId: owner,
    clientOrderId: order.clientOrderId,
    stopPrice: order.stopPrice,
    bestPrice: spec.entryPrice,
    activated: false,
    order,
    parameters: { ...makeStopRecord().parameters, activationPrice: spec.entryPrice * 1.01, tickSize: null },
    createdAt: now,
    updatedAt: now,
  });
}

/**
 * The body both lock strategies run under their lock: check memory and store, place the order,
 * store the record. (The seed bot also computed the activation price and logged in there.)
 */
export async function lockedCreation(
  spec: BenchSpec,
  stops: Map<string, StopOrder>,
  placer: OrderPlacer,
  store: StateStore,
  owner: string,
  clientOrderId: string,
): Promise<StopOrder> {
  const key = spec.symbol;
  const existing = stops.get(key);
  if (existing !== undefined) return existing;
  const stored = await store.load(key);
  if (stored?.order != null) {
    stops.set(key, stored.order);
    return stored.order;
  }
  const order = await placer.placeStop(stopRequest(spec, clientOrderId), { signal: neverAborted });
  await store.insert(recordFor(spec, order, owner));
  stops.set(key, order);
  return order;
}
