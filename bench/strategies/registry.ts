/**
 * `registry`: this library, `TrailingStopRegistry`, with its concurrency bound set to the
 * scenario's. Single flight per key, claim and compare-and-set in the store, no lock across I/O.
 */
import { TrailingStopRegistry } from '../../src/registry/registry.js';
import type { CreationStrategy, StrategyDefinition } from './strategy.js';

export const registry: StrategyDefinition = {
  name: 'registry',
  description: 'TrailingStopRegistry (this library)',
  create({ exchange, store, concurrency, owner = 'registry' }): CreationStrategy {
    const instance = new TrailingStopRegistry({ placer: exchange, store, concurrency, owner });
    // Failures reject the caller's promise; the event is counted there, not here.
    instance.on('error', () => {});
    return {
      name: 'registry',
      create: (spec) => instance.create(spec),
      settle: () => instance.onIdle(),
      close: () => instance.close(),
    };
  },
};
