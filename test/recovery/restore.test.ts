/**
 * `registry.restore()`: load the store into memory, then reconcile it with the exchange. Each test
 * leaves state behind the way a crash or a restart does (a registry that dies between two awaits,
 * a hand-cancelled order, a corrupt row), then a new registry restores it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ExchangeRejectedError,
  MemoryStateStore,
  PaperExchange,
  TrailingStopRegistry,
  type StateStore,
  type StopRecord,
  type TrailingStopRegistryOptions,
} from '../../src/index.js';
import { SqliteStateStore } from '../../src/stores/sqlite.js';
import { makeStopRecord } from '../../src/testing/index.js';
import { Crash, ManualClock, type CrashPoint } from '../support/crash.js';
import { interceptPlacer } from '../support/intercept.js';
import { listen, longSpec, orphansOf, useRecoveryWorld } from '../support/fixtures.js';

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
 * A registry that dies at the first call `when` matches. Its `create()` never settles; resolves
 * once the process is dead, with the store record it left behind.
 */
async function crashDuringCreate(
  symbol: string,
  when: (point: CrashPoint) => boolean,
  options: Partial<TrailingStopRegistryOptions> = {},
): Promise<StopRecord> {
  const crash = new Crash(when);
  const doomed = new TrailingStopRegistry({
    placer: crash.placer(venue),
    store: crash.store(store),
    clock: crash.clock(clock),
    owner: 'bot-1',
    leaseMs,
    ...options,
  });
  let settled = false;
  void doomed.create(longSpec(symbol)).finally(() => {
    settled = true;
  });
  for (let spin = 0; spin < 100 && !crash.crashed; spin++) await new Promise((resolve) => setImmediate(resolve));
  expect(crash.crashed, 'the registry crashed').toBe(true);
  expect(settled, 'a crashed registry never answers').toBe(false);
  const record = await store.load(symbol);
  expect(record?.state).toBe('pending');
  return record!;
}

const placeArrives = (point: CrashPoint) => point.side === 'placer' && point.operation === 'placeStop';
const placeLeaves = (point: CrashPoint) => placeArrives(point) && point.when === 'before';
const placeAnswered = (point: CrashPoint) => placeArrives(point) && point.when === 'after';

/** Opens an SQLite file; closed after the test whatever its outcome. */
const databases: Database.Database[] = [];
function openDatabase(file: string): Database.Database {
  const database = new Database(file);
  databases.push(database);
  return database;
}
afterEach(() => {
  for (const database of databases.splice(0)) if (database.open) database.close();
});

describe('restore: a restart finds its stops again', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'restore-test-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('restores every stop from SQLite after a restart, finds the venue agrees, and keeps trailing', async () => {
    const file = join(directory, 'stops.db');
    const firstDatabase = openDatabase(file);
    const firstStore = new SqliteStateStore({ database: firstDatabase });
    const first = registry({ store: firstStore });
    for (const symbol of ['BTC', 'ETH', 'SOL']) await first.create(longSpec(symbol));
    first.updatePrice('ETH', 105); // activates ETH and moves its stop up
    await first.onIdle();
    const before = new Map(first.list().map((stop) => [stop.key, stop.snapshot()]));
    await first.close();
    await firstStore.close();
    firstDatabase.close();

    const database = openDatabase(file);
    const sqlite = new SqliteStateStore({ database });
    const second = registry({ store: sqlite });
    const heard = listen(second);
    const report = await second.restore();

    expect(report.restored.sort()).toEqual(['BTC', 'ETH', 'SOL']);
    expect(report.corrupt).toEqual([]);
    expect(report.reconciliation?.actions).toEqual([]);
    expect(heard.reconciled).toEqual([]);
    for (const [key, snapshot] of before) {
      const restored = second.get(key)!;
      expect(restored.snapshot()).toMatchObject({ state: snapshot.state, stopPrice: snapshot.stopPrice, positionId: snapshot.positionId });
      expect(restored.order?.id).toBe(venue.liveOrders(key)[0]?.id);
    }
    expect(venue.liveOrders()).toHaveLength(3);

    // Still trailing: a rise moves ETH's stop on the venue, make-before-break, one live order.
    second.updatePrice('ETH', 110);
    await second.onIdle();
    const [eth] = venue.liveOrders('ETH');
    expect(venue.liveOrders('ETH')).toHaveLength(1);
    expect(eth!.stopPrice).toBe(second.get('ETH')!.stopPrice);
    expect(eth!.stopPrice).toBeGreaterThan(before.get('ETH')!.stopPrice!);
    expect((await sqlite.load('ETH'))?.order?.id).toBe(eth!.id);
    await second.close();
    await sqlite.close();
    database.close();
  });

  it('restores into a registry that knows nothing, without a placer that can look orders up', async () => {
    const first = registry();
    await first.create(longSpec('BTC'));
    await first.close();
    // No findStop, no openStops: nothing to reconcile against.
    const placer = { placeStop: venue.placeStop.bind(venue), cancelStop: venue.cancelStop.bind(venue) };
    const second = registry({ placer });
    const report = await second.restore();
    expect(report).toEqual({ restored: ['BTC'], corrupt: [], reconciliation: undefined });
    expect(second.get('BTC')?.state).toBe('waiting');
  });

  it('restoring twice changes nothing the second time', async () => {
    const first = registry();
    await first.createMany(['BTC', 'ETH'].map((symbol) => longSpec(symbol)));
    await first.close();
    const second = registry();
    await second.restore();
    const calls = { ...venue.calls };
    const again = await second.restore();
    expect(again.restored).toEqual([]);
    expect(again.reconciliation?.actions).toEqual([]);
    expect(venue.calls.placeStop).toBe(calls.placeStop);
    expect(venue.calls.cancelStop).toBe(calls.cancelStop);
  });
});

