/**
 * Monitors of the fault campaign: they sit right on the shared venue and the shared store, see
 * every request as it takes effect, and record what must never happen at any moment, whatever
 * the interleaving:
 * - I5 on the venue: a position's effective stop (its tightest live order) looser than it was
 *   (one position = one client order id base), while its record lives;
 * - I5 and I4 in the store: a record of the same position written with a looser stop, or a
 *   compare-and-set that did not advance the version by exactly one;
 * - I8: an order or a record with a number that is not a positive finite value, or a record the
 *   library's own validation refuses.
 * Violations are collected, not thrown: the call goes on as the real system would, and the
 * campaign fails at its next check with every violation seen.
 */
import type { Excuse } from './campaign-open-defects.js';
import {
  findRecordProblem,
  type OrderPlacer,
  type PaperExchange,
  type StateStore,
  type StopOrder,
  type StopOrderRequest,
  type StopRecord,
} from '../../src/index.js';
import { clientOrderIdBaseOf } from '../../src/domain/client-order-id.js';
import { interceptPlacer, interceptStore } from './intercept.js';

/** Where monitors report what broke, tagged with the invariant (`[I5 venue] ...`). */
export class Violations {
  readonly #seen: string[] = [];
  /** Every effect on the venue and the store, in order, when tracing (for a counterexample's story). */
  readonly trace: string[] | undefined = process.env.TSR_TRACE === '1' ? [] : undefined;

  /** Records one violation. */
  add(message: string): void {
    if (this.#seen.length < 20) this.#seen.push(message);
  }

  /** Throws every violation recorded so far, if any, but those matching `excuse`. */
  throwIfAny(excuse?: Excuse): void {
    const left = excuse === undefined ? this.#seen : this.#seen.filter((seen) => !excuse.test(seen));
    if (left.length > 0) throw new Error(left.join('\n'));
  }
}

/** For a long (closing side `sell`) a higher stop is tighter; for a short, a lower one. */
function isLooser(side: 'buy' | 'sell', candidate: number, reference: number): boolean {
  return side === 'sell' ? candidate < reference : candidate > reference;
}

function badNumber(value: unknown): boolean {
  return typeof value !== 'number' || !(value > 0 && value < Number.POSITIVE_INFINITY);
}

/**
 * Watches the venue: per position (a client order id base and a closing side) the tightest stop
 * that has rested on the venue. The position's effective stop, the tightest of its live orders,
 * must never be looser than that after a placement, an amend or a cancel by a registry: a looser
 * second order beside a tighter one is a transient the registry cleans up, but a tighter order
 * cancelled while a looser one stays, an amend down, or a re-placement below the level are
 * loosenings. The level is forgotten when the position's record is deleted or ends, when the market
 * fills its order, or, for what someone cancelled by hand, lowered to what is left.
 */
export class VenueMonitor {
  readonly #violations: Violations;
  readonly #level = new Map<string, number>();
  readonly #byHand: () => boolean;
  #venue: PaperExchange | undefined;

  readonly #context: () => string;

  /**
   * @param byHand True while cancels may come from someone's hand (a lost order): they lower the level instead.
   * @param context Appended to a violation's message (e.g. that a process crashed before).
   */
  constructor(violations: Violations, byHand: () => boolean, context: () => string = () => '') {
    this.#violations = violations;
    this.#byHand = byHand;
    this.#context = context;
  }

  /** `venue` seen through the monitor. */
  wrap(venue: PaperExchange): OrderPlacer {
    this.#venue = venue;
    const intercepted = interceptPlacer(venue, (operation, argument, call) => {
      if (operation === 'placeStop') {
        const request = argument as StopOrderRequest;
        this.#checkNumbers(operation, request.clientOrderId, request.stopPrice, request.quantity);
      }
      // The paper venue takes effect as the call arrives: its book is already up to date below.
      const pending = call();
      // An answer the scheduler never releases (the run ended first) must not surface as unhandled.
      pending.catch(() => {});
      if (operation === 'placeStop' || operation === 'amendStop' || operation === 'cancelStop') {
        const { clientOrderId, side } = argument as { clientOrderId: string; side: 'buy' | 'sell' };
        this.#observe(operation, clientOrderId, side);
      }
      const trace = this.#violations.trace;
      if (trace !== undefined) {
        pending.then(
          (result) => trace.push(`venue ${operation}(${JSON.stringify(argument)}) -> ${JSON.stringify(result)}`),
          (error: unknown) => trace.push(`venue ${operation}(${JSON.stringify(argument)}) !! ${String(error)}`),
        );
      }
      return pending;
    });
    return this.#checkingAmends(intercepted);
  }

