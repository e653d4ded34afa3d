/**
 * The `StateStore` conformance suite (vitest). Every adapter in this package passes it; run it on
 * your own store to check it keeps the contract the registry relies on (docs/design.md section 5).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import type { StateStore, StateStoreCapabilities, StopRecord, StoreChange } from '../ports/state-store.js';
import type { StoreError } from '../errors.js';
import { takeOverExpiredClaim } from '../recovery/lease.js';
import { makeStopRecord } from './records.js';

export { makeStopRecord } from './records.js';

/** What a {@link StateStoreFactory} returns for one test. */
export interface StateStoreFixture {
  /** A fresh, empty store, used by one test only. */
  readonly store: StateStore;
  /**
   * Opens another store over the same storage as `store` (the same file, database, schema and
   * table). Required when the store is durable: the suite closes `store`, then reopens to check
   * that state survived. For a shared store the suite also calls it while `store` is still open,
   * to race two instances against each other. The suite closes every store it opened.
   */
  readonly reopen?: () => Promise<StateStore>;
  /**
   * Opens another store over the same storage while `store` stays open, through a connection of
   * its own (another database handle, another pool), as a second process would. The `watch` tests
   * check with it that a change made through one instance reaches the other's watchers. Required
   * for a durable store that declares `watch` (its storage outlives the process, so another
   * process may write it); a shared store without it uses `reopen`. The suite closes it.
   */
  readonly openSecondConnection?: () => Promise<StateStore>;
  /**
   * For a store whose `watch` polls: makes the changes committed so far reach every watcher of
   * every store the fixture opened, now (e.g. run the poll's timers through an injected clock),
   * so the tests wait for no timer. Called repeatedly while the suite waits for a change. Without
   * it the suite waits for the store to deliver on its own, up to 4 s per step.
   */
  readonly deliverChanges?: () => void | Promise<void>;
  /**
   * Releases what the fixture created (temporary files, schemas, connections). Called after each
   * test, once the suite has closed every store.
   */
  readonly cleanup?: () => Promise<void>;
}

/** Creates the fixture for one test: called once before each test. */
export type StateStoreFactory = () => Promise<StateStoreFixture> | StateStoreFixture;

/** Concurrent inserts the suite races for one key. */
const concurrentInserts = 50;
/** Concurrent compare-and-sets the suite races for one version. */
const concurrentUpdates = 20;
/** How long the watch tests wait for a change to arrive (below vitest's default test timeout). */
const watchTimeoutMs = 4_000;

/** One watch the suite started, and what it heard. */
interface RecordingWatch {
  readonly changes: StoreChange[];
  readonly errors: StoreError[];
  readonly controller: AbortController;
  /** The changes heard for `key`, in arrival order. */
  forKey(key: string): StoreChange[];
}

/**
 * Defines a vitest `describe` block that checks `factory`'s stores against the {@link StateStore}
 * contract: load, list, atomic insert-if-absent (50 racing inserts, one winner), compare-and-set
 * (conflicts, `next.version === expectedVersion + 1`), guarded delete, defensive copies, exact
 * round-trip of numbers (property-based, fast-check), rejection with a `StoreError` (code
 * `ERR_STORE_FAILED`) after `close()` and for a malformed version, lease takeover only after expiry
 * ({@link takeOverExpiredClaim}), and, for durable stores, state surviving close and reopen.
 * For a store that declares `watch`: inserts, compare-and-sets and deletes are reported with the
 * right key, version and state (own writes included), versions of one key arrive in increasing
 * order, writes that change nothing are not reported, nothing reaches a listener after its signal
 * aborts, bad arguments and a closed store are refused, and (durable or shared stores) a second
 * instance on the same storage hears the first's changes and the first the second's.
 *
 * Every test gets a fresh, empty store from `factory`. No test reads the wall clock: lease times are
 * fixed numbers. Property runs use a fixed seed unless `fc.configureGlobal({ seed })` sets one.
 *
 * @param name - Title of the `describe` block, e.g. the adapter's class name.
 * @param factory - Creates a fresh, empty store (and how to reopen and clean it up) per test.
 * @param capabilities - What the store promises; defaults to `store.capabilities`. `durable`
 *   enables the close-and-reopen test (and requires `reopen`); `shared` races two instances;
 *   `watch` enables the watch tests (with `durable`, they require `openSecondConnection`).
 *
 * @example
 * ```ts
 * // test/my-store.test.ts
 * import { describeStateStore } from 'trailing-stop-registry/testing';
 * import { MyStateStore } from '../src/my-store.js';
 *
 * describeStateStore('MyStateStore', async () => {
 *   const database = await createTemporaryDatabase();
 *   return {
 *     store: new MyStateStore(database),
 *     reopen: async () => new MyStateStore(database),
 *     cleanup: () => database.drop(),
 *   };
 * });
 * ```
 */
