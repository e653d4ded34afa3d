/** Small builders shared by the registry tests. */
import {
  MemoryStateStore,
  PaperExchange,
  TrailingStopRegistry,
  type CreateStopSpec,
  type PaperExchangeOptions,
  type TrailingStopRegistryOptions,
} from '../../src/index.js';

/** A long BTC position at 100 with a 2 % initial stop, overridable. */
export function longSpec(overrides: Partial<CreateStopSpec> = {}): CreateStopSpec {
  return { symbol: 'BTCUSDT', side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2, ...overrides };
}

/** A registry on a fresh PaperExchange and MemoryStateStore. */
export function makeRegistry(
  options: Partial<TrailingStopRegistryOptions> = {},
  paper: PaperExchangeOptions = {},
): { registry: TrailingStopRegistry; exchange: PaperExchange; store: MemoryStateStore } {
  const exchange = (options.placer as PaperExchange | undefined) ?? new PaperExchange(paper);
  const store = (options.store as MemoryStateStore | undefined) ?? new MemoryStateStore();
  const registry = new TrailingStopRegistry({
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    ...options,
    placer: exchange,
    store,
  });
  return { registry, exchange, store };
}

/** Every event name the registry emits, recorded in order. */
export function recordEvents(registry: TrailingStopRegistry): { name: string; args: unknown[] }[] {
  const seen: { name: string; args: unknown[] }[] = [];
  const names = [
    'created', 'removed', 'raceLost', 'compensated', 'error', 'activated', 'stopMoved', 'stopSynced',
    'breakeven', 'triggered', 'failed', 'corruptRecord', 'reconciled',
  ] as const;
  for (const name of names) {
    registry.on(name, (...args: unknown[]) => seen.push({ name, args }));
  }
  return seen;
}
