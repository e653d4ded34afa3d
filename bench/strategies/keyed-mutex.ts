/**
 * `keyed-mutex`: what a careful engineer would hand-write: one async mutex per key (async-mutex),
 * held across the whole creation, exchange call included. Correct for one process and parallel
 * across keys, but it holds a lock across I/O (I3): a hung exchange call blocks its key for the
 * whole timeout, and it does nothing for a second process or for a timed-out call's order.
 */
import { Mutex } from 'async-mutex';
import type { StopOrder } from '../../src/ports/order-placer.js';
import { boundedPlacer } from '../support/placers.js';
import { lockedCreation, type CreationStrategy, type StrategyDefinition } from './strategy.js';

let sequence = 0;

export const keyedMutex: StrategyDefinition = {
  name: 'keyed-mutex',
  description: 'one async-mutex per key held across the exchange call (a careful hand-written version)',
  create({ exchange, store, concurrency, owner = 'keyed-mutex' }): CreationStrategy {
    const placer = boundedPlacer(exchange, concurrency);
    const stops = new Map<string, StopOrder>();
    // Reference-counted, so the map does not grow with every key ever seen.
    const mutexes = new Map<string, { mutex: Mutex; users: number }>();
    const pending = new Set<Promise<unknown>>();
    const run = async (key: string, work: () => Promise<StopOrder>): Promise<StopOrder> => {
      let slot = mutexes.get(key);
      if (slot === undefined) {
        slot = { mutex: new Mutex(), users: 0 };
        mutexes.set(key, slot);
      }
      slot.users++;
      try {
        return await slot.mutex.runExclusive(work);
      } finally {
        if (--slot.users === 0) mutexes.delete(key);
      }
    };
    return {
      name: 'keyed-mutex',
      create(spec) {
        const result = run(spec.symbol, () => lockedCreation(spec, stops, placer, store, owner, `km-${++sequence}`));
        const tracked = result.catch(() => undefined).finally(() => pending.delete(tracked));
        pending.add(tracked);
        return result;
      },
      settle: async () => {
        while (pending.size > 0) await Promise.all(pending);
      },
      close: async () => {},
    };
  },
};
