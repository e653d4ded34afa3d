/**
 * `double-check`: the seed bot after its fix: lock for the check, the exchange call unlocked, lock
 * for the double-check. Fast, but with no single flight and no compensation: concurrent creations
 * for one key all place an order, and the losers' orders stay on the venue (orphans).
 *
 * The implementation is the naive variant the race tests keep beside them (test/naive), reused
 * here so the benchmark measures exactly what the tests prove wrong.
 */
import { DoubleCheckRegistry } from '../../test/naive/double-check-registry.js';
import { boundedPlacer } from '../support/placers.js';
import type { CreationStrategy, StrategyDefinition } from './strategy.js';

export const doubleCheck: StrategyDefinition = {
  name: 'double-check',
  description: 'locked check, unlocked exchange call, locked double-check (the seed bot after its fix)',
  create({ exchange, store, concurrency, owner = 'double-check' }): CreationStrategy {
    const registry = new DoubleCheckRegistry({ placer: boundedPlacer(exchange, concurrency), store, owner });
    const pending = new Set<Promise<unknown>>();
    return {
      name: 'double-check',
      create(spec) {
        const result = registry.create(spec);
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