describe('restore: pending claims left by a crash are resolved by client order id', () => {
  it('adopts the order a crashed creation placed (its answer was lost): never a second order', async () => {
    const pending = await crashDuringCreate('BTC', placeAnswered);
    expect(venue.liveOrders('BTC')).toHaveLength(1);
    const restarted = registry();
    const heard = listen(restarted);
    const report = await restarted.restore();

    expect(heard.actions()).toEqual(['adopted:BTC']);
    expect(report.reconciliation?.actions.map((event) => event.action)).toEqual(['adopted']);
    expect(venue.allOrders()).toHaveLength(1);
    const [order] = venue.liveOrders('BTC');
    expect(order!.clientOrderId).toBe(pending.clientOrderId);
    const record = await store.load('BTC');
    expect(record).toMatchObject({ state: 'waiting', positionId: pending.positionId, owner: 'bot-1' });
    expect(record!.order?.id).toBe(order!.id);
    expect(restarted.get('BTC')?.order?.id).toBe(order!.id);
  });

  it('places the order of a claim that never reached the venue, under the claim\'s client order id', async () => {
    const pending = await crashDuringCreate('BTC', placeLeaves);
    expect(venue.allOrders()).toHaveLength(0);
    const restarted = registry();
    const heard = listen(restarted);
    await restarted.restore();

    expect(heard.actions()).toEqual(['resumed:BTC']);
    expect(venue.allOrders()).toHaveLength(1);
    expect(venue.liveOrders('BTC')[0]).toMatchObject({ clientOrderId: pending.clientOrderId, stopPrice: 98, side: 'sell', quantity: 1 });
    expect((await store.load('BTC'))?.order?.id).toBe(venue.liveOrders('BTC')[0]!.id);
  });

  it('finalizes a claim whose order already filled, and places nothing', async () => {
    await crashDuringCreate('BTC', placeAnswered);
    expect(venue.setPrice('BTC', 97)).toHaveLength(1); // the stop at 98 fills while the bot is down
    const restarted = registry();
    const heard = listen(restarted);
    await restarted.restore();

    expect(heard.actions()).toEqual(['finalized:BTC']);
    expect(venue.allOrders()).toHaveLength(1);
    expect(venue.liveOrders()).toEqual([]);
    expect((await store.load('BTC'))?.state).toBe('triggered');
    expect(restarted.get('BTC')?.state).toBe('triggered');
  });

  it('leaves another registry\'s live claim alone, and takes it over once its lease expired', async () => {
    await crashDuringCreate('BTC', placeAnswered, { owner: 'bot-dead' });
    const survivor = registry({ owner: 'bot-2' });
    const heard = listen(survivor);
    await survivor.restore();
    expect(heard.reconciled).toEqual([]);
    expect(await store.load('BTC')).toMatchObject({ state: 'pending', owner: 'bot-dead' });
    expect(venue.liveOrders()).toHaveLength(1); // a live claim's order is not an orphan

    clock.advance(leaseMs);
    await survivor.reconcile();
    expect(heard.actions()).toEqual(['adopted:BTC']);
    expect(await store.load('BTC')).toMatchObject({ state: 'waiting', owner: 'bot-2' });
    expect(venue.allOrders()).toHaveLength(1);
  });

  it('a restart under the same owner id resumes its own claim at once, lease or not', async () => {
    await crashDuringCreate('BTC', placeLeaves);
    const restarted = registry(); // owner bot-1, no time has passed
    const heard = listen(restarted);
    await restarted.restore();
    expect(heard.actions()).toEqual(['resumed:BTC']);
    expect(venue.liveOrders('BTC')).toHaveLength(1);
  });

  it('resolves a claim that died before its double-check: the placed order is adopted', async () => {
    const crash = (point: CrashPoint) => point.side === 'store' && point.operation === 'compareAndSet' && point.when === 'before';
    await crashDuringCreate('BTC', crash);
    expect(venue.liveOrders('BTC')).toHaveLength(1);
    const restarted = registry();
    const heard = listen(restarted);
    await restarted.restore();
    expect(heard.actions()).toEqual(['adopted:BTC']);
    expect(venue.allOrders()).toHaveLength(1);
  });

  it('resumes a claim with no initial stop (trailing waits for activation): nothing to place yet', async () => {
    const crash = new Crash((point) => point.side === 'store' && point.operation === 'compareAndSet');
    const doomed = new TrailingStopRegistry({ placer: crash.placer(venue), store: crash.store(store), clock: crash.clock(clock), owner: 'bot-1', leaseMs });
    void doomed.create({ symbol: 'BTC', side: 'long', entryPrice: 100, quantity: 1 });
    for (let spin = 0; spin < 100 && !crash.crashed; spin++) await new Promise((resolve) => setImmediate(resolve));
    expect((await store.load('BTC'))?.state).toBe('pending');
    const restarted = registry();
    const heard = listen(restarted);
    await restarted.restore();
    expect(heard.actions()).toEqual(['resumed:BTC']);
    expect(heard.reconciled[0]!.order).toBeNull();
    expect(restarted.get('BTC')).toMatchObject({ state: 'waiting', order: null });
    expect(venue.calls.placeStop).toBe(0);
    restarted.updatePrice('BTC', 102); // activation at 101: the first order goes out now
    await restarted.onIdle();
    expect(venue.liveOrders('BTC')).toHaveLength(1);
    expect((await store.load('BTC'))?.order?.id).toBe(venue.liveOrders('BTC')[0]!.id);
  });

  it('a claim whose order the venue refuses for good fails visibly instead of staying pending (claims)', async () => {
    const pending = await crashDuringCreate('BTC', placeLeaves);
    const refusing = interceptPlacer(venue, (operation, _argument, call) =>
      operation === 'placeStop' ? Promise.reject(new ExchangeRejectedError('refused')) : call(),
    ) as PaperExchange;
    const restarted = registry({ placer: refusing });
    const failed: unknown[] = [];
    restarted.on('failed', (event) => failed.push(event));
    await restarted.restore();
    await restarted.onIdle();

    expect(failed).toHaveLength(1);
    expect(restarted.get('BTC')?.state).toBe('failed');
    const record = await store.load('BTC');
    expect(record).toMatchObject({ state: 'failed', positionId: pending.positionId, owner: 'bot-1', leaseExpiresAt: null });
    expect(venue.allOrders()).toHaveLength(0);
  });

  it('takes the gap path for a claim whose stop the current price already crossed: nothing is placed', async () => {
    await crashDuringCreate('BTC', placeLeaves);
    venue.setPrice('BTC', 95); // the market fell through the intended stop at 98 meanwhile
    const restarted = registry();
    const heard = listen(restarted);
    const triggered: number[] = [];
    restarted.on('triggered', (event) => triggered.push(event.price));
    await restarted.restore({ prices: { BTC: 95 } });
    await restarted.onIdle();

    expect(heard.actions()).toEqual(['gap:BTC']);
    expect(triggered).toEqual([95]);
    expect(venue.calls.placeStop).toBe(0);
    expect((await store.load('BTC'))?.state).toBe('triggered');
    // Nothing is left to retry: a second pass does nothing at all.
    await restarted.reconcile({ prices: { BTC: 95 } });
    expect(venue.calls.placeStop).toBe(0);
    expect(heard.reconciled).toHaveLength(1);
  });
});

