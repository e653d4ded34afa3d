/** A state store wrapper that counts round trips (each load, list, insert, compare-and-set, delete). */
import type { StateStore } from '../../src/ports/state-store.js';

/** The methods of the port that each cost one round trip to the database. */
const roundTrips = new Set<PropertyKey>(['load', 'list', 'insert', 'compareAndSet', 'delete']);

/** `store` with every round trip counted in `counter.count`; everything else passes through unchanged. */
export function countingStore(store: StateStore): { store: StateStore; counter: { count: number } } {
  const counter = { count: 0 };
  const wrapped = new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!roundTrips.has(property)) return method.bind(target);
      return (...args: unknown[]) => {
        counter.count++;
        return method.apply(target, args);
      };
    },
  });
  return { store: wrapped, counter };
}