export function describeStateStore(
  name: string,
  factory: StateStoreFactory,
  capabilities?: StateStoreCapabilities,
): void {
  describe(`${name} (StateStore conformance)`, () => {
    let fixture: StateStoreFixture;
    let store: StateStore;
    let openedStores: StateStore[];
    let watches: RecordingWatch[];

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
      openedStores = [];
      watches = [];
    });

    afterEach(async () => {
      for (const watch of watches) watch.controller.abort();
      for (const opened of [store, ...openedStores]) await opened.close().catch(() => undefined);
      await fixture.cleanup?.();
    });

    const declared = (): StateStoreCapabilities => capabilities ?? fixture.store.capabilities ?? {};

    /** Another store over the same storage (closed after the test). */
    async function reopen(): Promise<StateStore> {
      if (fixture.reopen === undefined) {
        throw new Error(`${name}: the fixture must provide \`reopen\` for a durable or shared store`);
      }
      const opened = await fixture.reopen();
      openedStores.push(opened);
      return opened;
    }

    /** Another instance on the same storage, open at the same time as `store` (closed after the test). */
    async function secondConnection(): Promise<StateStore> {
      if (fixture.openSecondConnection !== undefined) {
        const opened = await fixture.openSecondConnection();
        openedStores.push(opened);
        return opened;
      }
      if (declared().shared === true && fixture.reopen !== undefined) return reopen();
      throw new Error(
        `${name}: the fixture must provide \`openSecondConnection\` for a durable store with watch (or \`reopen\` for a shared one)`,
      );
    }

    /** Starts a watch on `target` that records every change and error (aborted after the test). */
    async function startWatching(target: StateStore): Promise<RecordingWatch> {
      if (typeof target.watch !== 'function') throw new Error(`${name}: declares \`watch\` but has no watch method`);
      const changes: StoreChange[] = [];
      const watch: RecordingWatch = {
        changes,
        errors: [],
        controller: new AbortController(),
        forKey: (key) => changes.filter((change) => change.key === key),
      };
      watches.push(watch);
      await target.watch((change) => changes.push(change), {
        signal: watch.controller.signal,
        onError: (error) => watch.errors.push(error),
      });
      return watch;
    }

    /** Waits until `assertion` holds, letting a polling store deliver (fixture.deliverChanges) in between. */
    async function eventually(assertion: () => void): Promise<void> {
      await vi.waitFor(
        async () => {
          await fixture.deliverChanges?.();
          assertion();
        },
        { timeout: watchTimeoutMs, interval: 5 },
      );
    }

    /** True when the watch tests apply; fails when `watch` is declared but missing. */
    function watchable(context: { skip: () => void }): boolean {
      if (declared().watch !== true) {
        context.skip();
        return false;
      }
      expect(typeof store.watch, `${name} declares \`watch\``).toBe('function');
      return true;
    }

    /** The stores to race: two instances of a shared store, else the one store. */
    async function racingStores(): Promise<StateStore[]> {
      return declared().shared === true ? [store, await reopen()] : [store];
    }

    describe('load and list', () => {
      it('load resolves undefined for a missing key', async () => {
        await expect(store.load('missing')).resolves.toBeUndefined();
      });

      it('list resolves every record (and starts empty)', async () => {
        await expect(store.list()).resolves.toEqual([]);
        const records = ['A', 'B', 'C'].map((key) => makeStopRecord({ key }));
        for (const record of records) await store.insert(record);
        const listed = await store.list();
        expect(listed.sort(byKey)).toEqual(records);
      });
    });

    describe('insert (atomic insert-if-absent)', () => {
      it('inserts a record and resolves it; load returns an equal record', async () => {
        const record = makeStopRecord({ key: 'K' });
        await expect(store.insert(record)).resolves.toEqual({ inserted: true, record });
        await expect(store.load('K')).resolves.toEqual(record);
      });

      it('does not overwrite: a second insert resolves the winner', async () => {
        const first = makeStopRecord({ key: 'K', owner: 'registry-a' });
        const second = makeStopRecord({ key: 'K', owner: 'registry-b', stopPrice: 42 });
        await store.insert(first);
        await expect(store.insert(second)).resolves.toEqual({ inserted: false, record: first });
        await expect(store.load('K')).resolves.toEqual(first);
      });

      it(`of ${concurrentInserts} concurrent inserts for one key exactly one wins, and all see the winner`, async () => {
        const stores = await racingStores();
        const records = Array.from({ length: concurrentInserts }, (_, index) =>
          makeStopRecord({ key: 'K', owner: `registry-${index}`, state: 'pending', leaseExpiresAt: 1_000 + index }),
        );
        const results = await Promise.all(
          records.map((record, index) => stores[index % stores.length]!.insert(record)),
        );
        const winners = results.filter((result) => result.inserted);
        expect(winners).toHaveLength(1);
        const winner = winners[0]!.record;
        expect(records).toContainEqual(winner);
        for (const result of results) expect(result.record).toEqual(winner);
        for (const each of stores) await expect(each.load('K')).resolves.toEqual(winner);
      });

      it('rejects a record whose version is not an integer >= 1, storing nothing', async () => {
        await expect(store.insert(makeStopRecord({ key: 'K', version: 0 }))).rejects.toMatchObject({
          code: 'ERR_STORE_FAILED',
        });
        await expect(store.load('K')).resolves.toBeUndefined();
      });
    });

    describe('compareAndSet (versioned)', () => {
      it('replaces the record when the stored version matches', async () => {
        const first = makeStopRecord({ key: 'K' });
        await store.insert(first);
        const next = { ...first, version: 2, stopPrice: 101.5, updatedAt: first.updatedAt + 1 };
        await expect(store.compareAndSet(next, 1)).resolves.toEqual({ updated: true, record: next });
        await expect(store.load('K')).resolves.toEqual(next);
      });

      it('refuses a stale version and resolves the current record', async () => {
        const first = makeStopRecord({ key: 'K' });
        await store.insert(first);
        const second = { ...first, version: 2, owner: 'registry-b' };
        await store.compareAndSet(second, 1);
        const stale = { ...first, version: 2, owner: 'registry-c' };
        await expect(store.compareAndSet(stale, 1)).resolves.toEqual({ updated: false, current: second });
        await expect(store.load('K')).resolves.toEqual(second);
      });

      it('refuses a missing key (current undefined) and creates nothing', async () => {
        const next = makeStopRecord({ key: 'K', version: 2 });
        await expect(store.compareAndSet(next, 1)).resolves.toEqual({ updated: false, current: undefined });
        await expect(store.load('K')).resolves.toBeUndefined();
      });

      it('rejects when next.version is not expectedVersion + 1, changing nothing', async () => {
        const first = makeStopRecord({ key: 'K' });
        await store.insert(first);
        for (const version of [1, 3]) {
          await expect(store.compareAndSet({ ...first, version, owner: 'x' }, 1)).rejects.toMatchObject({
            code: 'ERR_STORE_FAILED',
          });
        }
        await expect(store.load('K')).resolves.toEqual(first);
      });

      it(`of ${concurrentUpdates} concurrent compare-and-sets on one version exactly one wins`, async () => {
        const stores = await racingStores();
        const first = makeStopRecord({ key: 'K' });
        await store.insert(first);
        const candidates = Array.from({ length: concurrentUpdates }, (_, index) => ({
          ...first,
          version: 2,
          owner: `registry-${index}`,
        }));
        const results = await Promise.all(
          candidates.map((candidate, index) => stores[index % stores.length]!.compareAndSet(candidate, 1)),
        );
        const winners = results.filter((result) => result.updated);
        expect(winners).toHaveLength(1);
        const winner = winners[0]!.record;
        for (const result of results) {
          if (!result.updated) expect(result.current).toEqual(winner);
        }
        await expect(store.load('K')).resolves.toEqual(winner);
      });
    });

    describe('delete', () => {
      it('without a version, deletes the record; a missing key resolves false', async () => {
        await store.insert(makeStopRecord({ key: 'K' }));
        await expect(store.delete('K')).resolves.toBe(true);
        await expect(store.load('K')).resolves.toBeUndefined();
        await expect(store.delete('K')).resolves.toBe(false);
      });

      it('with a version, deletes only when the stored version matches', async () => {
        const first = makeStopRecord({ key: 'K' });
        await store.insert(first);
        await store.compareAndSet({ ...first, version: 2 }, 1);
        await expect(store.delete('K', 1)).resolves.toBe(false);
        await expect(store.load('K')).resolves.toMatchObject({ version: 2 });
        await expect(store.delete('K', 2)).resolves.toBe(true);
        await expect(store.load('K')).resolves.toBeUndefined();
        await expect(store.delete('K', 2)).resolves.toBe(false);
      });

      it('leaves other keys alone', async () => {
        const kept = makeStopRecord({ key: 'B' });
        await store.insert(makeStopRecord({ key: 'A' }));
        await store.insert(kept);
        await store.delete('A');
        await expect(store.list()).resolves.toEqual([kept]);
      });
    });

    describe('isolation', () => {
      it('records are copies: mutating what goes in or comes out never changes the store', async () => {
        const original = makeStopRecord({ key: 'K' });
        const input = structuredClone(original);
        const inserted = await store.insert(input);
        scribble(input);
        scribble(inserted.record);
        scribble(await store.load('K'));
        for (const listed of await store.list()) scribble(listed);
        await expect(store.load('K')).resolves.toEqual(original);

        const next = { ...structuredClone(original), version: 2 };
        const updated = await store.compareAndSet(next, 1);
        scribble(next);
        if (updated.updated) scribble(updated.record);
        await expect(store.load('K')).resolves.toEqual({ ...original, version: 2 });
      });
    });

    describe('numbers', () => {
      const positiveDouble = fc.double({ min: Number.MIN_VALUE, max: Number.MAX_VALUE, noNaN: true });
      // Prices and sizes as an exchange's tick grid produces them: 93.1, 0.00001234, 61250.5 ...
      const tickAligned = fc
        .tuple(fc.integer({ min: 1, max: 2_000_000_000 }), fc.integer({ min: 0, max: 12 }))
        .map(([units, decimals]) => Number(decimalText(units, decimals)));
      const price = fc.oneof(positiveDouble, tickAligned);
      const numbers = fc.record({
        entryPrice: price,
        quantity: price,
        stopPrice: price,
        bestPrice: price,
        activationPrice: price,
        distanceValue: price,
        tickSize: price,
        leaseExpiresAt: price,
      });

      it('round-trip exactly (finite positive doubles and tick-aligned decimals)', async () => {
        let run = 0;
        const seed = fc.readConfigureGlobal().seed ?? 20_240_601;
        await fc.assert(
          fc.asyncProperty(numbers, numbers, async (first, second) => {
            run += 1;
            const key = `K${run}`;
            const record = withNumbers(makeStopRecord({ key, state: 'pending' }), first);
            await store.insert(record);
            expectSameNumbers(await store.load(key), first);
            expectSameNumbers((await store.list()).find((listed) => listed.key === key), first);
            const next = withNumbers({ ...record, version: 2 }, second);
            await store.compareAndSet(next, 1);
            expectSameNumbers(await store.load(key), second);
          }),
          { seed, numRuns: 100 },
        );
      });

      it('round-trip exactly (known awkward values)', async () => {
        const awkward = [
          0.00001234, 93.1, 0.1, 0.3, 0.1 + 0.2, 1e-8, 123_456.789, 61_250.5, 1 / 3, 2 ** 53 - 1, 2 ** 53 + 2,
          Number.MIN_VALUE, Number.MAX_VALUE, Number.EPSILON, 5e-324, 1.7976931348623157e308, 4.35, 1e21, 1e-7,
        ];
        for (const [index, value] of awkward.entries()) {
          const values = {
            entryPrice: value,
            quantity: value,
            stopPrice: value,
            bestPrice: value,
            activationPrice: value,
            distanceValue: value,
            tickSize: value,
            leaseExpiresAt: value,
          };
          const key = `K${index}`;
          await store.insert(withNumbers(makeStopRecord({ key }), values));
          expectSameNumbers(await store.load(key), values);
        }
      });
    });

    describe('lease takeover', () => {
      const leaseMs = 5_000;
      const pendingClaim = (): StopRecord =>
        makeStopRecord({ key: 'K', state: 'pending', owner: 'crashed', leaseExpiresAt: 10_000, order: null });

      it('never takes over a live lease, even when takers race', async () => {
        const stores = await racingStores();
        const claim = pendingClaim();
        await store.insert(claim);
        const taken = await Promise.all(
          Array.from({ length: 10 }, (_, index) =>
            takeOverExpiredClaim(stores[index % stores.length]!, 'K', `taker-${index}`, 9_999, leaseMs),
          ),
        );
        expect(taken.every((record) => record === undefined)).toBe(true);
        await expect(store.load('K')).resolves.toEqual(claim);
      });

      it('of two takers racing for an expired lease exactly one wins', async () => {
        const stores = await racingStores();
        await store.insert(pendingClaim());
        const taken = await Promise.all([
          takeOverExpiredClaim(stores[0]!, 'K', 'taker-a', 10_000, leaseMs),
          takeOverExpiredClaim(stores[stores.length - 1]!, 'K', 'taker-b', 10_000, leaseMs),
        ]);
        const winners = taken.filter((record) => record !== undefined);
        expect(winners).toHaveLength(1);
        const winner = winners[0]!;
        expect(winner).toMatchObject({ version: 2, leaseExpiresAt: 10_000 + leaseMs, updatedAt: 10_000 });
        expect(['taker-a', 'taker-b']).toContain(winner.owner);
        await expect(store.load('K')).resolves.toEqual(winner);
      });

      it('never takes over a record that is not pending', async () => {
        const active = makeStopRecord({ key: 'K', state: 'active', leaseExpiresAt: null });
        await store.insert(active);
        await expect(takeOverExpiredClaim(store, 'K', 'taker', 1e15, leaseMs)).resolves.toBeUndefined();
        await expect(store.load('K')).resolves.toEqual(active);
      });
    });

    // Declared capabilities decide which tests exist; undeclared ones are checked at run time.
    if (capabilities === undefined || capabilities.watch === true) {
      describe('watch', () => {
        it('reports an insert, a compare-and-set and a delete with key, version and state (own writes included)', async (context) => {
          if (!watchable(context)) return;
          const watch = await startWatching(store);
          const first = makeStopRecord({ key: 'K', state: 'pending', order: null, leaseExpiresAt: 1_000 });
          await store.insert(first);
          await eventually(() => expect(watch.forKey('K')).toHaveLength(1));
          const second = { ...first, version: 2, state: 'active' as const, owner: 'registry-b', leaseExpiresAt: null };
          await store.compareAndSet(second, 1);
          await eventually(() => expect(watch.forKey('K')).toHaveLength(2));
          await store.delete('K', 2);
          await eventually(() => expect(watch.forKey('K')).toHaveLength(3));
          const [inserted, updated, deleted] = watch.forKey('K');
          expectChangeOf(inserted, first);
          expectChangeOf(updated, second);
          expect(deleted).toEqual({ key: 'K', version: null, state: null });
          expect(watch.errors).toEqual([]);
        });

        it('reports the versions of one key in increasing order, ending with the last', async (context) => {
          if (!watchable(context)) return;
          const watch = await startWatching(store);
          let record = makeStopRecord({ key: 'K' });
          await store.insert(record);
          for (let version = 2; version <= 21; version++) {
            const next = { ...record, version, stopPrice: 99.5 + version / 10 };
            await store.compareAndSet(next, record.version);
            record = next;
          }
          await eventually(() => expect(watch.forKey('K').at(-1)?.version).toBe(21));
          const versions = watch.forKey('K').map((change) => change.version!);
          for (let index = 1; index < versions.length; index++) expect(versions[index]).toBeGreaterThan(versions[index - 1]!);
          expect(watch.errors).toEqual([]);
        });

        it('reports nothing for writes that change nothing (lost insert, failed compare-and-set, delete of nothing)', async (context) => {
          if (!watchable(context)) return;
          const watch = await startWatching(store);
          const record = makeStopRecord({ key: 'K' });
          await store.insert(record);
          await eventually(() => expect(watch.forKey('K')).toHaveLength(1));
          await expect(store.insert(makeStopRecord({ key: 'K', owner: 'loser' }))).resolves.toMatchObject({ inserted: false });
          await expect(store.compareAndSet({ ...record, version: 6, owner: 'stale' }, 5)).resolves.toMatchObject({ updated: false });
          await expect(store.compareAndSet(makeStopRecord({ key: 'missing', version: 2 }), 1)).resolves.toMatchObject({
            updated: false,
          });
          await expect(store.delete('K', 7)).resolves.toBe(false);
          await expect(store.delete('missing')).resolves.toBe(false);
          // A change that does happen, after them: once it arrives, anything they sent would have too.
          const next = { ...record, version: 2, owner: 'registry-b' };
          await store.compareAndSet(next, 1);
          await eventually(() => expect(watch.forKey('K').at(-1)?.version).toBe(2));
          expect(watch.forKey('K')).toHaveLength(2);
          expectChangeOf(watch.forKey('K')[1], next);
          expect(watch.forKey('missing')).toEqual([]);
          expect(watch.errors).toEqual([]);
        });

        it('calls a listener never again once its signal aborts; other watches go on', async (context) => {
          if (!watchable(context)) return;
          const stopped = await startWatching(store);
          const going = await startWatching(store);
          await store.insert(makeStopRecord({ key: 'A' }));
          await eventually(() => {
            expect(stopped.forKey('A')).toHaveLength(1);
            expect(going.forKey('A')).toHaveLength(1);
          });
          stopped.controller.abort();
          await store.insert(makeStopRecord({ key: 'B' }));
          await store.delete('A');
          await eventually(() => expect(going.forKey('A')).toHaveLength(2));
          expect(going.forKey('B')).toHaveLength(1);
          expect(stopped.changes.map((change) => change.key)).toEqual(['A']);
          expect([...stopped.errors, ...going.errors]).toEqual([]);
        });

        it('a listener that aborts its own signal hears nothing more, not even changes already on their way', async (context) => {
          if (!watchable(context)) return;
          const controller = new AbortController();
          const heard: StoreChange[] = [];
          await store.watch!(
            (change) => {
              heard.push(change);
              controller.abort();
            },
            { signal: controller.signal },
          );
          const going = await startWatching(store);
          await Promise.all([store.insert(makeStopRecord({ key: 'A' })), store.insert(makeStopRecord({ key: 'B' }))]);
          await store.delete('A');
          await eventually(() => expect(going.changes).toHaveLength(3));
          expect(heard).toHaveLength(1);
        });

        it('an already aborted signal watches nothing', async (context) => {
          if (!watchable(context)) return;
          const heard: StoreChange[] = [];
          await store.watch!((change) => heard.push(change), { signal: AbortSignal.abort() });
          const going = await startWatching(store);
          await store.insert(makeStopRecord({ key: 'A' }));
          await eventually(() => expect(going.changes).toHaveLength(1));
          expect(heard).toEqual([]);
        });

        it('refuses a listener that is not a function and a missing signal with a TypeError', async (context) => {
          if (!watchable(context)) return;
          const signal = new AbortController().signal;
          await expect(async () => store.watch!(42 as never, { signal })).rejects.toThrow(TypeError);
          await expect(async () => store.watch!(() => undefined, {} as never)).rejects.toThrow(TypeError);
          await expect(async () => store.watch!(() => undefined, undefined as never)).rejects.toThrow(TypeError);
        });

        it('refuses to watch a closed store with a StoreError', async (context) => {
          if (!watchable(context)) return;
          await store.close();
          await expect(async () => store.watch!(() => undefined, { signal: new AbortController().signal })).rejects.toMatchObject({
            code: 'ERR_STORE_FAILED',
          });
        });

        // Declared capabilities decide which tests exist; undeclared ones are checked at run time.
        if (capabilities === undefined || capabilities.durable === true || capabilities.shared === true) {
          it('a second instance on the same storage hears the first one’s changes, and the first the second’s', async (context) => {
            if (!watchable(context)) return;
            if (declared().durable !== true && declared().shared !== true) {
              context.skip();
              return;
            }
            const other = await secondConnection();
            const here = await startWatching(store);
            const there = await startWatching(other);
            const first = makeStopRecord({ key: 'K', state: 'pending', order: null, leaseExpiresAt: 1_000 });
            await store.insert(first);
            await eventually(() => expect(there.forKey('K')).toHaveLength(1));
            const second = { ...first, version: 2, state: 'active' as const, owner: 'registry-b', leaseExpiresAt: null };
            await other.compareAndSet(second, 1);
            await eventually(() => expect(here.forKey('K')).toHaveLength(2));
            await store.delete('K', 2);
            await eventually(() => expect(there.forKey('K')).toHaveLength(3));
            await eventually(() => expect(here.forKey('K')).toHaveLength(3));
            for (const watch of [here, there]) {
              const [inserted, updated, deleted] = watch.forKey('K');
              expectChangeOf(inserted, first);
              expectChangeOf(updated, second);
              expect(deleted).toEqual({ key: 'K', version: null, state: null });
              expect(watch.errors).toEqual([]);
            }
          });

          it('close() ends the watches of an instance; the other instance’s go on', async (context) => {
            if (!watchable(context)) return;
            if (declared().durable !== true && declared().shared !== true) {
              context.skip();
              return;
            }
            const other = await secondConnection();
            const closed = await startWatching(store);
            const going = await startWatching(other);
            await store.close();
            await other.insert(makeStopRecord({ key: 'A' }));
            await eventually(() => expect(going.forKey('A')).toHaveLength(1));
            expect(closed.changes).toEqual([]);
            expect(closed.errors).toEqual([]);
          });
        }
      });
    }

    describe('lifecycle', () => {
      it('after close, every call rejects with a StoreError; closing again is harmless', async () => {
        const record = makeStopRecord({ key: 'K' });
        await store.insert(record);
        await store.close();
        await expect(store.close()).resolves.toBeUndefined();
        const closedError = { code: 'ERR_STORE_FAILED' };
        await expect(store.load('K')).rejects.toMatchObject(closedError);
        await expect(store.list()).rejects.toMatchObject(closedError);
        await expect(store.insert(makeStopRecord({ key: 'L' }))).rejects.toMatchObject(closedError);
        await expect(store.compareAndSet({ ...record, version: 2 }, 1)).rejects.toMatchObject(closedError);
        await expect(store.delete('K')).rejects.toMatchObject(closedError);
      });

      // Declared capabilities decide which tests exist; undeclared ones are checked at run time.
      if (capabilities === undefined || capabilities.durable === true) {
        it('keeps every record across close and reopen (durable stores)', async (context) => {
          if (declared().durable !== true) {
            context.skip();
            return;
          }
          const updated = makeStopRecord({ key: 'A', version: 2, stopPrice: 100.1 });
          const kept = makeStopRecord({ key: 'B', state: 'pending', leaseExpiresAt: 12_345, order: null });
          await store.insert(makeStopRecord({ key: 'A' }));
          await store.compareAndSet(updated, 1);
          await store.insert(kept);
          await store.insert(makeStopRecord({ key: 'C' }));
          await store.delete('C');
          await store.close();

          const reopened = await reopen();
          await expect(reopened.load('A')).resolves.toEqual(updated);
          await expect(reopened.load('C')).resolves.toBeUndefined();
          expect((await reopened.list()).sort(byKey)).toEqual([updated, kept]);
          await expect(reopened.compareAndSet({ ...kept, version: 2, state: 'active' }, 1)).resolves.toMatchObject({
            updated: true,
          });
        });
      }

      // Declared capabilities decide which tests exist; undeclared ones are checked at run time.
      if (capabilities === undefined || capabilities.shared === true) {
        it('two open instances see each other’s writes (shared stores)', async (context) => {
          if (declared().shared !== true) {
            context.skip();
            return;
          }
          const other = await reopen();
          const first = makeStopRecord({ key: 'K' });
          await store.insert(first);
          await expect(other.load('K')).resolves.toEqual(first);
          const next = { ...first, version: 2, owner: 'registry-b' };
          await expect(other.compareAndSet(next, 1)).resolves.toMatchObject({ updated: true });
          await expect(store.load('K')).resolves.toEqual(next);
          await expect(store.delete('K', 2)).resolves.toBe(true);
          await expect(other.load('K')).resolves.toBeUndefined();
        });
      }
    });
  });
}