  /** True when the venue holds `orderId` open now. */
  isOpen(orderId: string): boolean {
    return this.#venue?.liveOrders().some((order) => order.id === orderId) ?? false;
  }

  /** A position's record was deleted or ended: its next stop starts a new level. */
  reset(clientOrderId: string): void {
    const base = clientOrderIdBaseOf(clientOrderId);
    this.#level.delete(`${base} buy`);
    this.#level.delete(`${base} sell`);
  }

  /** The market filled these orders: their positions are flat. */
  filled(orders: readonly StopOrder[]): void {
    for (const order of orders) this.reset(order.clientOrderId);
  }

  /** Someone cancelled this order by hand: the position's level is what is left on the venue. */
  cancelledByHand(order: StopOrder): void {
    const episode = `${clientOrderIdBaseOf(order.clientOrderId)} ${order.side}`;
    const tightest = this.#tightestLive(order.clientOrderId, order.side);
    if (tightest === undefined) this.#level.delete(episode);
    else this.#level.set(episode, tightest);
  }

  /** The interceptor sees only an amend's first argument (the order): its new price is checked here. */
  #checkingAmends(placer: OrderPlacer): OrderPlacer {
    const amend = placer.amendStop;
    if (amend === undefined) return placer;
    return {
      ...placer,
      amendStop: (order, stopPrice, options) => {
        this.#checkNumbers('amendStop', order.clientOrderId, stopPrice, order.quantity);
        return amend.call(placer, order, stopPrice, options);
      },
    };
  }

  #checkNumbers(operation: string, clientOrderId: string, stopPrice: number, quantity: number): void {
    if (badNumber(stopPrice) || badNumber(quantity) || typeof clientOrderId !== 'string' || clientOrderId.length === 0) {
      this.#violations.add(`[I8 venue] ${operation} with stop ${stopPrice}, quantity ${quantity}, client order id ${clientOrderId}`);
    }
  }

  #tightestLive(clientOrderId: string, side: 'buy' | 'sell'): number | undefined {
    const base = clientOrderIdBaseOf(clientOrderId);
    let tightest: number | undefined;
    for (const order of this.#venue!.liveOrders()) {
      if (order.side !== side || clientOrderIdBaseOf(order.clientOrderId) !== base) continue;
      if (tightest === undefined || isLooser(side, tightest, order.stopPrice)) tightest = order.stopPrice;
    }
    return tightest;
  }

  #observe(operation: string, clientOrderId: string, side: 'buy' | 'sell'): void {
    const tightest = this.#tightestLive(clientOrderId, side);
    const episode = `${clientOrderIdBaseOf(clientOrderId)} ${side}`;
    if (tightest === undefined) {
      // A cancel that may be someone's hand and left nothing: the level is what is left, none (as
      // in cancelledByHand); the next order starts a new one.
      if (operation === 'cancelStop' && this.#byHand()) this.#level.delete(episode);
      return; // nothing rests: nothing to compare until the next order
    }
    const level = this.#level.get(episode);
    if (level !== undefined && isLooser(side, tightest, level)) {
      if (operation === 'cancelStop' && this.#byHand()) {
        this.#level.set(episode, tightest);
        return;
      }
      this.#violations.add(
        `[I5 venue] after ${operation} of ${clientOrderId} the position's tightest live stop is ${tightest}, looser than the ${level} it had${this.#context()}`,
      );
      return;
    }
    if (level === undefined || isLooser(side, level, tightest)) this.#level.set(episode, tightest);
  }
}

