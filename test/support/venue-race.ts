/**
 * Ports for venue-truth race properties: a registry's placer, store and clock that go straight
 * through while a test sets its world up, then hand every answer and timer to a fast-check
 * scheduler once the race starts (as test/support/scheduled.ts does, from the first call on).
 * The placer's order stream is scheduled too: each update the venue sends becomes a task of the
 * scheduler, delivered in the order the venue sent them (a stream is ordered), so an update may
 * arrive before, between or after any answer.
 */
import type fc from 'fast-check';
import type { OrderPlacer, OrderUpdate, WatchOrdersOptions } from '../../src/ports/order-placer.js';
import type { StateStore } from '../../src/ports/state-store.js';
import type { Clock } from '../../src/ports/clock.js';
import { interceptPlacer, interceptStore } from './intercept.js';

/** Hands an update on to the registry's listener, or not, or changed (a naive handler in between). */
export type UpdateRoute = (update: OrderUpdate, deliver: (update: OrderUpdate) => void) => void;

/** What a race observes of the calls it schedules, in the order their answers reach the registry. */
export interface RaceStep {
  readonly what: 'answer' | 'update';
  /** The operation answered (`placeStop`, `cancelStop`...) or the update's status. */
  readonly name: string;
  /** The client order id concerned. */
  readonly clientOrderId: string | undefined;
}

/** See the module comment. */
export class RaceGate {
  /** Set to start the race: from then on answers, timers and order updates are scheduled. */
  scheduler: fc.Scheduler | undefined;
  /** Answers and updates as they reached the registry while the race ran. */
  readonly steps: RaceStep[] = [];
  /** Runs right after a placer call took effect on the venue, before its answer (while racing). */
  afterCall: ((operation: string, argument: unknown) => void) | undefined;

  /** `inner` with its answers scheduled while racing, and its order stream routed through `route`. */
  placer(inner: OrderPlacer, route: UpdateRoute = (update, deliver) => deliver(update)): OrderPlacer {
    const placer = interceptPlacer(inner, (operation, argument, call) => {
      const scheduler = this.scheduler;
      if (scheduler === undefined) return call();
      const answer = call();
      this.afterCall?.(operation, argument);
      const clientOrderId = (argument as { clientOrderId?: string } | undefined)?.clientOrderId;
      return scheduler.schedule(answer, `${operation}(${clientOrderId ?? ''})`).finally(() => this.steps.push({ what: 'answer', name: operation, clientOrderId }));
    });
    const watch = inner.watchOrders;
    if (watch === undefined) return placer;
    return {
      ...placer,
      watchOrders: (listener: (update: OrderUpdate) => void, options: WatchOrdersOptions) => {
        let chain: Promise<void> = Promise.resolve();
        const deliver = (update: OrderUpdate) => route(update, listener);
        return watch.call(
          inner,
          (update) => {
            const scheduler = this.scheduler;
            if (scheduler === undefined) {
              deliver(update);
              return;
            }
            // In the venue's order, each when the scheduler says.
            chain = chain
              .then(() => scheduler.schedule(Promise.resolve(), `update ${update.status}(${update.clientOrderId})`))
              .then(() => {
                this.steps.push({ what: 'update', name: update.status, clientOrderId: update.clientOrderId });
                deliver(update);
              });
          },
          options,
        );
      },
    };
  }

  /** `inner` with its answers scheduled while racing. */
  store(inner: StateStore): StateStore {
    return interceptStore(inner, (operation, argument, call) => {
      const scheduler = this.scheduler;
      if (scheduler === undefined) return call();
      const key = typeof argument === 'object' && argument !== null && 'key' in argument ? String((argument as { key: unknown }).key) : JSON.stringify(argument) ?? '';
      return scheduler.schedule(call(), `${operation}(${key})`);
    });
  }

  /**
   * A clock whose time stands still and whose timers fire when the scheduler says (a timeout may
   * beat the answer it guards). A timer armed before the race never fires: the setup's calls
   * answer at once, and their timeouts are cleared.
   */
  clock(now = 1_700_000_000_000): Clock {
    return {
      now: () => now,
      setTimeout: (callback) => {
        const handle = { cancelled: false };
        const scheduler = this.scheduler;
        if (scheduler !== undefined) {
          void scheduler.schedule(Promise.resolve(), 'timer').then(() => {
            if (!handle.cancelled) callback();
          });
        }
        return handle;
      },
      clearTimeout: (handle) => {
        if (typeof handle === 'object' && handle !== null) (handle as { cancelled: boolean }).cancelled = true;
      },
    };
  }
}

/** Lets every queued microtask and I/O callback run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs the scheduler until nothing is left: every task released, the registry idle (`idle`),
 * and no update or timer scheduled by what ran last.
 */
export async function quiesce(scheduler: fc.Scheduler, idle: () => Promise<void>): Promise<void> {
  for (let round = 0; round < 1_000; round++) {
    await scheduler.waitIdle();
    await scheduler.waitFor(idle());
    await turn();
    if (scheduler.count() === 0) return;
  }
  throw new Error('The race never became quiet: something keeps scheduling work');
}
