/**
 * `registry.reconcile()` on a running registry: safe to call periodically, idempotent, and never
 * in the way of work in flight (a creation or a move whose order is not recorded yet is not an
 * orphan). Registries share one memory store and one paper venue, as bot processes share a
 * database and an exchange account.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ClosedError,
  MemoryStateStore,
  PaperExchange,
  TrailingStopRegistry,
  type OrderPlacer,
} from '../../src/index.js';
import { Crash, ManualClock, type CrashPoint } from '../support/crash.js';
import { listen, liveBySymbol, longSpec, orphansOf, useRecoveryWorld } from '../support/fixtures.js';
import { interceptPlacer, interceptStore } from '../support/intercept.js';

const leaseMs = 5_000;

const recovery = useRecoveryWorld(leaseMs);
const registry = recovery.registry;
let clock: ManualClock;
let venue: PaperExchange;
let store: MemoryStateStore;

beforeEach(() => {
  ({ clock, venue, store } = recovery.world);
});

/**
 * The venue as seen through a slow link: calls take effect when they arrive, and `placeStop`
 * answers wait until `release()`, so a test can look at the world while an order exists that no
 * record names yet.
 */
function heldPlacements(inner: PaperExchange): { placer: OrderPlacer; held: () => number; release: () => void } {
  const waiting: (() => void)[] = [];
  let open = false;
  const placer: OrderPlacer = {
    capabilities: inner.capabilities,
    placeStop: async (request, options) => {
      const order = await inner.placeStop(request, options);
      if (!open) await new Promise<void>((resolve) => waiting.push(resolve));
      return order;
    },
    cancelStop: (order, options) => inner.cancelStop(order, options),
    findStop: (query, options) => inner.findStop!(query, options),
    openStops: (options) => inner.openStops(options),
  };
  return {
    placer,
    held: () => waiting.length,
    release: () => {
      open = true;
      for (const resolve of waiting.splice(0)) resolve();
    },
  };
}