/** The closing side of a record's position. */
function closingSideOf(record: StopRecord): 'buy' | 'sell' {
  return record.side === 'long' ? 'sell' : 'buy';
}

/**
 * Watches the store: every record as written, checked against the one it replaced. Reads go
 * through untouched.
 */
export class StoreMonitor {
  readonly #violations: Violations;
  readonly #venue: VenueMonitor;
  readonly #current = new Map<string, StopRecord>();
  /** Orders whose record was deleted while they rested on the venue (nobody cancelled them first). */
  readonly deletedWhileLive = new Set<string>();

  constructor(violations: Violations, venue: VenueMonitor) {
    this.#violations = violations;
    this.#venue = venue;
  }

  /** `store` seen through the monitor. */
  wrap(store: StateStore): StateStore {
    return interceptStore(store, (operation, argument, call) => {
      const pending = call();
      pending.catch(() => {});
      pending.then(
        (result) => {
          if (operation !== 'load' && operation !== 'list') this.#violations.trace?.push(`store ${operation} ${summary(argument)} -> ${summary(result)}`);
          this.#after(operation, argument, result);
        },
        (error: unknown) => this.#violations.trace?.push(`store ${operation} ${summary(argument)} !! ${String(error)}`),
      );
      return pending;
    });
  }

  #after(operation: string, argument: unknown, result: unknown): void {
    if (operation === 'insert') {
      const outcome = result as { inserted: boolean; record: StopRecord };
      if (outcome.inserted) this.#written('insert', undefined, outcome.record);
    } else if (operation === 'compareAndSet') {
      const outcome = result as { updated: boolean; record?: StopRecord };
      if (outcome.updated) this.#written('compareAndSet', this.#current.get(outcome.record!.key), outcome.record!);
    } else if (operation === 'delete') {
      const key = argument as string;
      if (result === true) {
        const previous = this.#current.get(key);
        if (previous !== undefined) this.#venue.reset(previous.clientOrderId);
        if (previous?.order != null && this.#venue.isOpen(previous.order.id)) this.deletedWhileLive.add(previous.order.id);
        this.#current.delete(key);
      }
    }
  }

  #written(operation: string, previous: StopRecord | undefined, next: StopRecord): void {
    const problem = findRecordProblem(next);
    if (problem !== undefined) this.#violations.add(`[I8 store] ${operation} wrote a record the library refuses: ${problem}`);
    if (previous !== undefined) {
      if (next.version !== previous.version + 1) {
        this.#violations.add(`[I4 store] ${operation} of ${next.key} went from version ${previous.version} to ${next.version}`);
      }
      const samePosition = previous.positionId === next.positionId && previous.side === next.side;
      if (samePosition && previous.stopPrice !== null && next.stopPrice !== null && isLooser(closingSideOf(next), next.stopPrice, previous.stopPrice)) {
        this.#violations.add(
          `[I5 store] ${next.key} (${next.positionId}) stop went from ${previous.stopPrice} (v${previous.version}) to ${next.stopPrice} (v${next.version})`,
        );
      }
      if (!samePosition) this.#venue.reset(previous.clientOrderId);
    }
    if (next.state === 'failed' || next.state === 'triggered') this.#venue.reset(next.clientOrderId);
    this.#current.set(next.key, next);
  }
}

/** A record or a store answer in one short line, for traces. */
function summary(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const record = ('record' in value ? (value as { record: StopRecord }).record : 'key' in value ? value : undefined) as StopRecord | undefined;
  if (record === undefined) return JSON.stringify(value);
  const flag = 'inserted' in value ? `inserted=${String((value as { inserted: boolean }).inserted)} ` : 'updated' in value ? `updated=${String((value as { updated: boolean }).updated)} ` : '';
  return `${flag}${record.key} v${record.version} ${record.state} ${record.owner} ${record.positionId} seq${record.sequence} stop=${record.stopPrice} order=${record.order?.id ?? '-'}@${record.order?.stopPrice ?? '-'}`;
}