/** The numeric fields the round-trip tests vary. */
interface VariedNumbers {
  readonly entryPrice: number;
  readonly quantity: number;
  readonly stopPrice: number;
  readonly bestPrice: number;
  readonly activationPrice: number;
  readonly distanceValue: number;
  readonly tickSize: number;
  readonly leaseExpiresAt: number;
}

function withNumbers(record: StopRecord, numbers: VariedNumbers): StopRecord {
  return {
    ...record,
    entryPrice: numbers.entryPrice,
    quantity: numbers.quantity,
    stopPrice: numbers.stopPrice,
    bestPrice: numbers.bestPrice,
    leaseExpiresAt: numbers.leaseExpiresAt,
    order:
      record.order === null ? null : { ...record.order, quantity: numbers.quantity, stopPrice: numbers.stopPrice },
    parameters: {
      ...record.parameters,
      activationPrice: numbers.activationPrice,
      distanceValue: numbers.distanceValue,
      tickSize: numbers.tickSize,
    },
  };
}

/** Asserts each number is the very same double (`Object.is`), not merely close. */
function expectSameNumbers(record: StopRecord | undefined, numbers: VariedNumbers): void {
  expect(record).toBeDefined();
  const actual = {
    entryPrice: record!.entryPrice,
    quantity: record!.quantity,
    stopPrice: record!.stopPrice,
    bestPrice: record!.bestPrice,
    activationPrice: record!.parameters.activationPrice,
    distanceValue: record!.parameters.distanceValue,
    tickSize: record!.parameters.tickSize,
    leaseExpiresAt: record!.leaseExpiresAt,
  };
  for (const [field, expected] of Object.entries(numbers)) {
    const value = actual[field as keyof VariedNumbers];
    if (!Object.is(value, expected)) {
      throw new Error(`Field \`${field}\` did not round-trip: stored ${String(expected)}, got ${String(value)}`);
    }
  }
}