function bind(inner: MemoryStateStore) {
  return {
    load: inner.load.bind(inner),
    list: inner.list.bind(inner),
    insert: inner.insert.bind(inner),
    compareAndSet: inner.compareAndSet.bind(inner),
    delete: inner.delete.bind(inner),
    close: inner.close.bind(inner),
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let spin = 0; spin < 1_000 && !condition(); spin++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

/** Every invariant of quiescence: one live order per live record, the one it names; nothing else. */
async function expectConsistent(): Promise<void> {
  const live = liveBySymbol(venue);
  for (const record of await store.list()) {
    const protecting = record.state === 'waiting' || record.state === 'active';
    const orders = live.get(record.symbol) ?? [];
    if (protecting && record.order !== null) {
      expect(orders.map((order) => order.id), `live orders for ${record.key}`).toEqual([record.order.id]);
    }
    if (!protecting) expect(orders, `live orders for ${record.key} (${record.state})`).toEqual([]);
  }
  expect(await orphansOf(venue, store)).toEqual([]);
}

describe('reconcile on a healthy registry', () => {
  it('reports nothing and writes nothing to the venue, however often it runs', async () => {
    const bot = registry();
    await bot.createMany(['BTC', 'ETH', 'SOL'].map((symbol) => longSpec(symbol)));
    bot.updatePrice('ETH', 104);
    await bot.onIdle();
    const heard = listen(bot);
    const calls = { ...venue.calls };
    const versions = (await store.list()).map((record) => `${record.key}@${record.version}`).sort();

    for (let round = 0; round < 3; round++) expect((await bot.reconcile()).actions).toEqual([]);

    expect(heard.reconciled).toEqual([]);
    expect(venue.calls.placeStop).toBe(calls.placeStop);
    expect(venue.calls.cancelStop).toBe(calls.cancelStop);
    expect((await store.list()).map((record) => `${record.key}@${record.version}`).sort()).toEqual(versions);
    await expectConsistent();
  });

  it('loads the stops another registry created into memory, and acts on none of them', async () => {
    const creator = registry({ owner: 'bot-1' });
    await creator.createMany(['BTC', 'ETH'].map((symbol) => longSpec(symbol)));
    const watcher = registry({ owner: 'bot-2' });
    const heard = listen(watcher);
    await watcher.reconcile();
    expect(heard.reconciled).toEqual([]);
    expect(watcher.list().map((stop) => [stop.key, stop.order?.id])).toEqual(creator.list().map((stop) => [stop.key, stop.order?.id]));
  });

  it('forgets a stop that another registry removed since', async () => {
    const creator = registry({ owner: 'bot-1' });
    await creator.createMany(['BTC', 'ETH'].map((symbol) => longSpec(symbol)));
    const watcher = registry({ owner: 'bot-2' });
    await watcher.reconcile();
    await creator.remove('BTC');
    await watcher.reconcile();
    await watcher.onIdle();
    // Memory agrees with the store at quiescence (I4): the removed stop no longer follows prices.
    expect(watcher.has('BTC')).toBe(false);
    watcher.updatePrice('BTC', 110);
    await watcher.onIdle();
    expect(venue.liveOrders('BTC')).toEqual([]);
    await expectConsistent();
  });

  it('rejects with ClosedError after close()', async () => {
    const bot = registry();
    await bot.close();
    await expect(bot.reconcile()).rejects.toBeInstanceOf(ClosedError);
    await expect(bot.restore()).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('reconcile repairs what happened behind the registry\'s back', () => {
  it('places a hand-cancelled stop again, once; the next pass finds nothing to do', async () => {
    const bot = registry();
    const stop = await bot.create(longSpec('BTC'));
    venue.cancelByHand(stop.order!.id);
    const heard = listen(bot);

    await bot.reconcile();
    await bot.onIdle();
    expect(heard.actions()).toEqual(['replaced:BTC']);
    expect(venue.liveOrders('BTC')).toHaveLength(1);
    expect(bot.get('BTC')).toMatchObject({ state: 'waiting', stopPrice: 98 });

    await bot.reconcile();
    await bot.onIdle();
    expect(heard.reconciled).toHaveLength(1);
    expect(heard.errors).toEqual([]);
    await expectConsistent();
  });

  it('finalizes a stop whose order filled while the registry missed the tick', async () => {
    const bot = registry();
    await bot.create(longSpec('BTC'));
    expect(venue.setPrice('BTC', 97)).toHaveLength(1); // the registry never saw this price
    const heard = listen(bot);
    const calls = { ...venue.calls };
    await bot.reconcile();
    await bot.onIdle();
    expect(heard.actions()).toEqual(['finalized:BTC']);
    expect(bot.get('BTC')?.state).toBe('triggered');
    expect((await store.load('BTC'))?.state).toBe('triggered');
    expect(venue.calls.placeStop).toBe(calls.placeStop);
    // A triggered stop no longer follows prices: a rebound moves nothing.
    bot.updatePrice('BTC', 120);
    await bot.onIdle();
    expect(venue.calls.placeStop).toBe(calls.placeStop);
  });

  it('sweeps an orphan a lost race left behind when its compensation failed', async () => {
    const bot = registry();
    await bot.create(longSpec('BTC'));
    // An order with this registry's prefix for a position no record names.
    const orphan = await venue.placeStop(
      { symbol: 'BTC', side: 'sell', quantity: 1, stopPrice: 97, clientOrderId: 'tsr-BTC-zzzzzzzzzz-1' },
      { signal: new AbortController().signal },
    );
    const heard = listen(bot);
    await bot.reconcile();
    expect(heard.reconciled.map((event) => [event.action, event.order?.id])).toEqual([['orphanCancelled', orphan.id]]);
    await bot.reconcile();
    expect(heard.reconciled).toHaveLength(1);
    await expectConsistent();
  });
});

describe('reconcile with a placer that can only list, or only look up', () => {
  async function crashedClaimWithOrder(): Promise<void> {
    const crash = new Crash((point: CrashPoint) => point.side === 'placer' && point.operation === 'placeStop' && point.when === 'after');
    const dead = new TrailingStopRegistry({ placer: crash.placer(venue), store: crash.store(store), clock: crash.clock(clock), owner: 'bot-1', leaseMs });
    void dead.create(longSpec('BTC'));
    await until(() => crash.crashed);
  }

  it('with openStops only, a crashed claim\'s order is found in the open list and adopted', async () => {
    await crashedClaimWithOrder();
    const listing: OrderPlacer = {
      placeStop: (request, options) => venue.placeStop(request, options),
      cancelStop: (order, options) => venue.cancelStop(order, options),
      openStops: (options) => venue.openStops(options),
    };
    const bot = registry({ placer: listing });
    const heard = listen(bot);
    await bot.restore();
    expect(heard.actions()).toEqual(['adopted:BTC']);
    expect(venue.allOrders()).toHaveLength(1);
    await expectConsistent();
  });

  it('with findStop only, a crashed claim is resolved by lookup, and nothing is swept (nothing to list)', async () => {
    await crashedClaimWithOrder();
    const orphan = await venue.placeStop(
      { symbol: 'ETH', side: 'sell', quantity: 1, stopPrice: 40, clientOrderId: 'tsr-ETH-zzzzzzzzzz-1' },
      { signal: new AbortController().signal },
    );
    const finding: OrderPlacer = {
      placeStop: (request, options) => venue.placeStop(request, options),
      cancelStop: (order, options) => venue.cancelStop(order, options),
      findStop: (query, options) => venue.findStop!(query, options),
    };
    const bot = registry({ placer: finding });
    const heard = listen(bot);
    await bot.restore();
    expect(heard.actions()).toEqual(['adopted:BTC']);
    expect(venue.liveOrders('ETH').map((order) => order.id)).toEqual([orphan.id]);
  });
});

describe('reconcile never gets in the way of work in flight', () => {
  it('leaves alone the order of a creation whose answer has not arrived yet (same registry)', async () => {
    const link = heldPlacements(venue);
    const bot = registry({ placer: link.placer });
    const heard = listen(bot);
    const creating = bot.create(longSpec('BTC'));
    await until(() => link.held() === 1);
    expect(venue.liveOrders('BTC')).toHaveLength(1);

    await bot.reconcile();
    expect(heard.reconciled).toEqual([]);
    link.release();
    const stop = await creating;
    await bot.onIdle();
    expect(stop.order?.id).toBe(venue.liveOrders('BTC')[0]?.id);
    await expectConsistent();
  });

  it('leaves alone another registry\'s creation in flight (its claim is live)', async () => {
    const link = heldPlacements(venue);
    const creator = registry({ owner: 'bot-1', placer: link.placer });
    const sweeper = registry({ owner: 'bot-2' });
    const heard = listen(sweeper);
    const creating = creator.create(longSpec('BTC'));
    await until(() => link.held() === 1);

    await sweeper.reconcile();
    expect(heard.reconciled).toEqual([]);
    expect(venue.liveOrders('BTC')).toHaveLength(1);
    link.release();
    await creating;
    await creator.onIdle();
    await sweeper.reconcile();
    expect(heard.reconciled).toEqual([]);
    await expectConsistent();
  });

  it('leaves alone the new order of another registry\'s move in flight (make-before-break)', async () => {
    const creator = registry({ owner: 'bot-1' });
    await creator.create(longSpec('BTC'));
    const sweeper = registry({ owner: 'bot-2' });
    await sweeper.reconcile();
    const heard = listen(sweeper);

    // Hold the next placement: the new, tighter order exists; the record still names the old one.
    const gated = heldPlacements(venue);
    const mover = registry({ owner: 'bot-3', placer: gated.placer });
    await mover.reconcile();
    mover.updatePrice('BTC', 110);
    await until(() => gated.held() === 1);
    expect(venue.liveOrders('BTC')).toHaveLength(2);

    await sweeper.reconcile();
    expect(heard.reconciled).toEqual([]);
    expect(venue.liveOrders('BTC')).toHaveLength(2);
    gated.release();
    await mover.onIdle();
    expect(venue.liveOrders('BTC')).toHaveLength(1);
    await sweeper.reconcile();
    await sweeper.onIdle();
    await expectConsistent();
  });

  it.each(['reconcile', 'restore'] as const)(
    "%s does not place the stop again at its record's looser price while another registry's move is being written",
    async (pass) => {
      // bot-3 moves BTC make-before-break: the new, tighter order rests, the old one is cancelled,
      // and its record write is held: the record still names the cancelled old order.
      let releaseWrite!: () => void;
      const writeHeld = new Promise<void>((resolve) => (releaseWrite = resolve));
      let holding = false;
      const slowStore = {
        ...bind(store),
        compareAndSet: async (next: Parameters<MemoryStateStore['compareAndSet']>[0], expected: number) => {
          if (next.state === 'active') {
            holding = true;
            await writeHeld;
          }
          return store.compareAndSet(next, expected);
        },
      };
      const mover = registry({ owner: 'bot-3', store: slowStore });
      await mover.create(longSpec('BTC'));
      const [initial] = venue.liveOrders('BTC');
      mover.updatePrice('BTC', 110);
      await until(() => holding);
      const [moved] = venue.liveOrders('BTC');
      expect(moved!.stopPrice).toBeGreaterThan(initial!.stopPrice);
      expect((await store.load('BTC'))?.order?.id).toBe(initial!.id);

      // bot-2 recovers meanwhile: the recorded order is gone, the move's order is the stop.
      const recovering = registry({ owner: 'bot-2' });
      const placements = venue.calls.placeStop;
      try {
        await (pass === 'reconcile' ? recovering.reconcile() : recovering.restore());
        await recovering.onIdle();
        expect(venue.calls.placeStop, 'no order placed again at the old price').toBe(placements);
        expect(venue.liveOrders('BTC').map((order) => order.id)).toEqual([moved!.id]);
        expect(recovering.get('BTC')?.order?.id).toBe(moved!.id);
      } finally {
        // Also when an expectation failed: closing bot-3 waits for its write.
        releaseWrite();
      }
      await mover.onIdle();
      await recovering.reconcile();
      await Promise.all([mover.onIdle(), recovering.onIdle()]);
      expect(venue.liveOrders('BTC').map((order) => order.id)).toEqual([moved!.id]);
      expect((await store.load('BTC'))?.order?.id).toBe(moved!.id);
      await expectConsistent();
    },
  );

  it.each(['reconcile', 'create'] as const)('a claim taken over (by %s) while its slow owner is still working keeps one live order', async (takeOverBy) => {
    // bot-1's placement reaches the venue, but its answer is slower than the lease.
    const link = heldPlacements(venue);
    const owner = registry({ owner: 'bot-1', placer: link.placer });
    const creating = owner.create(longSpec('BTC'));
    await until(() => link.held() === 1);
    clock.advance(leaseMs);

    // bot-2 takes the expired claim over and adopts the order by client order id; hold its final write.
    let releaseWrite!: () => void;
    const writeHeld = new Promise<void>((resolve) => {
      releaseWrite = resolve;
    });
    let holding = false;
    const slowStore = {
      ...bind(store),
      compareAndSet: async (next: Parameters<MemoryStateStore['compareAndSet']>[0], expected: number) => {
        if (next.state !== 'pending') {
          holding = true;
          await writeHeld;
        }
        return store.compareAndSet(next, expected);
      },
    };
    const taker = registry({ owner: 'bot-2', store: slowStore });
    const heard = listen(taker);
    const reconciling = takeOverBy === 'reconcile' ? taker.reconcile() : taker.create(longSpec('BTC'));
    await until(() => holding);

    // Now bot-1's answer arrives: its double-check finds bot-2's claim.
    link.release();
    await until(() => owner.stats.racesLost === 1);
    releaseWrite();
    await reconciling;
    const stop = await creating;
    await Promise.all([owner.onIdle(), taker.onIdle()]);

    if (takeOverBy === 'reconcile') expect(heard.actions()).toEqual(['adopted:BTC']);
    expect(stop.order?.id).toBe((await store.load('BTC'))?.order?.id);
    expect(taker.get('BTC')?.order?.id).toBe(stop.order?.id);
    expect(venue.liveOrders('BTC'), 'the adopted order is still live').toHaveLength(1);
    await expectConsistent();
  });

  it('concurrent passes in two registries resolve a crashed claim once: one order, no orphan', async () => {
    // bot-dead claimed BTC and ETH and died: BTC's order reached the venue, ETH's did not.
    const crash = new Crash((point: CrashPoint) => point.side === 'placer' && point.operation === 'placeStop' && point.when === 'after' && venue.calls.placeStop === 1);
    const dead = new TrailingStopRegistry({
      placer: crash.placer(venue),
      store: crash.store(store),
      clock: crash.clock(clock),
      owner: 'bot-dead',
      leaseMs,
      concurrency: 1,
    });
    void dead.createMany([longSpec('BTC'), longSpec('ETH')]);
    await until(() => crash.crashed);
    clock.advance(leaseMs);

    const first = registry({ owner: 'bot-1' });
    const second = registry({ owner: 'bot-2' });
    const heardFirst = listen(first);
    const heardSecond = listen(second);
    await Promise.all([first.restore(), second.restore(), first.reconcile(), second.reconcile()]);
    await Promise.all([first.onIdle(), second.onIdle()]);

    const actions = [...heardFirst.actions(), ...heardSecond.actions()].sort();
    expect(actions.filter((action) => action.endsWith(':BTC'))).toEqual(['adopted:BTC']);
    expect(actions.filter((action) => action.endsWith(':ETH'))).toHaveLength(1);
    expect(venue.allOrders().filter((order) => order.symbol === 'BTC')).toHaveLength(1);
    expect(venue.allOrders().filter((order) => order.symbol === 'ETH')).toHaveLength(1);
    for (const record of await store.list()) expect(record.state).toBe('waiting');
    await expectConsistent();
  });

  it('a pass concurrent with itself in one registry places one order per resumed claim', async () => {
    const crash = new Crash((point: CrashPoint) => point.side === 'placer' && point.when === 'before');
    const dead = new TrailingStopRegistry({ placer: crash.placer(venue), store: crash.store(store), clock: crash.clock(clock), owner: 'bot-1', leaseMs });
    void dead.create(longSpec('BTC'));
    await until(() => crash.crashed);
    const bot = registry({ owner: 'bot-1' });
    await Promise.all([bot.reconcile(), bot.reconcile(), bot.reconcile()]);
    await bot.onIdle();
    expect(venue.allOrders()).toHaveLength(1);
    expect(bot.get('BTC')?.order?.id).toBe(venue.allOrders()[0]!.id);
    await expectConsistent();
  });
});

describe('reconcile passes that overlap', () => {
  it('a pass that finds the order gone does not take the order from a stop that triggered meanwhile (another pass saw the gap)', async () => {
    let holdLoads = false;
    const held: (() => void)[] = [];
    const slowLoads = interceptStore(bind(store), async (operation, _argument, call) => {
      if (operation === 'load' && holdLoads) await new Promise<void>((resolve) => held.push(resolve));
      return call();
    });
    const bot = registry({ store: slowLoads });
    await bot.create(longSpec('BTC'));
    const [order] = venue.liveOrders('BTC');
    await venue.cancelStop(order!, { signal: new AbortController().signal }); // by hand; the stream is held back
    holdLoads = true;
    // The first pass finds the order gone and re-reads the record before placing it again.
    const replacing = bot.reconcile();
    await until(() => held.length === 1);
    holdLoads = false;
    // The second pass is told the price crossed the stop: the gap path triggers it.
    await bot.reconcile({ prices: { BTC: 97 } });
    expect(bot.get('BTC')!.state).toBe('triggered');
    held.splice(0).forEach((resolve) => resolve());
    await replacing;
    await bot.onIdle();
    const stop = bot.get('BTC')!;
    const record = await store.load('BTC');
    expect(record?.state).toBe('triggered');
    expect(stop.version).toBe(record?.version);
    expect(stop.order?.id).toBe(record?.order?.id);
    expect(venue.liveOrders('BTC')).toEqual([]);
  });
});

describe('reconcile() and a listing older than a creation', () => {
  it('does not put back the ended stop a listing still shows after a new position took the key', async () => {
    let holdLists = false;
    const held: (() => void)[] = [];
    const slowLists = interceptStore(bind(store), async (operation, _argument, call) => {
      const answer = await call();
      if (operation === 'list' && holdLists) await new Promise<void>((resolve) => held.push(resolve));
      return answer;
    });
    const bot = registry({ store: slowLists });
    await bot.create(longSpec('BTC', { positionId: 'p1' }));
    const [order] = venue.liveOrders('BTC');
    await venue.cancelStop(order!, { signal: new AbortController().signal });
    await bot.reconcile({ prices: { BTC: 97 } }); // the gap path: triggered, and so recorded
    expect((await store.load('BTC'))?.state).toBe('triggered');

    holdLists = true;
    const pass = bot.reconcile();
    await until(() => held.length === 1); // the pass listed the triggered record
    holdLists = false;
    const reopened = await bot.create(longSpec('BTC', { positionId: 'p2' }));
    held.splice(0).forEach((resolve) => resolve());
    await pass;
    await bot.onIdle();

    const record = await store.load('BTC');
    expect(record?.positionId).toBe('p2');
    expect(bot.get('BTC')).toBe(reopened);
    expect(reopened.state).toBe('waiting');
    expect(reopened.version).toBe(record?.version);
    await expectConsistent();
  });
});

describe('reconcile() and a listing older than a move', () => {
  const trailing = { activationPercent: 0, callbackPercent: 1, minUpdateIntervalMs: 0, minImprovementPercent: 0 };

  /** A venue that amends, whose `openStops` answer is held until `release()` (it lists at the call). */
  function slowListing() {
    const venue = new PaperExchange({ amend: true });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const placer = interceptPlacer(venue, async (operation, _argument, call) => {
      const answer = await call();
      if (operation === 'openStops') await held;
      return answer;
    });
    return { venue, placer, release };
  }

  it('does not take the listed price of an order that moved since (a stop only tightens)', async () => {
    const { venue, placer, release } = slowListing();
    const registry = new TrailingStopRegistry({ placer, store: new MemoryStateStore(), retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    await registry.create(longSpec(trailing));
    registry.updatePrice('BTCUSDT', 100);
    await registry.onIdle();
    const pass = registry.reconcile();
    await new Promise((resolve) => setImmediate(resolve));
    // The listing saw the order at 99; the stop moves to 108.9 before the listing answers.
    registry.updatePrice('BTCUSDT', 110);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await pass;
    await registry.onIdle();
    const [order] = venue.liveOrders();
    expect(order!.stopPrice).toBeCloseTo(108.9, 6);
    expect(registry.get('BTCUSDT')!.order!.stopPrice).toBeCloseTo(108.9, 6);
    await registry.close();
  });

  it("records the order's amended price when another registry amended it while the pass adopted the order", async () => {
    // bot-2 reads the store, then bot-1 places the first order; bot-2 lists it, then bot-1 amends it.
    // bot-2 (no change feed) adopts the order it listed; its write meets bot-1's newer record of the
    // same order and must keep that snapshot, not the one it listed before the amend.
    const venue = new PaperExchange({ amend: true });
    const shared = new MemoryStateStore();
    const gates = { list: false, openStops: false };
    const held: (() => void)[] = [];
    const hold = async (gate: keyof typeof gates, answer: unknown) => {
      if (gates[gate]) await new Promise<void>((resolve) => held.push(resolve));
      return answer;
    };
    const release = () => held.splice(0).forEach((resolve) => resolve());
    const unwatched = interceptStore(bind(shared), async (operation, _argument, call) => {
      const answer = await call();
      return operation === 'list' ? hold('list', answer) : answer;
    });
    const slowListing = interceptPlacer(venue, async (operation, _argument, call) => {
      const answer = await call();
      return operation === 'openStops' ? hold('openStops', answer) : answer;
    });
    const options = { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 }, minUpdateIntervalMs: 0 };
    const mover = new TrailingStopRegistry({ ...options, owner: 'bot-1', placer: venue, store: shared });
    const reconciler = new TrailingStopRegistry({ ...options, owner: 'bot-2', placer: slowListing, store: unwatched });
    const spec = { ...longSpec('ETH'), stopLossPercent: undefined, activationPercent: 1, callbackPercent: 1, minImprovementPercent: 0 };
    await mover.create(spec);
    await reconciler.reconcile();
    expect(reconciler.get('ETH')!.order).toBeNull();

    gates.list = true;
    const pass = reconciler.reconcile();
    await until(() => held.length === 1); // the store's listing is taken (no order yet) and held
    gates.list = false;
    gates.openStops = true;
    mover.updatePrice('ETH', 102);
    await mover.onIdle();
    release();
    await until(() => held.length === 1); // the venue's listing is taken (the first order) and held
    mover.updatePrice('ETH', 105);
    await mover.onIdle();
    const [amended] = venue.liveOrders();
    expect(amended!.stopPrice).toBeCloseTo(103.95, 6);
    release();
    await pass;
    await reconciler.onIdle();
    await mover.onIdle();

    const record = await shared.load('ETH');
    expect(venue.liveOrders().map((order) => order.id)).toEqual([record!.order!.id]);
    expect(record!.order!.stopPrice).toBe(amended!.stopPrice);
    await Promise.all([mover.close(), reconciler.close()]);
  });

  it('places a vanished order again at the tighter price the venue last held it at, not the older one its record says', async () => {
    const venue = new PaperExchange({ amend: true, orderUpdates: 'manual' });
    const store = new MemoryStateStore();
    const creator = new TrailingStopRegistry({ placer: venue, store, owner: 'bot-1', retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    await creator.create(longSpec(trailing));
    await creator.close();
    // An amend took effect just before its registry died (the record still says 99); then the
    // order went (another registry's removal cancelled it, and its record delete failed).
    const [order] = venue.liveOrders();
    await venue.amendStop!(order!, 99.99, { signal: new AbortController().signal });
    venue.cancelByHand(order!.id);
    const restarted = new TrailingStopRegistry({ placer: venue, store, owner: 'bot-1', retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    await restarted.restore();
    await restarted.onIdle();
    expect(venue.liveOrders().map((live) => live.stopPrice)).toEqual([99.99]);
    expect(restarted.get('BTCUSDT')!.stopPrice).toBe(99.99);
    expect((await store.load('BTCUSDT'))?.order?.stopPrice).toBe(99.99);
    await restarted.close();
  });

  it('moves an order loosened on the venue by hand back to the stop', async () => {
    const venue = new PaperExchange({ amend: true });
    const registry = new TrailingStopRegistry({ placer: venue, store: new MemoryStateStore(), retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    await registry.create(longSpec(trailing));
    registry.updatePrice('BTCUSDT', 110);
    await registry.onIdle();
    const [order] = venue.liveOrders();
    await venue.amendStop!(order!, 95, { signal: new AbortController().signal });
    await registry.reconcile();
    await registry.onIdle();
    expect(venue.liveOrders().map((live) => live.stopPrice)).toEqual([registry.get('BTCUSDT')!.stopPrice]);
    expect(registry.get('BTCUSDT')!.stopPrice).toBeCloseTo(108.9, 6);
    await registry.close();
  });
});