describe('restore: differences between the store and the venue', () => {
  it('places again a stop whose order was cancelled by hand, and says so', async () => {
    const first = registry();
    const stop = await first.create(longSpec('BTC'));
    const lost = stop.order!;
    await first.close();
    expect(venue.cancelByHand(lost.id)).toBe(true);

    const restarted = registry();
    const heard = listen(restarted);
    await restarted.restore();
    await restarted.onIdle();

    expect(heard.actions()).toEqual(['replaced:BTC']);
    expect(heard.reconciled[0]!.order?.id).toBe(lost.id);
    const live = venue.liveOrders('BTC');
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ stopPrice: 98, side: 'sell', quantity: 1 });
    expect(live[0]!.id).not.toBe(lost.id);
    expect(restarted.get('BTC')).toMatchObject({ state: 'waiting' });
    expect(restarted.get('BTC')?.order?.id).toBe(live[0]!.id);
    expect((await store.load('BTC'))?.order?.id).toBe(live[0]!.id);
    expect(heard.errors).toEqual([]);
  });

  it('cancels an open order with the registry\'s prefix and no record; leaves other orders alone', async () => {
    const orphan = await venue.placeStop(
      { symbol: 'BTC', side: 'sell', quantity: 1, stopPrice: 90, clientOrderId: 'tsr-BTC-0000000000-1' },
      { signal: new AbortController().signal },
    );
    const foreign = await venue.placeStop(
      { symbol: 'BTC', side: 'sell', quantity: 1, stopPrice: 91, clientOrderId: 'manual-order-7' },
      { signal: new AbortController().signal },
    );
    const otherBot = await venue.placeStop(
      { symbol: 'ETH', side: 'sell', quantity: 1, stopPrice: 91, clientOrderId: 'bot2-ETH-0000000000-1' },
      { signal: new AbortController().signal },
    );
    const restarted = registry();
    const heard = listen(restarted);
    await restarted.restore();

    expect(heard.actions()).toEqual(['orphanCancelled:*']);
    expect(heard.reconciled[0]!.order?.id).toBe(orphan.id);
    expect(venue.liveOrders().map((order) => order.id).sort()).toEqual([foreign.id, otherBot.id].sort());
  });

  it('moves an order that rests behind its recorded stop (a crash between the write and the move)', async () => {
    const first = registry();
    await first.create(longSpec('BTC'));
    await first.close();
    // The process recorded a tighter stop and died before moving the order.
    const record = (await store.load('BTC'))!;
    await store.compareAndSet({ ...record, version: record.version + 1, state: 'active', activated: true, stopPrice: 105, bestPrice: 110 }, record.version);
    const restarted = registry();
    await restarted.restore({ prices: { BTC: 110 } });
    await restarted.onIdle();
    expect(venue.liveOrders('BTC').map((order) => order.stopPrice)).toEqual([105]);
    expect((await store.load('BTC'))!.order!.stopPrice).toBe(105);
  });

  it('cancels the order of a finished position that a crash left open', async () => {
    const first = registry();
    const old = await first.create(longSpec('BTC', { positionId: 'position-1' }));
    const oldOrder = old.order!;
    // The bot dies while reopening: the new position's record replaced the old one, whose order stayed.
    // (Closed first: a live registry that sees its record deleted cancels the order itself.)
    await first.close();
    await store.delete('BTC');
    const second = registry();
    await second.create(longSpec('BTC', { positionId: 'position-2' }));
    expect(venue.liveOrders('BTC')).toHaveLength(2);

    const heard = listen(second);
    await second.restore();
    // No record names the old position any more, so its key is unknown to the event.
    expect(heard.actions()).toEqual(['orphanCancelled:*']);
    expect(heard.reconciled[0]!.order?.id).toBe(oldOrder.id);
    expect(venue.liveOrders('BTC')).toHaveLength(1);
    expect(await orphansOf(venue, store)).toEqual([]);
  });

  it('reports a quantity mismatch between record and venue order, and finishes the resize the record holds', async () => {
    const first = registry();
    await first.create(longSpec('BTC'));
    await first.close();
    // Another process recorded a resize and died before moving the order.
    const record = (await store.load('BTC'))!;
    await store.compareAndSet({ ...record, version: record.version + 1, quantity: 2 }, record.version);
    const calls = { ...venue.calls };

    const restarted = registry();
    const heard = listen(restarted);
    await restarted.restore();
    await restarted.onIdle();

    expect(heard.actions()).toEqual(['mismatch:BTC']);
    expect(heard.reconciled[0]!.detail).toMatch(/1/);
    expect(heard.reconciled[0]!.detail).toMatch(/2/);
    // The record is what the position is: the stop is placed again for 2, make-before-break.
    expect(venue.calls.placeStop).toBe(calls.placeStop + 1);
    expect(venue.liveOrders('BTC')).toMatchObject([{ quantity: 2 }]);
    expect((await store.load('BTC'))?.quantity).toBe(2);
    expect((await store.load('BTC'))?.order?.quantity).toBe(2);
  });

  it('reports a side mismatch (a buy stop protecting a long), and changes nothing', async () => {
    const clientOrderId = 'tsr-ETH-abcdefghij-1';
    const order = await venue.placeStop(
      { symbol: 'ETH', side: 'buy', quantity: 0.5, stopPrice: 99.5, clientOrderId },
      { signal: new AbortController().signal },
    );
    await store.insert(makeStopRecord({ key: 'ETH', symbol: 'ETH', clientOrderId, order: { ...order, side: 'sell' }, owner: 'bot-1' }));
    const calls = { ...venue.calls };
    const restarted = registry();
    const heard = listen(restarted);
    await restarted.restore();
    await restarted.onIdle();

    expect(heard.actions()).toEqual(['mismatch:ETH']);
    expect(heard.reconciled[0]!.order).toMatchObject({ id: order.id, side: 'buy' });
    expect(venue.calls.placeStop).toBe(calls.placeStop);
    expect(venue.calls.cancelStop).toBe(calls.cancelStop);
    expect(venue.liveOrders('ETH')).toHaveLength(1);
  });

  it('takes the gap path for a restored stop the given price already crossed, instead of re-placing it', async () => {
    const first = registry();
    const stop = await first.create(longSpec('BTC'));
    await first.close();
    venue.cancelByHand(stop.order!.id);
    venue.setPrice('BTC', 95); // re-placing a sell stop at 98 now would be refused

    const restarted = registry();
    const heard = listen(restarted);
    const triggered: string[] = [];
    restarted.on('triggered', (event) => triggered.push(`${event.stop.key}@${event.price}`));
    const placed = venue.calls.placeStop;
    await restarted.restore({ prices: { BTC: 95 } });
    await restarted.onIdle();

    expect(heard.actions()).toEqual(['gap:BTC']);
    expect(triggered).toEqual(['BTC@95']);
    expect(venue.calls.placeStop).toBe(placed);
    expect(restarted.get('BTC')?.state).toBe('triggered');
    expect((await store.load('BTC'))?.state).toBe('triggered');
    await restarted.reconcile({ prices: { BTC: 95 } });
    expect(venue.calls.placeStop).toBe(placed);
  });

  it('takes the gap path for a short whose stop the price rose through', async () => {
    const first = registry();
    const stop = await first.create(longSpec('ETH', { side: 'short' })); // stop 102 above entry 100
    expect(stop.order).toMatchObject({ side: 'buy', stopPrice: 102 });
    await first.close();
    venue.cancelByHand(stop.order!.id);
    const restarted = registry();
    const heard = listen(restarted);
    const placed = venue.calls.placeStop;
    await restarted.restore({ prices: { ETH: 104 } });
    await restarted.onIdle();
    expect(heard.actions()).toEqual(['gap:ETH']);
    expect(restarted.get('ETH')?.state).toBe('triggered');
    expect(venue.calls.placeStop).toBe(placed);
  });

  it('without prices, a vanished stop the venue refuses as crossed triggers once; no loop of rejected orders', async () => {
    const first = registry();
    const stop = await first.create(longSpec('BTC'));
    await first.close();
    venue.cancelByHand(stop.order!.id);
    venue.setPrice('BTC', 95);

    const restarted = registry();
    const triggered: string[] = [];
    restarted.on('triggered', (event) => triggered.push(event.reason));
    const placed = venue.calls.placeStop;
    await restarted.restore();
    await restarted.onIdle();
    await restarted.reconcile();
    await restarted.onIdle();

    expect(venue.calls.placeStop - placed).toBeLessThanOrEqual(1);
    expect(triggered).toEqual(['gap']);
    expect(restarted.get('BTC')?.state).toBe('triggered');
    expect(venue.liveOrders()).toEqual([]);
  });

  it('does not touch stops whose given price has not crossed them', async () => {
    const first = registry();
    await first.create(longSpec('BTC'));
    await first.close();
    const restarted = registry();
    const heard = listen(restarted);
    await restarted.restore({ prices: { BTC: 99, ETH: 1 } });
    expect(heard.reconciled).toEqual([]);
    expect(restarted.get('BTC')?.state).toBe('waiting');
  });
});

