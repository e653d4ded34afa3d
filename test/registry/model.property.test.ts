/**
 * Model-based test (fast-check commands): random sequences of create, price moves, resize and
 * remove on a few keys, each run to quiescence, with the venue filling stops the price crosses.
 * After every command: one live order per protected stop and none otherwise (I2), the venue holds
 * exactly the policy's stop (make-before-break converged), the stop never loosened (I5), and memory
 * agrees with the store (I4).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemoryStateStore, PaperExchange, TrailingStopRegistry } from '../../src/index.js';

const keys = ['BTC', 'ETH', 'SOL'] as const;
type Key = (typeof keys)[number];

interface World {
  readonly registry: TrailingStopRegistry;
  readonly venue: PaperExchange;
  readonly store: MemoryStateStore;
  /** Last market price per key. */
  readonly prices: Map<Key, number>;
  /** Tightest stop seen per position, to check I5. */
  readonly tightest: Map<string, number>;
}

/** What the model tracks: which keys have a stop the test created and did not remove. */
interface Model {
  readonly open: Set<Key>;
}

async function checkInvariants(world: World, model: Model): Promise<void> {
  const { registry, venue, store, tightest } = world;
  await registry.onIdle();
  for (const key of keys) {
    const stop = registry.get(key);
    const record = await store.load(key);
    const live = venue.liveOrders(key);
    expect(stop !== undefined, `registry holds ${key} iff the model does`).toBe(model.open.has(key));
    if (stop === undefined) {
      expect(record).toBeUndefined();
      expect(live).toHaveLength(0);
      continue;
    }
    // I4: memory and store agree.
    expect(record?.version).toBe(stop.version);
    expect(record?.order?.id ?? null).toBe(stop.order?.id ?? null);
    expect(record?.state).toBe(stop.state);
    if (stop.state === 'waiting' || stop.state === 'active') {
      // I2 and convergence: exactly the policy's stop rests on the venue.
      expect(live, `live orders for ${key}`).toHaveLength(1);
      expect(live[0]!.id).toBe(stop.order!.id);
      expect(live[0]!.stopPrice).toBe(stop.stopPrice);
      expect(live[0]!.quantity).toBe(stop.quantity);
    } else {
      expect(stop.state).toBe('triggered');
      expect(live, `a triggered stop leaves nothing on the venue (${key})`).toHaveLength(0);
    }
    // I5: never looser than before, for this position.
    const id = `${key}:${stop.positionId}`;
    const before = tightest.get(id);
    if (before !== undefined && stop.stopPrice !== null) expect(stop.stopPrice).toBeGreaterThanOrEqual(before);
    if (stop.stopPrice !== null) tightest.set(id, Math.max(before ?? 0, stop.stopPrice));
  }
}

class Create implements fc.AsyncCommand<Model, World> {
  constructor(readonly key: Key) {}
  check = () => true;
  async run(model: Model, world: World): Promise<void> {
    const existing = world.registry.get(this.key);
    if (existing !== undefined && existing.state === 'triggered') await world.registry.remove(this.key);
    const price = world.prices.get(this.key) ?? 100;
    world.prices.set(this.key, price);
    world.venue.setPrice(this.key, price);
    const spec = { symbol: this.key, side: 'long', entryPrice: price, quantity: 1, stopLossPercent: 2, tickSize: 0.01 } as const;
    const live = world.registry.get(this.key);
    if (live !== undefined && (live.state === 'waiting' || live.state === 'active') && (live.entryPrice !== price || live.quantity !== 1)) {
      // Another position's spec for a key with a live stop: refused, never answered with the old stop.
      await expect(world.registry.create(spec)).rejects.toMatchObject({ code: 'ERR_STOP_CONFLICT' });
    } else {
      await world.registry.create(spec);
    }
    model.open.add(this.key);
    await checkInvariants(world, model);
  }
  toString = () => `create(${this.key})`;
}

class MovePrice implements fc.AsyncCommand<Model, World> {
  constructor(
    readonly key: Key,
    readonly percent: number,
  ) {}
  check = () => true;
  async run(model: Model, world: World): Promise<void> {
    const price = Number(((world.prices.get(this.key) ?? 100) * (1 + this.percent / 100)).toFixed(2));
    world.prices.set(this.key, price);
    // The venue sees the price first and fills what it crosses, as a real one would.
    world.venue.setPrice(this.key, price);
    world.registry.updatePrice(this.key, price);
    await checkInvariants(world, model);
  }
  toString = () => `price(${this.key}, ${this.percent.toFixed(2)}%)`;
}

class Resize implements fc.AsyncCommand<Model, World> {
  constructor(
    readonly key: Key,
    readonly quantity: number,
  ) {}
  check = (model: Readonly<Model>) => model.open.has(this.key);
  async run(model: Model, world: World): Promise<void> {
    const stop = world.registry.get(this.key)!;
    if (stop.state !== 'waiting' && stop.state !== 'active') return;
    await world.registry.resize(this.key, this.quantity);
    await checkInvariants(world, model);
  }
  toString = () => `resize(${this.key}, ${this.quantity})`;
}

class Remove implements fc.AsyncCommand<Model, World> {
  constructor(readonly key: Key) {}
  check = () => true;
  async run(model: Model, world: World): Promise<void> {
    expect(await world.registry.remove(this.key)).toBe(model.open.has(this.key));
    model.open.delete(this.key);
    await checkInvariants(world, model);
  }
  toString = () => `remove(${this.key})`;
}

const key = fc.constantFrom(...keys);
const commands = fc.commands(
  [
    key.map((value) => new Create(value)),
    fc.tuple(key, fc.double({ min: -3, max: 3, noNaN: true })).map(([value, percent]) => new MovePrice(value, percent)),
    fc.tuple(key, fc.integer({ min: 1, max: 5 })).map(([value, quantity]) => new Resize(value, quantity)),
    key.map((value) => new Remove(value)),
  ],
  { maxCommands: 30 },
);

describe('registry model', () => {
  it('keeps I2, I4, I5 and convergence across random create / price / resize / remove sequences', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (sequence) => {
        const venue = new PaperExchange({ amend: false });
        const store = new MemoryStateStore();
        const registry = new TrailingStopRegistry({
          placer: venue,
          store,
          activationPercent: 1,
          callbackPercent: 1,
          minUpdateIntervalMs: 0,
          minImprovementPercent: 0,
          retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
        });
        const world: World = { registry, venue, store, prices: new Map(), tightest: new Map() };
        await fc.asyncModelRun(() => ({ model: { open: new Set<Key>() }, real: world }), sequence);
        await registry.close();
      }),
      { numRuns: 150 },
    );
  });
});
