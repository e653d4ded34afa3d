/**
 * Wrappers that route every call of a placer or a store through one function, for tests that
 * delay, reorder or swallow answers (the scheduler, a crash, a pause). Optional placer methods
 * stay optional, so the registry sees the same capabilities.
 */
import type { OrderPlacer } from '../../src/ports/order-placer.js';
import type { StateStore } from '../../src/ports/state-store.js';

/** Decides what happens to one call: `call()` performs it on the wrapped port. */
export type Around = (operation: string, argument: unknown, call: () => Promise<unknown>) => Promise<unknown>;

type MethodOf<T> = (...args: never[]) => Promise<T>;

function through<T extends MethodOf<unknown> | undefined>(target: object, operation: string, method: T, around: Around): T {
  if (method === undefined) return method;
  return ((...args: unknown[]) => around(operation, args[0], () => (method as (...inner: unknown[]) => Promise<unknown>).apply(target, args))) as unknown as T;
}

/** `inner` with every call routed through `around`. */
export function interceptPlacer(inner: OrderPlacer, around: Around): OrderPlacer {
  const placer: { -readonly [K in keyof OrderPlacer]: OrderPlacer[K] } = {
    capabilities: inner.capabilities,
    placeStop: through(inner, 'placeStop', inner.placeStop, around),
    cancelStop: through(inner, 'cancelStop', inner.cancelStop, around),
  };
  for (const name of ['amendStop', 'findStop', 'openStops', 'closePosition', 'placeTrailingStop'] as const) {
    if (inner[name] !== undefined) (placer as Record<string, unknown>)[name] = through(inner, name, inner[name], around);
  }
  return placer;
}

/** `inner` with every call but `close()` routed through `around`. */
export function interceptStore(inner: StateStore, around: Around): StateStore {
  return {
    capabilities: inner.capabilities,
    load: through(inner, 'load', inner.load, around),
    list: through(inner, 'list', inner.list, around),
    insert: through(inner, 'insert', inner.insert, around),
    compareAndSet: through(inner, 'compareAndSet', inner.compareAndSet, around),
    delete: through(inner, 'delete', inner.delete, around),
    close: () => inner.close(),
  };
}
