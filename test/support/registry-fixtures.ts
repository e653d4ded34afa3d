/** Small builders shared by the restore, reconcile and many-process tests. */
import type { CreateStopSpec, ReconcileEvent, StateStore, StopOrder, TrailingStopRegistry } from '../../src/index.js';
import type { PaperExchange } from '../../src/placers/paper.js';

/** A long position at 100 with a 2% initial stop (98), activation at 101 (library default). */
export function longSpec(symbol: string, overrides: Partial<CreateStopSpec> = {}): CreateStopSpec {
  return { symbol, side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2, ...overrides };
}

/** Collects what a registry reports through `reconciled` and `corruptRecord`. */
export function listen(registry: TrailingStopRegistry): {
  readonly reconciled: ReconcileEvent[];
  readonly corrupt: { key: string | undefined; reason: string }[];
  readonly errors: Error[];
  actions(): string[];
} {
  const reconciled: ReconcileEvent[] = [];
  const corrupt: { key: string | undefined; reason: string }[] = [];
  const errors: Error[] = [];
  registry.on('reconciled', (event) => reconciled.push(event));
  registry.on('corruptRecord', (event) => corrupt.push(event));
  registry.on('error', (error) => errors.push(error));
  return { reconciled, corrupt, errors, actions: () => reconciled.map((event) => `${event.action}:${event.key ?? '*'}`).sort() };
}

/** Open orders on the venue that no sound record of `store` holds as its current order. */
export async function orphansOf(venue: PaperExchange, store: StateStore): Promise<StopOrder[]> {
  const held = new Set<string>();
  for (const record of await store.list()) {
    if (record.order !== null) held.add(record.order.id);
  }
  return venue.liveOrders().filter((order) => !held.has(order.id));
}

/** Live venue orders grouped by symbol. */
export function liveBySymbol(venue: PaperExchange): Map<string, StopOrder[]> {
  const result = new Map<string, StopOrder[]>();
  for (const order of venue.liveOrders()) {
    const list = result.get(order.symbol) ?? [];
    list.push(order);
    result.set(order.symbol, list);
  }
  return result;
}
