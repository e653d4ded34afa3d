/** Small builders and probes shared by the registry tests. */
import { afterEach, beforeEach } from 'vitest';
import { ManualClock } from './crash.js';
import {
  MemoryStateStore,
  PaperExchange,
  TrailingStopRegistry,
  type CreateStopSpec,
  type PaperExchangeOptions,
  type ReconcileEvent,
  type StateStore,
  type StopOrder,
  type TrailingStopRegistryOptions,
} from '../../src/index.js';

/**
 * A long position at 100 with a 2 % initial stop (98) and the library's activation (101), on
 * `BTCUSDT` unless a symbol is given; `overrides` win.
 */
export function longSpec(symbol: string, overrides?: Partial<CreateStopSpec>): CreateStopSpec;
export function longSpec(overrides?: Partial<CreateStopSpec>): CreateStopSpec;
export function longSpec(first: string | Partial<CreateStopSpec> = {}, second: Partial<CreateStopSpec> = {}): CreateStopSpec {
  const [symbol, overrides] = typeof first === 'string' ? [first, second] : ['BTCUSDT', first];
  return { symbol, side: 'long', entryPrice: 100, quantity: 1, stopLossPercent: 2, ...overrides };
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
  registry.on('error', ({ error }) => errors.push(error));
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

/** The world of a recovery test: a manual clock, one paper venue and one memory store. */
export interface RecoveryWorld {
  clock: ManualClock;
  venue: PaperExchange;
  store: MemoryStateStore;
}

/**
 * Registers hooks that give each test a fresh {@link RecoveryWorld} and close the registries it
 * made (crashed ones never become idle and are left alone). Returns the world (refreshed before
 * each test) and a factory of registries on it: owner `bot-1`, the given lease, no throttle,
 * fast retries; `options` win.
 */
export function useRecoveryWorld(leaseMs: number): {
  readonly world: RecoveryWorld;
  registry(options?: Partial<TrailingStopRegistryOptions>): TrailingStopRegistry;
} {
  const world = {} as RecoveryWorld;
  const registries: TrailingStopRegistry[] = [];
  beforeEach(() => {
    world.clock = new ManualClock();
    // Recovery is what a registry does about what it missed: the venue holds its order stream back.
    world.venue = new PaperExchange({ orderUpdates: 'manual' });
    world.store = new MemoryStateStore();
  });
  afterEach(async () => {
    await Promise.all(registries.splice(0).map((registry) => (registry.closed ? undefined : registry.close())));
  });
  return {
    world,
    registry(options = {}) {
      const created = new TrailingStopRegistry({
        placer: world.venue,
        store: world.store,
        clock: world.clock,
        owner: 'bot-1',
        leaseMs,
        claimPollMs: 1,
        minUpdateIntervalMs: 0,
        retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
        ...options,
      });
      registries.push(created);
      return created;
    },
  };
}