/** `units` with `decimals` digits after the point, e.g. (1234, 8) -> '0.00001234'. */
function decimalText(units: number, decimals: number): string {
  if (decimals === 0) return String(units);
  const digits = String(units).padStart(decimals + 1, '0');
  return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/** Asserts `change` reports `record` as stored: key, version, state, and `positionId`/`owner` when given. */
function expectChangeOf(change: StoreChange | undefined, record: StopRecord): void {
  expect(change).toBeDefined();
  expect({ key: change!.key, version: change!.version, state: change!.state }).toEqual({
    key: record.key,
    version: record.version,
    state: record.state,
  });
  if (change!.positionId !== undefined) expect(change!.positionId).toBe(record.positionId);
  if (change!.owner !== undefined) expect(change!.owner).toBe(record.owner);
}

function byKey(left: StopRecord, right: StopRecord): number {
  return left.key < right.key ? -1 : left.key > right.key ? 1 : 0;
}

/** Mutates a record returned by (or given to) a store, top level and nested. Frozen is fine too. */
function scribble(record: StopRecord | undefined): void {
  if (record === undefined) return;
  const writable = record as unknown as {
    stopPrice: number | null;
    owner: string;
    order: { stopPrice: number } | null;
    parameters: { steps: unknown[]; distanceValue: number };
  };
  try {
    writable.stopPrice = -1;
    writable.owner = 'scribbled';
    if (writable.order !== null) writable.order.stopPrice = -1;
    writable.parameters.distanceValue = -1;
    writable.parameters.steps.push({ profitPercent: 1, callbackPercent: 1 });
  } catch {
    // A store may return frozen records; then nothing can be scribbled, which is just as good.
  }
}