describe('restore: records that cannot be read are reported, never acted on', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'restore-corrupt-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('skips corrupt SQLite rows with a corruptRecord event each, and restores the sound ones', async () => {
    const database = openDatabase(join(directory, 'stops.db'));
    const sqlite = new SqliteStateStore({ database });
    const first = registry({ store: sqlite });
    await first.create(longSpec('BTC'));
    await first.close();
    // A hand edit truncated one row's JSON; a bad migration wrote a negative quantity into another.
    const good = (await sqlite.load('BTC'))!;
    const insert = database.prepare('INSERT INTO trailing_stops (key, version, owner, state, lease_expires_at, data) VALUES (?, ?, ?, ?, ?, ?)');
    insert.run('TRUNCATED', 3, 'bot-1', 'active', null, '{"key":"TRUNCATED","vers');
    const negative = { ...good, key: 'NEGATIVE', symbol: 'NEGATIVE', quantity: -1, order: null };
    insert.run('NEGATIVE', 1, 'bot-1', 'active', null, JSON.stringify(negative));

    const restarted = registry({ store: sqlite });
    const heard = listen(restarted);
    const report = await restarted.restore();

    expect(report.restored).toEqual(['BTC']);
    expect(report.corrupt.map((item) => item.key).sort()).toEqual(['NEGATIVE', 'TRUNCATED']);
    expect(report.corrupt.find((item) => item.key === 'NEGATIVE')?.reason).toMatch(/quantity/);
    expect(heard.corrupt).toEqual(report.corrupt);
    expect(restarted.has('TRUNCATED')).toBe(false);
    expect(restarted.has('NEGATIVE')).toBe(false);
    expect(report.reconciliation?.actions).toEqual([]);
    await restarted.close();
    await sqlite.close();
    database.close();
  });

  it('skips unreadable records from a custom store (not an object, missing fields)', async () => {
    const first = registry();
    await first.create(longSpec('BTC'));
    await first.close();
    const junk: unknown[] = [null, 'oops', { key: 'HALF', version: 2 }, { ...makeStopRecord({ key: 'NAN' }), stopPrice: Number.NaN }];
    const custom: StateStore = {
      load: (key) => store.load(key),
      list: async () => [...(await store.list()), ...(junk as StopRecord[])],
      insert: (record) => store.insert(record),
      compareAndSet: (next, expected) => store.compareAndSet(next, expected),
      delete: (key, expected) => store.delete(key, expected),
      close: () => store.close(),
    };
    const restarted = registry({ store: custom });
    const heard = listen(restarted);
    const report = await restarted.restore();

    expect(report.restored).toEqual(['BTC']);
    expect(report.corrupt.map((item) => item.key)).toEqual([undefined, undefined, 'HALF', 'NAN']);
    expect(report.corrupt.every((item) => item.reason.length > 0)).toBe(true);
    expect(heard.corrupt).toHaveLength(4);
    expect(restarted.size).toBe(1);
    expect(heard.errors).toEqual([]);
  });

  it('does not cancel the live order of a record it could not read', async () => {
    const database = openDatabase(join(directory, 'stops.db'));
    const sqlite = new SqliteStateStore({ database });
    const first = registry({ store: sqlite });
    const stop = await first.create(longSpec('BTC'));
    await first.close();
    // The row's JSON is damaged; the order it described still protects the position.
    database.prepare('UPDATE trailing_stops SET data = ? WHERE key = ?').run('{"broken":', 'BTC');

    const restarted = registry({ store: sqlite });
    const heard = listen(restarted);
    const report = await restarted.restore();
    expect(report.corrupt.map((item) => item.key)).toEqual(['BTC']);
    // Left alone, and said so.
    expect(heard.actions()).toEqual(['mismatch:*']);
    expect(venue.liveOrders('BTC').map((order) => order.id)).toEqual([stop.order!.id]);
    await restarted.close();
    await sqlite.close();
    database.close();
  });
});
