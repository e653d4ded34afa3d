/**
 * Mutations of the real registry for the fault campaign's teeth, each injected through a public
 * seam (never an edit of src/): a store whose compare-and-set ignores the version, a placer that
 * swallows the cancel of a late answer, a placer that swallows every retry of a failed cancel.
 * The campaign must turn red against each.
 */
import { TrailingStopRegistry, type CompareAndSetResult, type OrderPlacer, type StateStore, type StopOrder, type StopRecord } from '../../src/index.js';
import { campaignRegistryOptions, realRegistry, type Variant } from './campaign-world.js';

/**
 * The store's compare-and-set checks only that a record exists, not its version: it stores the
 * given record, whatever version the store holds (so a stale writer's version can even go back).
 * A stale writer (a paused process, a late answer) then overwrites newer state: the lost update
 * I4 forbids. The delete and the insert run back to back, synchronously, in the memory and SQLite
 * stores, so no other call comes between them.
 */
export const casIgnoresVersion: Variant = {
  ...realRegistry,
  name: 'mutation: compare-and-set ignores the version',
  wrapStore: (store: StateStore): StateStore => ({
    capabilities: store.capabilities,
    load: (key) => store.load(key),
    list: () => store.list(),
    insert: (record) => store.insert(record),
    delete: (key, expectedVersion) => store.delete(key, expectedVersion),
    close: () => store.close(),
    ...(store.watch === undefined ? {} : { watch: store.watch.bind(store) }),
    compareAndSet: async (next: StopRecord): Promise<CompareAndSetResult> => {
      const deleted = store.delete(next.key);
      const inserted = deleted.then((existed) => (existed ? store.insert(next) : undefined));
      // Both calls take effect as they are made (memory, SQLite); the answers come after.
      if (!(await deleted)) return { updated: false, current: undefined };
      await inserted;
      return { updated: true, record: next };
    },
  }),
};

/** The real registry on `placer` as changed by `mutate`. */
function mutatedPlacer(name: string, mutate: (placer: OrderPlacer) => OrderPlacer): Variant {
  return {
    ...realRegistry,
    name,
    build: ({ options, placer, ...ports }) => new TrailingStopRegistry({ ...campaignRegistryOptions, ...options, ...ports, placer: mutate(placer) }),
  };
}

/**
 * The registry never cancels an order whose placement answered after the call had given up (the
 * gateway's late-answer cleanup): the order object such an answer carries is remembered, and its
 * cancel is swallowed. The cleanup passes that very object to `cancelStop`; the registry's other
 * paths hold the order they adopted or read, a different object.
 */
export const dropsLateAnswerCancel: Variant = mutatedPlacer('mutation: no cancel of a late answer', (placer) => {
  const late = new WeakSet<StopOrder>();
  return {
    ...placer,
    placeStop: (request, options) =>
      placer.placeStop(request, options).then((order) => {
        if (options.signal.aborted) late.add(order);
        return order;
      }),
    cancelStop: (order, options) => (late.has(order) ? Promise.resolve() : placer.cancelStop(order, options)),
  };
});

/**
 * A cancel that failed once is never tried again by this process: every later cancel of that order
 * resolves without reaching the venue, as if the cleanup owed had been dropped (the gateway's
 * retries and the registry's owed cleanup alike). Reconciliation by a restarted process still works.
 */
export const dropsCleanupRetry: Variant = mutatedPlacer('mutation: no retry of a failed cancel', (placer) => {
  const failed = new Set<string>();
  return {
    ...placer,
    cancelStop: (order, options) => {
      if (failed.has(order.id)) return Promise.resolve();
      return placer.cancelStop(order, options).catch((error: unknown) => {
        failed.add(order.id);
        throw error;
      });
    },
  };
});
