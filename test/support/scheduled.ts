/**
 * Wrappers that hand the resolution order of every exchange answer, store answer and timer to a
 * fast-check scheduler, so race properties explore interleavings instead of one lucky order.
 * The wrapped operation takes effect when called (like a request reaching a server); only its
 * answer is delayed and reordered.
 */
import type fc from 'fast-check';
import type { OrderPlacer } from '../../src/ports/order-placer.js';
import type { StateStore } from '../../src/ports/state-store.js';
import type { Clock } from '../../src/ports/clock.js';

/** The placer with every answer scheduled. Optional methods stay optional. */
export function scheduledPlacer(inner: OrderPlacer, scheduler: fc.Scheduler): OrderPlacer {
  const wrap = <A extends unknown[], R>(name: string, method: ((...args: A) => Promise<R>) | undefined) =>
    method === undefined ? undefined : scheduler.scheduleFunction(method.bind(inner) as (...args: A) => Promise<R>);
  const placer: OrderPlacer = {
    capabilities: inner.capabilities,
    placeStop: wrap('placeStop', inner.placeStop)!,
    cancelStop: wrap('cancelStop', inner.cancelStop)!,
  };
  const optional = placer as { -readonly [K in keyof OrderPlacer]: OrderPlacer[K] };
  if (inner.amendStop) optional.amendStop = wrap('amendStop', inner.amendStop);
  if (inner.findStop) optional.findStop = wrap('findStop', inner.findStop);
  if (inner.openStops) optional.openStops = wrap('openStops', inner.openStops);
  if (inner.closePosition) optional.closePosition = wrap('closePosition', inner.closePosition);
  if (inner.placeTrailingStop) optional.placeTrailingStop = wrap('placeTrailingStop', inner.placeTrailingStop);
  return placer;
}

/** The store with every answer scheduled. */
export function scheduledStore(inner: StateStore, scheduler: fc.Scheduler): StateStore {
  return {
    capabilities: inner.capabilities,
    load: scheduler.scheduleFunction(inner.load.bind(inner)),
    list: scheduler.scheduleFunction(inner.list.bind(inner)),
    insert: scheduler.scheduleFunction(inner.insert.bind(inner)),
    compareAndSet: scheduler.scheduleFunction(inner.compareAndSet.bind(inner)),
    delete: scheduler.scheduleFunction(inner.delete.bind(inner)),
    close: inner.close.bind(inner),
  };
}

/**
 * A clock whose timers fire when the scheduler says (any timer may fire before any answer: a
 * timeout may beat the exchange), and whose time stands still (leases never expire).
 */
export function scheduledClock(scheduler: fc.Scheduler, now = 1_700_000_000_000): Clock {
  return {
    now: () => now,
    setTimeout: (callback) => {
      const handle = { cancelled: false };
      void scheduler.schedule(Promise.resolve(), 'timer').then(() => {
        if (!handle.cancelled) callback();
      });
      return handle;
    },
    clearTimeout: (handle) => {
      if (handle !== undefined && handle !== null) (handle as { cancelled: boolean }).cancelled = true;
    },
  };
}
