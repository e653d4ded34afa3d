/**
 * `global-lock`: the seed bot before its fix. One async mutex (its `asyncio.Lock`) held for the
 * whole creation: check, exchange call, store write. Correct, and serial: a wave of N creations
 * takes N x latency.
 */
import type { StopOrder } from '../../src/ports/order-placer.js';
import { AsyncLock } from '../../test/naive/double-check-registry.js';
import { boundedPlacer } from '../support/placers.js';
import { lockedCreation, type CreationStrategy, type StrategyDefinition } from './strategy.js';

let sequence = 0;

export const globalLock: StrategyDefinition = {
  name: 'global-lock',
  description: 'one async mutex held for the whole creation (the seed bot before its fix)',
  create({ exchange, store, concurrency, owner = 'global-lock' }): CreationStrategy {
    const placer = boundedPlacer(exchange, concurrency);
    const lock = new AsyncLock();
    const stops = new Map<string, StopOrder>();
    let last: Promise<unknown> = Promise.resolve();
    return {
      name: 'global-lock',
      create(spec) {
        const result = lock.run(() => lockedCreation(spec, stops, placer, store, owner, `gl-${++sequence}`));
        last = result.catch(() => undefined);
        return result;
      },
      // The lock serializes everything: the last creation queued is the last to finish.
      settle: () => last.then(() => undefined),
      close: async () => {},
    };
  },
};
