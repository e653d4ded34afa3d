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
import { interceptPlacer, interceptStore } from './intercept.js';

/** The placer with every answer scheduled. Optional methods stay optional. */
export function scheduledPlacer(inner: OrderPlacer, scheduler: fc.Scheduler): OrderPlacer {
  return interceptPlacer(inner, (operation, argument, call) => scheduled(scheduler, operation, argument, call));
}

/** The store with every answer scheduled. */
export function scheduledStore(inner: StateStore, scheduler: fc.Scheduler): StateStore {
  return interceptStore(inner, (operation, argument, call) => scheduled(scheduler, operation, argument, call));
}

/** Performs the call at once; its answer (value or error) waits for the scheduler. */
function scheduled(scheduler: fc.Scheduler, operation: string, argument: unknown, call: () => Promise<unknown>): Promise<unknown> {
  const label = `${operation}(${typeof argument === 'object' && argument !== null && 'key' in argument ? String((argument as { key: unknown }).key) : JSON.stringify(argument) ?? ''})`;
  return scheduler.schedule(call(), label);
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
